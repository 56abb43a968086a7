/**
 * How contended the machine's cores are, 0–100, for the spinning choice (spin-choice.ts): Linux's
 * CPU pressure (`/proc/pressure/cpu`, "some avg10": the share of the last 10 s in which some
 * runnable task waited for a core). Where the kernel does not report it, the one-minute load
 * average beyond our own thread, per core. Read at most once a second: it is a file read on the
 * question's path.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

const PSI_FILE = '/proc/pressure/cpu';
const MAX_AGE_MS = 1000;

/** "some avg10=6.60 avg60=…" → 6.6; null when the text has no such field. */
export function parsePressure(text: string): number | null {
  const match = /^some avg10=([\d.]+)/m.exec(text);
  return match ? Number(match[1]) : null;
}

/** Load average → pressure-like 0–100: runnable tasks besides our own thread, per core. */
export function pressureFromLoad(load: number, cores: number): number {
  return Math.min(100, (Math.max(0, load - 1) / Math.max(1, cores)) * 100);
}

function readPressure(): number {
  try {
    const psi = parsePressure(readFileSync(PSI_FILE, 'utf8'));
    if (psi !== null) return psi;
  } catch {
    // No PSI here (not Linux, an older kernel, or disabled): fall back to the load average.
  }
  return pressureFromLoad(loadavg()[0] ?? 0, availableParallelism());
}

let cached = { at: Number.NEGATIVE_INFINITY, value: 0 };

/** The signal the embedder reads; tests replace `read` to play an idle or a loaded machine. */
export const cpuPressure = {
  read(now: number): number {
    if (now - cached.at >= MAX_AGE_MS) cached = { at: now, value: readPressure() };
    return cached.value;
  },
};
