/**
 * `npm run bench:postgres` (needs DATABASE_URL): the Postgres + pgvector backend against the
 * embedded files + hnswlib on the same questions and the same vectors —
 * 1. the filtered-HNSW trap (bench/postgres-filter.ts);
 * 2. answer quality on the dev and own sets with both backends (must be identical);
 * 3. /ask p50/p99 (question embedding included) and search alone, both backends;
 * 4. 1,000 servers × 20 passages: memory per process, first-question p50 and (all loaded) query p50, both backends,
 *    each in a fresh child process (bench/servers-child.ts);
 * 5. feedback storage, SQLite file vs Postgres: recording a question, a vote, and the /stats and
 *    /gaps queries at 10,000 stored questions (bench/feedback-storage.ts).
 * `-- --feedback` runs section 5 only (a minute or two).
 * Results also go to bench/results/postgres-*.json (git-ignored).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { type CoreConfig, loadCoreConfig, loadEnvFile } from '../src/config.ts';
import { evaluate, readQuestions } from '../src/eval/evaluate.ts';
import { FeedbackStore } from '../src/feedback/store.ts';
import { configureLog } from '../src/log.ts';
import { Quarry } from '../src/quarry.ts';
import { KnowledgeBases } from '../src/servers/knowledge-bases.ts';
import { PostgresFeedbackStore } from '../src/storage/postgres/feedback.ts';
import { PostgresIndexes } from '../src/storage/postgres/indexes.ts';
import { closeDatabases } from '../src/storage/postgres/pool.ts';
import { benchFeedbackStorage } from './feedback-storage.ts';
import { benchFilteredSearch } from './postgres-filter.ts';
import { benchmarkQuestions } from './questions.ts';
import { percentile, round } from './stats.ts';

loadEnvFile();
configureLog({ level: 'warn', file: null });
const log = (line: string) => process.stderr.write(`${line}\n`);
const url = process.env.DATABASE_URL;
if (!url) throw new Error('bench: set DATABASE_URL (postgres://…)');
const servers = Number(process.env.BENCH_SERVERS ?? 1000);
const schema = `bench_${process.pid}`;

const imported = resolve('data/models/all-MiniLM-L6-v2');
const model =
  process.env.EMBEDDING_MODEL ??
  (existsSync(join(imported, 'onnx', 'model.onnx')) ? imported : resolve('test/fixtures/tiny-embedder'));
const work = mkdtempSync(join(tmpdir(), 'quarry-bench-pg-'));
const baseEnv = {
  EMBEDDING_MODEL: model,
  SOURCES_DIR: resolve('data/sources'),
  MODEL_CACHE_DIR: resolve('data/models'),
  URL_SOURCES_FILE: join(work, 'none.json'),
};
const filesConfig = loadCoreConfig({
  ...baseEnv,
  INDEX_DIR: join(work, 'files-index'),
  SERVERS_DIR: join(work, 'files-servers'),
});
const pgConfig: CoreConfig = loadCoreConfig({
  ...baseEnv,
  INDEX_DIR: join(work, 'pg-index'),
  SERVERS_DIR: join(work, 'pg-servers'),
  DATABASE_URL: url,
  DATABASE_SCHEMA: schema,
});

async function latency(quarry: Quarry, questions: string[]) {
  for (const q of questions.slice(0, 20)) await quarry.ask(q);
  const ask: number[] = [];
  const search: number[] = [];
  const embedder = await quarry.embedder();
  for (const q of questions) {
    const started = performance.now();
    await quarry.ask(q);
    ask.push(performance.now() - started);
    const [queryVector] = await embedder.embed([q], 'query');
    const before = performance.now();
    await quarry.ask(q, { ...(queryVector ? { queryVector } : {}) });
    search.push(performance.now() - before);
  }
  return {
    askP50Ms: round(percentile(ask, 50)),
    askP99Ms: round(percentile(ask, 99)),
    searchP50Ms: round(percentile(search, 50)),
    searchP99Ms: round(percentile(search, 99)),
    questions: ask.length,
  };
}

function runChild(args: string[], env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', join('dist', 'bench', 'servers-child.js'), ...args],
      {
        env: { ...process.env, ...env, LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.on('exit', (code) =>
      code === 0
        ? done(JSON.parse(output.trim().split('\n').at(-1) ?? '{}'))
        : fail(new Error(`child exited ${code}`)),
    );
  });
}

/** One 20-passage server built once; the files backend copies its folder, Postgres its rows. */
async function manyServers() {
  const template = '100000000000000000';
  const bases = new KnowledgeBases(filesConfig);
  const sources = join(filesConfig.serversDir, template, 'sources');
  mkdirSync(sources, { recursive: true });
  cpSync(join(filesConfig.sourcesDir, '000_80816b0a4ae9937f.txt'), join(sources, 'article.txt'));
  await bases.forServer(template).reload();
  const index = await bases.forServer(template).quarry.open();
  const indexes = await PostgresIndexes.open({ url: url ?? '', schema, efSearch: pgConfig.hnsw.ef });
  const started = performance.now();
  for (let i = 0; i < servers; i++) await indexes.publish(String(300000000000000000n + BigInt(i)), index);
  log(`bench: ${servers} servers published to Postgres in ${round((performance.now() - started) / 1000)} s`);
  // The shared index must exist in Postgres too before the child opens it.
  await new Quarry(pgConfig).open();
  const empty = join(work, 'empty-template');
  mkdirSync(empty, { recursive: true });
  const common = { ...baseEnv, MAX_LOADED_SERVERS: String(servers) };
  const files = await runChild(['servers', String(servers), join(filesConfig.serversDir, template)], {
    ...common,
    INDEX_DIR: filesConfig.indexDir,
    SERVERS_DIR: join(work, 'files-many'),
  });
  const postgres = await runChild(['servers', String(servers), empty], {
    ...common,
    INDEX_DIR: pgConfig.indexDir,
    SERVERS_DIR: join(work, 'pg-many'),
    DATABASE_URL: url,
    DATABASE_SCHEMA: schema,
  });
  return { passagesPerServer: index.passages.length, files, postgres };
}

