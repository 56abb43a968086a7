/**
 * `npm run bench [-- --quick] [-- --json]`: answer latency, ingest throughput, HNSW recall and
 * speed, cold start, a burst through Discord's protocol, and the dtype/thread knobs. Every
 * comparison is measured in the same run; figures are medians or percentiles of repetitions.
 * Results are also written to bench/results/ (git-ignored).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type CoreConfig, loadCoreConfig, loadEnvFile } from '../src/config.ts';
import { configureLog } from '../src/log.ts';
import { Quarry } from '../src/quarry.ts';
import { benchBurst } from './burst.ts';
import { benchColdStart } from './cold-start.ts';
import { benchHnsw, type HnswRow } from './hnsw.ts';
import { benchIngestArticle, benchIngestSynthetic } from './ingest.ts';
import { benchmarkQuestions } from './questions.ts';
import { benchSplit } from './split.ts';
import { percentile, round, rssMb } from './stats.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    // Only the HNSW section (the slow one: 1M vectors take about half an hour to build).
    'hnsw-only': { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const log = (line: string) => process.stderr.write(`${line}\n`);

loadEnvFile();
configureLog({ level: 'warn', file: null });

/** The real model when EMBEDDING_MODEL points to one (or it was fetched offline); else the fixture. */
function chooseModel(): { model: string; label: string } {
  if (process.env.EMBEDDING_MODEL)
    return { model: process.env.EMBEDDING_MODEL, label: process.env.EMBEDDING_MODEL };
  const imported = resolve('data/models/all-MiniLM-L6-v2');
  if (existsSync(join(imported, 'onnx', 'model.onnx')))
    return { model: imported, label: 'all-MiniLM-L6-v2 (imported from PyPI)' };
  return { model: resolve('test/fixtures/tiny-embedder'), label: 'fixture tiny-embedder (NOT a real model)' };
}

async function askLatency(quarry: Quarry, questions: string[], warmup: number) {
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

async function throughput(quarry: Quarry, questions: string[], concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < questions.length) await quarry.ask(questions[next++] ?? '');
    }),
  );
  return round(questions.length / ((performance.now() - started) / 1000), 1);
}

async function knobs(base: CoreConfig, workDir: string, questions: string[]) {
  const rows = [];
  const hasInt8 = existsSync(join(base.embeddingModel, 'onnx', 'model_int8.onnx'));
  const dtypes: ('fp32' | 'int8')[] = hasInt8 ? ['fp32', 'int8'] : ['fp32'];
  for (const dtype of dtypes) {
    for (const threads of [1, 2, 0]) {
      const quarry = new Quarry({
        ...base,
        embeddingDtype: dtype,
        onnxThreads: threads,
        indexDir: join(workDir, `knob-${dtype}`),
      });
      await quarry.open();
      const latency = await askLatency(quarry, questions, 10);
      rows.push({
        dtype,
        threads: threads || 'auto',
        p50Ms: latency.p50Ms,
        p99Ms: latency.p99Ms,
        qpsConcurrency1: await throughput(quarry, questions, 1),
        qpsConcurrency4: await throughput(quarry, questions, 4),
      });
      log(`knobs: ${JSON.stringify(rows.at(-1))}`);
    }
  }
  return rows;
}

async function hnswSection(config: CoreConfig): Promise<HnswRow[]> {
  const hnsw: HnswRow[] = [];
  const sizes = quick ? [10000] : [100000, 1000000];
  for (const n of sizes) {
    // 1M at efConstruction 100 keeps its single-threaded build near half an hour on this machine.
    const efs = n >= 1000000 ? [32, 64, 128] : [16, 32, 64, 128, 256];
    hnsw.push(
      ...(await benchHnsw(n, {
        m: config.hnsw.m,
        efConstruction: n >= 1000000 ? 100 : config.hnsw.efConstruction,
        efs,
        queries: quick ? 100 : 200,
        log,
      })),
    );
    log(`hnsw: ${JSON.stringify(hnsw.filter((r) => r.n === n))}`);
  }
  return hnsw;
}

