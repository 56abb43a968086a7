/** `Quarry.ask` latency: `warmup` questions untimed, then every question once, timed. */
import type { Quarry } from '../src/quarry.ts';
import { percentile, round } from './stats.ts';

export async function askLatency(quarry: Quarry, questions: string[], warmup: number) {
  for (const q of questions.slice(0, warmup)) await quarry.ask(q);
  const samples: number[] = [];
  for (const q of questions) {
    const started = performance.now();
    await quarry.ask(q);
    samples.push(performance.now() - started);
  }
  return {
    p50Ms: round(percentile(samples, 50)),
    p95Ms: round(percentile(samples, 95)),
    p99Ms: round(percentile(samples, 99)),
    questions: samples.length,
  };
}
