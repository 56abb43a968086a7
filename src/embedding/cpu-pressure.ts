/**
 * How contended the machine's cores are, 0–100, for the spinning choice (spin-choice.ts): Linux's
 * CPU pressure (`/proc/pressure/cpu`), the share of time in which some runnable task waited for a
 * core, over the span since the previous reading (at least a second; the kernel's own 10 s average
 * when that span is longer, or on the first reading). A 10 s average alone lags: after a reload's
 * burst it stays above the threshold for about ten seconds of idle cores. Where the kernel does
 * not report pressure, the one-minute load average beyond our own thread, per core. Read at most
 * once a second: it is a file read on the question's path.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

const PSI_FILE = '/proc/pressure/cpu';
const MIN_SPAN_MS = 1000;
const MAX_SPAN_MS = 10_000;

export interface PressureReading {
  /** "some avg10": % over the last 10 s. */
  avg10: number;
  /** "some total": µs some task waited, since boot. */
  totalUs: number;
}

/** "some avg10=6.60 … total=9823943390" → its avg10 and total; null when the text has neither. */
export function parsePressure(text: string): PressureReading | null {
  const match = /^some avg10=([\d.]+) .*total=(\d+)/m.exec(text);
  return match ? { avg10: Number(match[1]), totalUs: Number(match[2]) } : null;
}

/** % of `spanMs` some task waited, from two readings of the total; the 10 s average when the span is long. */
export function pressureBetween(
  previous: PressureReading | null,
  current: PressureReading,
  spanMs: number,
): number {
  if (!previous || spanMs > MAX_SPAN_MS || spanMs <= 0) return current.avg10;
  return Math.min(100, Math.max(0, ((current.totalUs - previous.totalUs) / (spanMs * 1000)) * 100));
}

/** Load average → pressure-like 0–100: runnable tasks besides our own thread, per core. */
export function pressureFromLoad(load: number, cores: number): number {
  return Math.min(100, (Math.max(0, load - 1) / Math.max(1, cores)) * 100);
}

function readPsi(): PressureReading | null {
  try {
    return parsePressure(readFileSync(PSI_FILE, 'utf8'));
  } catch {
    return null; // not Linux, an older kernel, or PSI disabled
  }
}

let last: { at: number; reading: PressureReading | null; value: number } = {
  at: Number.NEGATIVE_INFINITY,
  reading: null,
  value: 0,
};

/** The signal the embedder reads; tests replace `read` to play an idle or a loaded machine. */
export const cpuPressure = {
  read(now: number): number {
    if (now - last.at < MIN_SPAN_MS) return last.value;
    const reading = readPsi();
    const value = reading
      ? pressureBetween(last.reading, reading, now - last.at)
      : pressureFromLoad(loadavg()[0] ?? 0, availableParallelism());
    last = { at: now, reading, value };
    return value;
  },
};
