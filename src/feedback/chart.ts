/**
 * The /stats chart as a PNG: Apache ECharts renders an SVG server-side (no DOM, no canvas) and
 * resvg rasterises it — both plain npm packages, nothing downloaded at install. resvg draws text
 * only with a font it can load: DejaVu Sans where Debian puts it, else any system font; with no
 * font at all the bars still render and the text is missing (logged once).
 */
import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import { log } from '../log.ts';
import type { DayCounts } from './storage.ts';

export const CHART_SIZE = { width: 900, height: 520 } as const;

const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
];
const FONT_FAMILY = 'DejaVu Sans';

let warnedNoFont = false;

function fontOptions() {
  const file = FONT_FILES.find((f) => existsSync(f));
  if (file) return { fontFiles: [file], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY };
  if (!warnedNoFont) {
    warnedNoFont = true;
    log.warn('stats: DejaVu Sans not found (Debian: apt-get install fonts-dejavu-core); using system fonts');
  }
  return { loadSystemFonts: true, defaultFontFamily: FONT_FAMILY };
}

function label(day: number): string {
  return new Date(day).toISOString().slice(5, 10);
}

/** An SVG with questions per day (answered vs not) above votes per day (helpful vs not). */
export function statsChartSvg(daily: DayCounts[], title: string): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, ...CHART_SIZE });
  const days = daily.map((d) => label(d.day));
  chart.setOption({
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: FONT_FAMILY },
    title: { text: title, left: 'center', textStyle: { fontSize: 16 } },
    legend: { bottom: 4 },
    grid: [
      { top: 50, height: 210, left: 50, right: 20 },
      { top: 310, height: 140, left: 50, right: 20 },
    ],
    xAxis: [
      { type: 'category', data: days, gridIndex: 0 },
      { type: 'category', data: days, gridIndex: 1 },
    ],
    yAxis: [
      { type: 'value', name: 'questions', minInterval: 1, gridIndex: 0 },
      { type: 'value', name: 'votes', minInterval: 1, gridIndex: 1 },
    ],
    series: [
      { name: 'answered', type: 'bar', stack: 'q', data: daily.map((d) => d.answered), color: '#3b82f6' },
      {
        name: 'not answered',
        type: 'bar',
        stack: 'q',
        data: daily.map((d) => d.asked - d.answered),
        color: '#9ca3af',
      },
      {
        name: 'helpful',
        type: 'bar',
        xAxisIndex: 1,
        yAxisIndex: 1,
        data: daily.map((d) => d.up),
        color: '#22c55e',
      },
      {
        name: 'not helpful',
        type: 'bar',
        xAxisIndex: 1,
        yAxisIndex: 1,
        data: daily.map((d) => d.down),
        color: '#ef4444',
      },
    ],
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

export function renderStatsChart(daily: DayCounts[], title: string): Buffer {
  const svg = statsChartSvg(daily, title);
  return new Resvg(svg, { font: fontOptions(), background: '#ffffff' }).render().asPng();
}
