/**
 * What each embedding model costs per question: one question embedded at a time, as /ask does,
 * after warm-up; p50 / p99 per model and the process RSS once every model is loaded.
 *   npx tsx scripts/embed-latency.ts all-MiniLM-L6-v2 e5-small-v2[#q8] …
 *   npx tsx scripts/embed-latency.ts --ask      the whole in-process Quarry.ask with the .env settings
 */
import { percentile, round, rssMb } from '../bench/stats.ts';
import { type EmbeddingDtype, loadCoreConfig, loadEnvFile } from '../src/config.ts';
import { getEmbedder } from '../src/embedding/embedder.ts';
import { readQuestions } from '../src/eval/evaluate.ts';
import { Quarry } from '../src/quarry.ts';

loadEnvFile();
const config = loadCoreConfig();
const questions = (
  await Promise.all(
    ['test/eval/questions.tune.jsonl', 'test/eval/questions.own.jsonl'].map((f) => readQuestions(f)),
  )
)
  .flat()
  .map((q) => q.question);
const before = rssMb();
if (process.argv[2] === '--ask') {
  const quarry = new Quarry(config);
  await quarry.open();
  for (const q of questions.slice(0, 20)) await quarry.ask(q);
  const times: number[] = [];
  for (const q of questions) {
    const t = performance.now();
    await quarry.ask(q);
    times.push(performance.now() - t);
  }
  console.log(
    `ask: p50 ${round(percentile(times, 50))} ms, p99 ${round(percentile(times, 99))} ms over ${questions.length} questions; RSS ${before} → ${rssMb()} MB`,
  );
  process.exit(0);
}
const embedders = [];
for (const spec of process.argv.slice(2)) {
  const [name = '', dtype = 'fp32'] = spec.split('#');
  embedders.push({
    spec,
    embedder: await getEmbedder({ ...config, embeddingModel: name, embeddingDtype: dtype as EmbeddingDtype }),
  });
}
for (const { embedder } of embedders)
  for (const q of questions.slice(0, 20)) await embedder.embed([q], 'query');
const times = embedders.map(() => [] as number[]);
const totals: number[] = [];
// Interleaved, so load changes on this shared machine hit every model alike.
for (const q of questions) {
  let total = 0;
  for (const [i, { embedder }] of embedders.entries()) {
    const t = performance.now();
    await embedder.embed([q], 'query');
    const ms = performance.now() - t;
    times[i]?.push(ms);
    total += ms;
  }
  totals.push(total);
}
for (const [i, { spec }] of embedders.entries()) {
  const s = times[i] ?? [];
  console.log(`${spec}: p50 ${round(percentile(s, 50))} ms, p99 ${round(percentile(s, 99))} ms`);
}
console.log(
  `all together: p50 ${round(percentile(totals, 50))} ms, p99 ${round(percentile(totals, 99))} ms over ${questions.length} questions; RSS ${before} → ${rssMb()} MB`,
);
