/**
 * Where `/ask`'s tail comes from: each question is timed whole and by stage (tokenizer alone,
 * query embedding = queue turn + tokenizer + onnxruntime + pooling, measured on its own just
 * before the ask; search = the ask minus that: HNSW + BM25 + scoring + key sentences), and garbage-collection pauses are recorded with a PerformanceObserver, so the
 * slowest 1% can be attributed.
 *
 *   npx tsx bench/tail.ts [--rounds 3]
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadCoreConfig, loadEnvFile } from '../src/config.ts';
import { configureLog } from '../src/log.ts';
import { Quarry } from '../src/quarry.ts';
import { benchmarkQuestions } from './questions.ts';
import { percentile, round } from './stats.ts';

interface Sample {
  askMs: number;
  tokenizeMs: number;
  embedMs: number;
  searchMs: number;
  gcMs: number;
}

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
loadEnvFile();
configureLog({ level: 'warn', file: null });

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
const gcPauses: { start: number; end: number; kind: string }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const detail = (e as unknown as { detail?: { kind?: number } }).detail;
    const kind = GC_KINDS[detail?.kind ?? -1] ?? 'other';
    gcPauses.push({ start: e.startTime, end: e.startTime + e.duration, kind });
  }
}).observe({ entryTypes: ['gc'] });
const gcWithin = (start: number, end: number) =>
  gcPauses.reduce((ms, p) => ms + Math.max(0, Math.min(end, p.end) - Math.max(start, p.start)), 0);

const config = loadCoreConfig();
const quarry = new Quarry(config);
await quarry.open();
const embedder = await quarry.embedder();
const questions = await benchmarkQuestions();
for (const q of questions.slice(0, 20)) await quarry.ask(q);

const samples: Sample[] = [];
for (let round_ = 0; round_ < Number(values.rounds); round_++) {
  for (const q of questions) {
    let t = performance.now();
    embedder.countTokens(q);
    const tokenizeMs = performance.now() - t;
    t = performance.now();
    await embedder.embed([q], 'query');
    const embedMs = performance.now() - t;
    // The whole ask (it embeds again); "search" is the rest: HNSW, BM25, scoring, key sentences.
    t = performance.now();
    await quarry.ask(q);
    const askMs = performance.now() - t;
    samples.push({
      askMs,
      tokenizeMs,
      embedMs,
      searchMs: Math.max(0, askMs - embedMs),
      gcMs: gcWithin(t, t + askMs),
    });
  }
}
await new Promise((r) => setTimeout(r, 50)); // let the observer deliver the last GC entries

const stage = (key: keyof Sample) => {
  const all = samples.map((s) => s[key]);
  return { p50: round(percentile(all, 50)), p99: round(percentile(all, 99)), max: round(Math.max(...all)) };
};
const slowest = [...samples].sort((a, b) => b.askMs - a.askMs).slice(0, Math.ceil(samples.length / 100));
const mean = (xs: number[]) => round(xs.reduce((a, b) => a + b, 0) / xs.length);
process.stdout.write(
  `${JSON.stringify(
    {
      questions: samples.length,
      stages: {
        ask: stage('askMs'),
        tokenize: stage('tokenizeMs'),
        embed: stage('embedMs'),
        search: stage('searchMs'),
        gcDuringAsk: stage('gcMs'),
      },
      slowest1Percent: {
        count: slowest.length,
        meanAskMs: mean(slowest.map((s) => s.askMs)),
        meanEmbedMs: mean(slowest.map((s) => s.embedMs)),
        meanSearchMs: mean(slowest.map((s) => s.searchMs)),
        meanTokenizeMs: mean(slowest.map((s) => s.tokenizeMs)),
        meanGcMs: mean(slowest.map((s) => s.gcMs)),
        withGc: slowest.filter((s) => s.gcMs > 0).length,
      },
      gcPauses: Object.fromEntries(
        [...new Set(gcPauses.map((p) => p.kind))].map((kind) => {
          const of = gcPauses.filter((p) => p.kind === kind).map((p) => p.end - p.start);
          return [
            kind,
            {
              count: of.length,
              totalMs: round(of.reduce((a, b) => a + b, 0)),
              p50Ms: round(percentile(of, 50)),
            },
          ];
        }),
      ),
    },
    null,
    2,
  )}\n`,
);
