/**
 * `npm run bench [-- --quick] [-- --json]`: answer latency, ingest throughput, HNSW recall and
 * speed, cold start, a burst through Discord's protocol, and the dtype/thread knobs. Every
 * comparison is measured in the same run; figures are medians or percentiles of repetitions.
 * Results are also written to bench/results/ (git-ignored).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type CoreConfig, loadCoreConfig, loadEnvFile } from '../src/config.ts';
import type { Embedder } from '../src/embedding/embedder.ts';
import { configureLog } from '../src/log.ts';
import { findCatalogModel } from '../src/model/catalog.ts';
import { Quarry } from '../src/quarry.ts';
import { askLatency } from './ask-latency.ts';
import { benchBurst } from './burst.ts';
import { chooseModel } from './choose-model.ts';
import { benchColdStart } from './cold-start.ts';
import { benchEmbedLimit } from './embed-limit.ts';
import { benchFeedback } from './feedback.ts';
import { benchHnsw, type HnswRow, measureHnsw } from './hnsw.ts';
import { benchAskDuringReload, benchIngestArticle, benchIngestSynthetic } from './ingest.ts';
import { benchmarkQuestions } from './questions.ts';
import { loadRealTextSet, QUERY_COUNT } from './real-text.ts';
import { benchServers } from './servers.ts';
import { benchSplit } from './split.ts';
import { round, rssMb } from './stats.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    // Only the HNSW section (the slow one: 1M vectors take about half an hour to build).
    'hnsw-only': { type: 'boolean', default: false },
    // Only the per-server section (1,000 servers' memory, 50-page PDF add → first answer).
    'servers-only': { type: 'boolean', default: false },
    // Comma-separated synthetic HNSW sizes, e.g. 100000 (default: 10000 quick, else 100000,1000000;
    // "none" for none).
    sizes: { type: 'string' },
    // Only the feedback section (storage, /gaps, /stats chart): a few seconds.
    'feedback-only': { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Wall time of each section, in run order, so a slow bench shows where its minute goes.
 * `startup` is this process's start to main() (tsx's loader and every import); the npm
 * wrapper, `npm run build` and tsx's own parent process come before it and are not counted.
 */
const sectionsMs: Record<string, number> = {};
async function section<T>(name: string, work: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    sectionsMs[name] = round(performance.now() - started, 0);
  }
}

loadEnvFile();
configureLog({ level: 'warn', file: null });

/**
 * The share of questions since `before` that ran on the spinning session (ONNX_SPINNING=auto
 * chooses per question; the ingest inside the same span runs calm and is not counted).
 */
