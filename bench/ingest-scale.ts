/**
 * `npm run bench:ingest -- --passages 2000 [--repeats 2] [--json]`: ingest throughput at a size
 * the quick bench does not reach (a 300-page PDF is roughly 1,000–2,000 passages), against the
 * embedding limit on the same texts. Each repeat runs, back to back:
 *   1. a FIRST reload: the embedding worker is stopped first, so the reload starts it and loads
 *      its model (what a moderator's first large reload pays);
 *   2. the same sources into a fresh index with the worker loaded (the next reload);
 *   3. the limit: the texts those reloads embedded, pre-tokenised, length-sorted batches of 32 on
 *      onnxruntime's own sessions, spinning and not, the faster taken (bench/embed-limit.ts).
 * Ratios are taken within a repeat, so each compares moments seconds apart; the load average is
 * printed beside each repeat because other jobs may share the cores.
 * `--ask-during-reload` then reloads the same size once more while questions are asked back to
 * back (bench/ingest.ts's benchAskDuringReload, as the full bench does at 2,000 passages):
 * `/ask` p50 / p99 during a reload of that size, without the rest of the full bench.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type CoreConfig, loadCoreConfig, loadEnvFile } from '../src/config.ts';
import { sentenceTexts } from '../src/index/search-index.ts';
import { configureLog } from '../src/log.ts';
import { findCatalogModel } from '../src/model/catalog.ts';
import { Quarry } from '../src/quarry.ts';
import { chooseModel } from './choose-model.ts';
import { openRawSession, runSorted } from './embed-limit.ts';
import { benchAskDuringReload, syntheticCorpus } from './ingest.ts';
import { benchmarkQuestions } from './questions.ts';
import { round } from './stats.ts';

const { values } = parseArgs({
  options: {
    passages: { type: 'string', default: '2000' },
    repeats: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
    'ask-during-reload': { type: 'boolean', default: false },
  },
});
const log = (line: string) => process.stderr.write(`${line}\n`);
const load = () => round(loadavg()[0] ?? 0, 2);

loadEnvFile();
configureLog({ level: 'warn', file: null });

interface Repeat {
  loadAverage: number;
  firstReload: { seconds: number; passagesPerSec: number; ofLimit: number };
  workerLoaded: { seconds: number; passagesPerSec: number; ofLimit: number };
  /** What starting the worker cost this first reload: its seconds minus the worker-loaded one's. */
  firstExtraSeconds: number;
  limit: { seconds: number; passagesPerSec: number; spinningSeconds: number; calmSeconds: number };
}

