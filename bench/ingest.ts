/**
 * Ingest throughput. Synthetic corpus: N paragraphs of 2–4 sentences of 8–20 words drawn
 * (seeded) from the article's vocabulary, one paragraph per passage, written as one Markdown file.
 * Throughput counts passages per second, each passage embedded together with its sentences
 * (what a real ingest does).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CoreConfig } from '../src/config.ts';
import { sentenceTexts } from '../src/index/search-index.ts';
import { Quarry } from '../src/quarry.ts';
import { median, percentile, round, seededRandom } from './stats.ts';

export function syntheticCorpus(paragraphs: number, vocabularySource: string): string {
  const words = [
    ...new Set(
      readFileSync(vocabularySource, 'utf8')
        .toLowerCase()
        .match(/[a-z]{3,}/g) ?? [],
    ),
  ];
  const random = seededRandom(21);
  const pick = () => words[Math.floor(random() * words.length)] ?? 'word';
  const sentence = () => {
    const length = 8 + Math.floor(random() * 13);
    const text = Array.from({ length }, pick).join(' ');
    return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  };
  const body = Array.from({ length: paragraphs }, () =>
    Array.from({ length: 2 + Math.floor(random() * 3) }, sentence).join(' '),
  );
  return `# Synthetic corpus\n\n${body.join('\n\n')}\n`;
}

export interface IngestResult {
  passages: number;
  seconds: number;
  passagesPerSec: number;
  /**
   * The same sources embedded again into a fresh index right after, with the embedding worker
   * (for jobs of ≥ 256 texts) already loaded: what a moderator's next reload within the worker's
   * idle time costs. The first figure includes starting the worker and loading its model.
   */
  warm: { seconds: number; passagesPerSec: number };
  unchangedReloadMs: number;
  /** What the ingest embedded (passages and sentences, deduplicated), for the embedding limit. */
  texts: string[];
  /** Embeds the same sources again into a fresh index (worker loaded); resolves to its seconds. */
  again: () => Promise<number>;
}

async function measure(config: CoreConfig, unchangedRuns: number): Promise<IngestResult> {
  const quarry = new Quarry(config);
  const embedder = await quarry.embedder(); // the main model's load is cold start, not ingest
  await embedder.close(); // and the first reload starts the embedding worker, if it needs one
  const summary = await quarry.reload();
  let runs = 0;
  const fresh = () => new Quarry({ ...config, indexDir: `${config.indexDir}-again-${runs++}` }).reload();
  const again = await fresh();
  const unchanged: number[] = [];
  for (let i = 0; i < unchangedRuns; i++) {
    const again = await quarry.reload();
    if (again.embedded !== 0)
      throw new Error('bench: an unchanged reload embedded texts; the cache is broken');
    unchanged.push(again.seconds * 1000);
  }
  const index = await quarry.open();
  const texts = new Set<string>();
  for (const p of index.passages) {
    texts.add(p.text);
    for (const s of sentenceTexts(p)) texts.add(s);
  }
  return {
    texts: [...texts],
    passages: summary.passages,
    seconds: summary.seconds,
    passagesPerSec: round(summary.passages / summary.seconds, 1),
    warm: { seconds: again.seconds, passagesPerSec: round(again.passages / again.seconds, 1) },
    unchangedReloadMs: round(median(unchanged), 1),
    again: async () => (await fresh()).seconds,
  };
}

export async function benchIngestArticle(base: CoreConfig, workDir: string): Promise<IngestResult> {
  const sourcesDir = join(workDir, 'article-sources');
  mkdirSync(sourcesDir, { recursive: true });
  cpSync(base.sourcesDir, sourcesDir, { recursive: true });
  return measure({ ...base, sourcesDir, indexDir: join(workDir, 'article-index') }, 5);
}

export async function benchIngestSynthetic(
  base: CoreConfig,
  workDir: string,
  paragraphs: number,
  article: string,
): Promise<IngestResult> {
  const sourcesDir = join(workDir, 'synthetic-sources');
  mkdirSync(sourcesDir, { recursive: true });
  writeFileSync(join(sourcesDir, 'synthetic.md'), syntheticCorpus(paragraphs, article));
  return measure(
    { ...base, sourcesDir, indexDir: join(workDir, 'synthetic-index'), maxSourceBytes: 512 * 1048576 },
    3,
  );
}

/**
 * `/ask` latency while a reload embeds `paragraphs` new synthetic passages: the article is
 * served, the synthetic file is added, and questions are asked one after another until the
 * reload has finished. With `articleIndex` (an index already built from `base.sourcesDir` with
 * the same config, e.g. by the bench's first open) the article's index starts as a copy of it
 * instead of being embedded again.
 */
export async function benchAskDuringReload(
  base: CoreConfig,
  workDir: string,
  paragraphs: number,
  article: string,
  questions: string[],
  articleIndex?: string,
): Promise<{
  p50Ms: number;
  p99Ms: number;
  asked: number;
  reloadSeconds: number;
  passages: number;
  embedded: number;
}> {
  const sourcesDir = join(workDir, 'reload-sources');
  mkdirSync(sourcesDir, { recursive: true });
  cpSync(base.sourcesDir, sourcesDir, { recursive: true });
  const indexDir = join(workDir, 'reload-index');
  if (articleIndex && existsSync(articleIndex))
    cpSync(articleIndex, indexDir, {
      recursive: true,
      filter: (path) => !basename(path).startsWith('write.lock'),
    });
  const quarry = new Quarry({ ...base, sourcesDir, indexDir, maxSourceBytes: 512 * 1048576 });
  await quarry.open();
  for (const q of questions.slice(0, 10)) await quarry.ask(q);
  writeFileSync(join(sourcesDir, 'synthetic.md'), syntheticCorpus(paragraphs, article));
  let done = false;
  const reload = quarry.reload().finally(() => {
    done = true;
  });
  const samples: number[] = [];
  for (let i = 0; !done; i++) {
    const started = performance.now();
    await quarry.ask(questions[i % questions.length] ?? '');
    samples.push(performance.now() - started);
  }
  const summary = await reload;
  return {
    p50Ms: round(percentile(samples, 50)),
    p99Ms: round(percentile(samples, 99)),
    asked: samples.length,
    reloadSeconds: round(summary.seconds, 1),
    passages: summary.passages,
    embedded: summary.embedded,
  };
}