function spinShare(before: Readonly<Record<'spinning' | 'calm', number>>, embedder: Embedder) {
  const after = embedder.questionCalls();
  const spinning = after.spinning - before.spinning;
  const calm = after.calm - before.calm;
  return { spinningShare: round(spinning / Math.max(1, spinning + calm), 2) };
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
  // --sizes none: real text only.
  const sizes =
    values.sizes !== undefined
      ? values.sizes
          .split(',')
          .map(Number)
          .filter((n) => n > 0)
      : quick
        ? [10000]
        : [100000, 1000000];
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

/**
 * HNSW on real sentence embeddings (bench/real-text.ts), when they are cached for this model:
 * 5,000 of them in a quick run (to keep it near a minute), 100,000 otherwise, at the shipped M / efConstruction and a
 * few ef around the shipped one.
 */
async function hnswRealSection(config: CoreConfig, modelName: string): Promise<HnswRow[] | undefined> {
  const set = loadRealTextSet(modelName, config.embeddingDtype, quick ? 5000 : 100000);
  if (!set) {
    log(`hnsw (real text): no cached vectors for ${modelName}; run bench/real-text.ts to add them`);
    return undefined;
  }
  const efs = [...new Set([16, 32, config.hnsw.ef, 128, 256])].sort((a, b) => a - b);
  const rows = await measureHnsw(set.data, set.n, set.dimension, set.queries, quick ? 100 : QUERY_COUNT, {
    m: config.hnsw.m,
    efConstruction: config.hnsw.efConstruction,
    efs,
    log,
  });
  log(`hnsw (real text): ${JSON.stringify(rows)}`);
  return rows;
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

function feedbackLine(f: Awaited<ReturnType<typeof benchFeedback>>): string {
  return `feedback: record question + vote p50 ${f.recordP50Ms} ms, p99 ${f.recordP99Ms} ms (a CPU loop of the same median: p99 ${f.schedulingNoiseP99Ms} ms); /gaps over 10,000 questions ${f.gapsMsAt10k} ms (max ${f.gapsMaxMsAt10k}; ${f.gapCandidates} gaps in ${f.gapGroups} groups); /stats aggregation ${f.statsAggregateMsAt10k} ms, chart ${f.chartMs} ms (max ${f.chartMaxMs})`;
}

async function main() {
  // performance.now() counts from this process's start (Node's timeOrigin).
  sectionsMs.startup = round(performance.now(), 0);
  const workDir = mkdtempSync(join(tmpdir(), 'quarry-bench-'));
  try {
    const { model, name, label } = chooseModel();
    const config: CoreConfig = {
      ...loadCoreConfig({ ...process.env, EMBEDDING_MODEL: model }),
      indexDir: join(workDir, 'index'),
    };
    if (values['feedback-only']) {
      const feedback = await benchFeedback(workDir, log);
      process.stdout.write(values.json ? `${JSON.stringify({ feedback })}\n` : `${feedbackLine(feedback)}\n`);
      return;
    }
    if (values['hnsw-only']) {
      const hnsw = await hnswSection(config);
      const hnswReal = await hnswRealSection(config, name);
      process.stdout.write(
        values.json
          ? `${JSON.stringify({ hnsw, ...(hnswReal ? { hnswReal } : {}) })}\n`
          : `${[...hnswTable(hnsw), ...(hnswReal ? hnswTable(hnswReal) : [])].join('\n')}\n`,
      );
      return;
    }
    if (values['servers-only']) {
      const servers = await benchServers(config, workDir, quick ? 100 : 1000);
      process.stdout.write(`${JSON.stringify({ servers })}\n`);
      return;
    }
    const questions = await section('questions', benchmarkQuestions);
    log(`bench: ${label}; ${questions.length} questions; ${quick ? 'quick' : 'full'} run`);

    const quarry = new Quarry(config);
    await section('firstOpen', () => quarry.open());
    log(`bench: first open (model load + index build) ${sectionsMs.firstOpen} ms`);
    const embedderForCalls = await quarry.embedder();
    const callsBeforeAsk = embedderForCalls.questionCalls();
    const ask = {
      ...(await section('ask', () => askLatency(quarry, questions, 20))),
      ...spinShare(callsBeforeAsk, embedderForCalls),
    };
    log(`ask: ${JSON.stringify(ask)}`);

    // The article the synthetic corpora draw their vocabulary from.
    const articleFile = join(config.sourcesDir, '000_80816b0a4ae9937f.txt');
    const article = await section('ingestArticle', () => benchIngestArticle(config, workDir));
    log(`ingest (article): ${JSON.stringify({ ...article, texts: article.texts.length })}`);
    const synthetic = await section('ingestSynthetic', () =>
      benchIngestSynthetic(config, workDir, quick ? 150 : 10000, articleFile),
    );
    const { texts: syntheticTexts, again: _again, ...syntheticFigures } = synthetic;
    log(`ingest (synthetic): ${JSON.stringify(syntheticFigures)}`);
    const split = await section('split', () => benchSplit(embedderForCalls, quick ? 0.5 : 5));
    log(`split: ${JSON.stringify(split)}`);
    const catalog = findCatalogModel(name);
    const embedder = await quarry.embedder();
    const callsBeforeLimit = embedder.questionCalls();
    const embedLimit = await section('embedLimit', () =>
      benchEmbedLimit({
        modelDir: config.embeddingModel,
        dtype: config.embeddingDtype,
        maxTokens: embedder.maxTokens,
        queryPrefix: config.queryPrefix ?? catalog?.queryPrefix ?? '',
        passagePrefix: config.passagePrefix ?? catalog?.passagePrefix ?? '',
        questions,
        texts: syntheticTexts,
        passages: synthetic.passages,
        repeats: quick ? 1 : 3,
        alongside: (q) => quarry.ask(q),
        ingestAlongside: synthetic.again,
      }),
    );
    const {
      alongside: askBesideLimit,
      ingestAlongside: ingestBesideLimit,
      ...embedLimitFigures
    } = embedLimit;
    const askBesideLimitSpin = spinShare(callsBeforeLimit, embedder);
    log(`embedding limit (raw onnxruntime): ${JSON.stringify(embedLimit)}`);

    const askDuringReload = await section('askDuringReload', () =>
      benchAskDuringReload(
        config,
        workDir,
        quick ? 200 : 2000,
        articleFile,
        questions,
        config.indexDir, // the first open built it from config.sourcesDir
      ),
    );
    log(`ask during reload: ${JSON.stringify(askDuringReload)}`);

    const hnsw = await section('hnsw', () => hnswSection(config));
    const hnswReal = await section('hnswReal', () => hnswRealSection(config, name));

    const cold = await section('coldStart', () => benchColdStart(config, workDir, quick ? 1 : 3));
    log(`cold start: ${JSON.stringify(cold)}`);
    const burst = await section('burst', () => benchBurst(config, questions, 200));
    log(`burst: ${JSON.stringify(burst)}`);
    const knobRows = quick
      ? []
      : await section('knobs', () => knobs(config, workDir, questions.slice(0, 80)));
    const servers = await section('servers', () => benchServers(config, workDir, quick ? 100 : 1000));
    log(`servers: ${JSON.stringify(servers)}`);
    const feedback = await section('feedback', () => benchFeedback(workDir, log));
    log(`feedback: ${JSON.stringify(feedback)}`);
    sectionsMs.total = round(performance.now(), 0);
    log(`bench: sections (ms, wall): ${JSON.stringify(sectionsMs)}`);

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
        article: { ...article, texts: article.texts.length },
        synthetic: { ...syntheticFigures, texts: syntheticTexts.length },
        split,
        /** Synthetic ingest against the raw-runtime limit for the same texts (first reload). */
        ofEmbedLimit: round(synthetic.passagesPerSec / embedLimit.passagesPerSec, 2),
        /** The same with the embedding worker already loaded (the next reload). */
        ofEmbedLimitWarm: round(synthetic.warm.passagesPerSec / embedLimit.passagesPerSec, 2),
        /**
         * The warm ingest again, run right after the limit's throughput pass (alternating when
         * repeated): the ratio from the same moments of a shared machine's load.
         */
        besideLimit: ingestBesideLimit,
      },
      embedLimit: embedLimitFigures,
      /**
       * `/ask` again, timed in blocks alternating with the limit's questions: the ratios the
       * targets are about, from the same moments (`ask` above ran minutes earlier).
       */
      askBesideLimit: askBesideLimit && {
        ...askBesideLimit,
        ...askBesideLimitSpin,
        p50OfLimitP50: round(askBesideLimit.p50Ms / embedLimit.p50Ms, 2),
        p99OfP50: round(askBesideLimit.p99Ms / askBesideLimit.p50Ms, 2),
        limitP99OfP50: round(embedLimit.p99Ms / embedLimit.p50Ms, 2),
      },
      askDuringReload,
      hnsw,
      ...(hnswReal ? { hnswReal } : {}),
      coldStartMs: cold.coldStartMs,
      coldStartRebuildMs: cold.coldStartRebuildMs,
      rssMb: cold.rssMb,
      benchProcessRssMb: rssMb(),
      burst,
      knobs: knobRows,
      servers,
      feedback,
      /** Wall time of each section in run order; `total` is this process's start to the last section's end. */
      sectionsMs,
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
      `ingest: article ${article.passagesPerSec} passages/s (${article.passages} passages); synthetic ${synthetic.passagesPerSec} passages/s (${synthetic.passages}), ${synthetic.warm.passagesPerSec} with the embedding worker loaded; unchanged reload ${article.unchangedReloadMs} ms`,
      `embedding limit (raw onnxruntime, ${embedLimit.threads} threads): one question p50 ${embedLimit.p50Ms} ms; ${embedLimit.passagesPerSec} passages/s (ingest reaches ${result.ingest.ofEmbedLimit} of it, ${result.ingest.ofEmbedLimitWarm} with the worker loaded, ${result.ingest.besideLimit?.ofLimit} right after the limit's pass)`,
      ...(result.askBesideLimit
        ? [
            `/ask beside the limit (alternating blocks): p50 ${result.askBesideLimit.p50Ms} ms = ${result.askBesideLimit.p50OfLimitP50} × the limit's, p99 ${result.askBesideLimit.p99Ms} ms = ${result.askBesideLimit.p99OfP50} × p50 (the raw call alone: ${result.askBesideLimit.limitP99OfP50} ×)`,
          ]
        : []),
      `/ask during a reload of ${askDuringReload.passages} passages: p50 ${askDuringReload.p50Ms} ms, p99 ${askDuringReload.p99Ms} ms over ${askDuringReload.asked} questions`,
      ...hnswTable(hnsw),
      ...(hnswReal ? ['real text:', ...hnswTable(hnswReal)] : []),
      `cold start: ${cold.coldStartMs} ms with index and model on disk; ${cold.coldStartRebuildMs} ms with a forced rebuild; RSS serving the article ${cold.rssMb} MB`,
      `burst: ${burst.ackedWithin3s}/${burst.asked} acknowledged within 3 s; final reply p50 ${burst.p50Ms} ms, p99 ${burst.p99Ms} ms; ${burst.errors} errors`,
      `servers: ${JSON.stringify(servers.allLoaded)}; capped at 200: ${JSON.stringify(servers.capped)}`,
      `PDF add (${servers.pdf.pages} pages, ${servers.pdf.passages} passages) → first answer: ${servers.pdf.firstAnswerMs} ms (extract ${servers.pdf.extractMs} ms, cited page ${servers.pdf.citedPage})`,
      feedbackLine(feedback),
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