/** The same interface the bot uses, on the SQLite file and on Postgres, with the same data. */
async function feedbackStorage() {
  const options = {
    count: Number(process.env.BENCH_FEEDBACK_QUESTIONS ?? 10_000),
    records: 1000,
    // One clock for both, so both report windows hold the same questions.
    now: Date.now(),
  };
  const sqlite = FeedbackStore.open(join(work, 'feedback.db'));
  const postgres = await PostgresFeedbackStore.open({ url: url ?? '', schema, efSearch: pgConfig.hnsw.ef });
  try {
    return {
      sqlite: await benchFeedbackStorage(sqlite, options),
      postgres: await benchFeedbackStorage(postgres, options),
    };
  } finally {
    sqlite.close();
  }
}

function writeReport(report: Record<string, unknown>): void {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    join('bench/results', `postgres-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

try {
  if (process.argv.includes('--feedback')) {
    log('bench: feedback storage, SQLite vs Postgres');
    writeReport({ feedback: await feedbackStorage() });
  } else {
    await everything();
  }
} finally {
  await closeDatabases();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  rmSync(work, { recursive: true, force: true });
}

async function everything() {
  log('bench: filtered HNSW search (10 servers × 1,000 vectors, k = 50)');
  const filter = await benchFilteredSearch(url ?? '');
  const files = new Quarry(filesConfig);
  const postgres = new Quarry(pgConfig);
  await files.open();
  await postgres.open();
  log('bench: answer quality, both backends');
  const quality: Record<string, unknown> = {};
  for (const set of ['dev', 'own']) {
    const questions = await readQuestions(`test/eval/questions.${set}.jsonl`);
    const a = await evaluate(files, questions);
    const b = await evaluate(postgres, questions);
    const figures = (r: typeof a) => ({
      hitAt1: r.hitAt1,
      hitAt3: r.hitAt3,
      mrr: r.mrr,
      abstain: r.abstainRate,
      falseAbstain: r.falseAbstainRate,
    });
    quality[set] = {
      files: figures(a),
      postgres: figures(b),
      sameResultsAndScores: JSON.stringify(a.questions) === JSON.stringify(b.questions),
    };
  }
  log('bench: /ask latency, both backends');
  const questions = await benchmarkQuestions();
  const ask = { files: await latency(files, questions), postgres: await latency(postgres, questions) };
  log(`bench: ${servers} servers × 20 passages, both backends`);
  const many = await manyServers();
  log('bench: feedback storage, SQLite vs Postgres');
  const feedback = await feedbackStorage();
  writeReport({ model, filter, quality, ask, servers: many, feedback });
}