async function main() {
  const paragraphs = Number(values.passages);
  const repeats = Number(values.repeats);
  if (!(paragraphs > 0 && repeats > 0)) throw new Error('bench: --passages and --repeats must be positive');
  const workDir = mkdtempSync(join(tmpdir(), 'quarry-bench-ingest-'));
  try {
    const { model, name, label } = chooseModel();
    const base = loadCoreConfig({ ...process.env, EMBEDDING_MODEL: model });
    const sourcesDir = join(workDir, 'sources');
    mkdirSync(sourcesDir, { recursive: true });
    writeFileSync(
      join(sourcesDir, 'synthetic.md'),
      syntheticCorpus(paragraphs, join(base.sourcesDir, '000_80816b0a4ae9937f.txt')),
    );
    let runs = 0;
    const config = (): CoreConfig => ({
      ...base,
      sourcesDir,
      indexDir: join(workDir, `index-${runs++}`),
      maxSourceBytes: 512 * 1048576,
    });
    const embedder = await new Quarry(config()).embedder(); // the main model's load is cold start
    const catalog = findCatalogModel(name);
    const raw = {
      modelDir: base.embeddingModel,
      dtype: base.embeddingDtype,
      maxTokens: embedder.maxTokens,
    };
    const sessions = [
      await openRawSession({ ...raw, spinning: true }),
      await openRawSession({ ...raw, spinning: false }),
    ] as const;
    const passagePrefix = base.passagePrefix ?? catalog?.passagePrefix ?? '';
    log(`bench: ${label}; synthetic corpus of ${paragraphs} paragraphs; ${repeats} repeats`);

    let encoded: ReturnType<(typeof sessions)[0]['encode']>[] | null = null;
    let passages = 0;
    const rows: Repeat[] = [];
    for (let r = 0; r < repeats; r++) {
      const loadAverage = load();
      await embedder.close(); // stops the worker: the next reload starts it
      const first = new Quarry(config());
      const firstSummary = await first.reload();
      passages = firstSummary.passages;
      const warm = await new Quarry(config()).reload();
      if (!encoded) {
        const texts = new Set<string>();
        for (const p of (await first.open()).passages) {
          texts.add(p.text);
          for (const s of sentenceTexts(p)) texts.add(s);
        }
        encoded = [...texts].map((t) => sessions[0].encode(passagePrefix + t));
        for (const session of sessions) await session.run(encoded.slice(0, 32)); // warm-up
      }
      const spinningSeconds = await runSorted(sessions[0], encoded);
      const calmSeconds = await runSorted(sessions[1], encoded);
      const limitSeconds = Math.min(spinningSeconds, calmSeconds);
      const limitRate = passages / limitSeconds;
      const rate = (seconds: number) => ({
        seconds: round(seconds),
        passagesPerSec: round(passages / seconds, 1),
        ofLimit: round(passages / seconds / limitRate, 2),
      });
      rows.push({
        loadAverage,
        firstReload: rate(firstSummary.seconds),
        workerLoaded: rate(warm.seconds),
        firstExtraSeconds: round(firstSummary.seconds - warm.seconds),
        limit: {
          seconds: round(limitSeconds),
          passagesPerSec: round(limitRate, 1),
          spinningSeconds: round(spinningSeconds),
          calmSeconds: round(calmSeconds),
        },
      });
      log(`repeat ${r + 1}: ${JSON.stringify(rows.at(-1))}`);
    }
    for (const session of sessions) await session.release();
    await embedder.close();
    const askDuringReload = values['ask-during-reload']
      ? { loadAverage: load(), ...(await askDuringReloadOf(base, workDir, paragraphs)) }
      : undefined;
    if (askDuringReload) log(`ask during reload: ${JSON.stringify(askDuringReload)}`);
    const result = {
      model: label,
      passages,
      texts: encoded?.length ?? 0,
      loadAtEnd: load(),
      repeats: rows,
      ...(askDuringReload ? { askDuringReload } : {}),
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    process.stdout.write(
      `${[
        `ingest at ${passages} passages (${result.texts} texts), ${label}:`,
        'load  first reload p/s → ÷ limit   worker loaded p/s → ÷ limit   limit p/s   first − loaded s',
        ...rows.map(
          (r) =>
            `${r.loadAverage.toFixed(2).padStart(5)}  ${String(r.firstReload.passagesPerSec).padStart(16)} → ${r.firstReload.ofLimit.toFixed(2)}   ${String(r.workerLoaded.passagesPerSec).padStart(17)} → ${r.workerLoaded.ofLimit.toFixed(2)}   ${String(r.limit.passagesPerSec).padStart(9)}   ${r.firstExtraSeconds.toFixed(2).padStart(16)}`,
        ),
        ...(askDuringReload
          ? [
              `/ask during a reload of ${askDuringReload.passages} passages (load ${askDuringReload.loadAverage}): p50 ${askDuringReload.p50Ms} ms, p99 ${askDuringReload.p99Ms} ms, ${askDuringReload.asked} questions in ${askDuringReload.reloadSeconds} s`,
            ]
          : []),
        `load at the end ${result.loadAtEnd}`,
      ].join('\n')}\n`,
    );
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The benchmark questions asked back to back during one more reload of the same size. */
async function askDuringReloadOf(base: CoreConfig, workDir: string, paragraphs: number) {
  const article = join(base.sourcesDir, '000_80816b0a4ae9937f.txt');
  return benchAskDuringReload(
    base,
    join(workDir, 'ask-during'),
    paragraphs,
    article,
    await benchmarkQuestions(),
  );
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