function hnswTable(hnsw: HnswRow[]): string[] {
  return [
    'hnsw:      n    ef  recall@10      qps  exact qps  speed-up  build s   MB on disk',
    ...hnsw.map(
      (r) =>
        `  ${String(r.n).padStart(9)} ${String(r.ef).padStart(5)} ${r.recallAt10.toFixed(4).padStart(10)} ${String(r.qps).padStart(8)} ${String(r.exactQps).padStart(10)} ${String(r.speedupVsExact).padStart(9)} ${(r.buildMs / 1000).toFixed(1).padStart(8)} ${(r.bytes / 1048576).toFixed(1).padStart(12)}`,
    ),
  ];
}

async function main() {
  const workDir = mkdtempSync(join(tmpdir(), 'quarry-bench-'));
  try {
    const { model, label } = chooseModel();
    const config: CoreConfig = {
      ...loadCoreConfig({ ...process.env, EMBEDDING_MODEL: model }),
      indexDir: join(workDir, 'index'),
    };
    if (values['hnsw-only']) {
      const hnsw = await hnswSection(config);
      process.stdout.write(values.json ? `${JSON.stringify({ hnsw })}\n` : `${hnswTable(hnsw).join('\n')}\n`);
      return;
    }
    const questions = await benchmarkQuestions();
    log(`bench: ${label}; ${questions.length} questions; ${quick ? 'quick' : 'full'} run`);

    const quarry = new Quarry(config);
    const coldOpenStarted = performance.now();
    await quarry.open();
    log(`bench: first open (model load + index build) ${Math.round(performance.now() - coldOpenStarted)} ms`);
    const ask = await askLatency(quarry, questions, 20);
    log(`ask: ${JSON.stringify(ask)}`);

    const article = await benchIngestArticle(config, workDir);
    log(`ingest (article): ${JSON.stringify(article)}`);
    const synthetic = await benchIngestSynthetic(
      config,
      workDir,
      quick ? 150 : 10000,
      join(config.sourcesDir, '000_80816b0a4ae9937f.txt'),
    );
    log(`ingest (synthetic): ${JSON.stringify(synthetic)}`);
    const split = benchSplit(await quarry.embedder(), quick ? 0.5 : 5);
    log(`split: ${JSON.stringify(split)}`);

    const hnsw = await hnswSection(config);

    const cold = await benchColdStart(config, workDir, quick ? 1 : 3);
    log(`cold start: ${JSON.stringify(cold)}`);
    const burst = await benchBurst(config, questions, 200);
    log(`burst: ${JSON.stringify(burst)}`);
    const knobRows = quick ? [] : await knobs(config, workDir, questions.slice(0, 80));

    const result = {
      model: label,
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model ?? 'unknown',
        memoryGb: round(totalmem() / 1073741824, 1),
        node: process.version,
      },
      quick,
      ask,
      ingest: {
        passagesPerSec: article.passagesPerSec,
        unchangedReloadMs: article.unchangedReloadMs,
        article,
        synthetic,
        split,
      },
      hnsw,
      coldStartMs: cold.coldStartMs,
      coldStartRebuildMs: cold.coldStartRebuildMs,
      rssMb: cold.rssMb,
      benchProcessRssMb: rssMb(),
      burst,
      knobs: knobRows,
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(
      join('bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const lines = [
      `model: ${label} (${result.machine.cpus} × ${result.machine.cpu}, ${result.machine.memoryGb} GiB, Node ${result.machine.node})`,
      `/ask in-process: p50 ${ask.p50Ms} ms, p95 ${ask.p95Ms} ms, p99 ${ask.p99Ms} ms over ${ask.questions} questions`,
      `ingest: article ${article.passagesPerSec} passages/s (${article.passages} passages); synthetic ${synthetic.passagesPerSec} passages/s (${synthetic.passages}); unchanged reload ${article.unchangedReloadMs} ms`,
      ...hnswTable(hnsw),
      `cold start: ${cold.coldStartMs} ms with index and model on disk; ${cold.coldStartRebuildMs} ms with a forced rebuild; RSS serving the article ${cold.rssMb} MB`,
      `burst: ${burst.ackedWithin3s}/${burst.asked} acknowledged within 3 s; final reply p50 ${burst.p50Ms} ms, p99 ${burst.p99Ms} ms; ${burst.errors} errors`,
      ...knobRows.map(
        (k) =>
          `knob: ${k.dtype} threads ${k.threads}: p50 ${k.p50Ms} ms, p99 ${k.p99Ms} ms, ${k.qpsConcurrency1} q/s alone, ${k.qpsConcurrency4} q/s at concurrency 4`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
