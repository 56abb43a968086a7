/**
 * `/ask` latency of two checkouts compared under the same load: both checkouts' `Quarry` are loaded
 * into one process and each of the bench's questions is asked of every side in turn (the order
 * rotating), so a load spike on this shared machine hits all sides alike; separate bench runs
 * minutes apart differ by more than a millisecond change. Each pass is the bench's `ask`
 * measurement (20 warm-ups, then every question once); the first pass is the one the bench takes.
 *   npx tsx scripts/ask-paired.ts <other checkout> [--passes 3] [--with-off]
 * The other checkout needs node_modules (a symlink to this one's will do) and the same model
 * (data/models/all-MiniLM-L6-v2, or EMBEDDING_MODEL). `--with-off`: this checkout with
 * LEXICAL_EXPANSION=off as a third side.
 */
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchmarkQuestions } from '../bench/questions.ts';
import { percentile, round } from '../bench/stats.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { passes: { type: 'string', default: '3' }, 'with-off': { type: 'boolean', default: false } },
});
const other = positionals[0];
if (!other)
  throw new Error('ask-paired: name the other checkout, e.g. npx tsx scripts/ask-paired.ts /tmp/main');

interface Side {
  name: string;
  root: string;
  env: Record<string, string>;
}
const sides: Side[] = [
  { name: 'other', root: resolve(other), env: {} },
  { name: 'this', root: resolve('.'), env: {} },
  ...(values['with-off']
    ? [{ name: 'this, expansion off', root: resolve('.'), env: { LEXICAL_EXPANSION: 'off' } }]
    : []),
];
const model = process.env.EMBEDDING_MODEL ?? resolve('data/models/all-MiniLM-L6-v2');

const quarries: { ask(question: string): Promise<unknown> }[] = [];
for (const side of sides) {
  const { loadCoreConfig } = await import(join(side.root, 'src/config.ts'));
  const { configureLog } = await import(join(side.root, 'src/log.ts'));
  const { Quarry } = await import(join(side.root, 'src/quarry.ts'));
  configureLog({ level: 'warn', file: null });
  const config = {
    ...loadCoreConfig({ ...process.env, ...side.env, EMBEDDING_MODEL: model }),
    indexDir: join(mkdtempSync(join(tmpdir(), 'ask-paired-')), 'index'),
  };
  const quarry = new Quarry(config);
  await quarry.open();
  quarries.push(quarry);
}

const questions = await benchmarkQuestions();
for (let pass = 0; pass < Number(values.passes); pass++) {
  const times: number[][] = sides.map(() => []);
  for (const question of questions.slice(0, 20)) for (const quarry of quarries) await quarry.ask(question);
  for (const [i, question] of questions.entries()) {
    for (let k = 0; k < sides.length; k++) {
      const s = (i + k) % sides.length;
      const started = performance.now();
      await quarries[s]?.ask(question);
      times[s]?.push(performance.now() - started);
    }
  }
  const figures = sides.map((side, s) => {
    const xs = times[s] ?? [];
    return `${side.name}: p50 ${round(percentile(xs, 50))} p99 ${round(percentile(xs, 99))} ms`;
  });
  process.stdout.write(`pass ${pass} (load ${loadavg()[0]?.toFixed(1)}): ${figures.join('; ')}\n`);
}
process.exit(0);
