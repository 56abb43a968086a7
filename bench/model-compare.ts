/**
 * Two embedding models side by side (issue 9: is a bigger model worth it?):
 *
 *   npx tsx bench/model-compare.ts [--rounds 2] all-MiniLM-L6-v2 all-mpnet-base-v2
 *
 * Each round runs one child process per model, alternating (A, B, A, B), so the figures of a
 * shared machine are taken under the same load. A child ingests the article into a fresh index
 * (no embedding cache: the model's real ingest cost), asks 20 warm-up questions, then asks every
 * benchmark question (bench/questions.ts) once, timing `Quarry.ask`, and reports its RSS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCoreConfig } from '../src/config.ts';
import { Quarry } from '../src/quarry.ts';
import { askLatency } from './ask-latency.ts';
import { benchmarkQuestions } from './questions.ts';
import { round, rssMb } from './stats.ts';

const WARMUP = 20;

async function child(): Promise<void> {
  const indexDir = mkdtempSync(join(tmpdir(), 'quarry-model-compare-'));
  try {
    const quarry = new Quarry({ ...loadCoreConfig(), indexDir });
    const loadStarted = performance.now();
    await (await quarry.embedder()).embed(['warm the model'], 'query');
    const modelLoadMs = performance.now() - loadStarted;
    const ingest = await quarry.reload();
    const latency = await askLatency(quarry, await benchmarkQuestions(), WARMUP);
    const result = {
      model: process.env.EMBEDDING_MODEL,
      modelLoadMs: round(modelLoadMs, 0),
      ingestSeconds: round(ingest.seconds, 2),
      passages: ingest.passages,
      embedded: ingest.embedded,
      ...latency,
      rssMb: rssMb(),
    };
    await (await quarry.embedder()).close();
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    rmSync(indexDir, { recursive: true, force: true });
  }
}

function parent(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { rounds: { type: 'string', default: '2' } },
  });
  const models = positionals.length ? positionals : ['all-MiniLM-L6-v2', 'all-mpnet-base-v2'];
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const model of models) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename], {
        env: { ...process.env, EMBEDDING_MODEL: model, MODEL_COMPARE_CHILD: '1', LOG_LEVEL: 'error' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      process.stdout.write(`round ${round} ${out}`);
    }
  }
}

if (process.env.MODEL_COMPARE_CHILD) await child();
else parent();
