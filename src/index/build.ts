/**
 * Builds a complete index from passages: embeds what the cache does not already hold (passages
 * and their sentences), builds the search structures (search-index.ts) and writes a new
 * generation. Returns the new index and how many texts needed the model.
 */
import type { Embedder } from '../embedding/embedder.ts';
import { errorMessage, UserFacingError } from '../errors.ts';
import type { Passage } from '../passages/split.ts';
import type { ProgressListener } from '../progress.ts';
import { EmbeddingCache } from './embedding-cache.ts';
import { buildVectorIndexes, type SearchIndex, sentenceTexts, toSearchIndex } from './search-index.ts';
import { type SourceSummary, writeIndex } from './store.ts';
import type { HnswParameters } from './vector-index.ts';

export interface BuildInput {
  indexDir: string;
  embedder: Embedder;
  hnsw: HnswParameters;
  passages: Passage[];
  sources: SourceSummary[];
  onProgress?: ProgressListener;
}

export interface BuildOutcome {
  index: SearchIndex;
  /** Texts (passages and sentences) that needed the model; the rest came from the cache. */
  embedded: number;
}

// Storage failures a moderator can do something about (full disk, quota, permissions, a file
// where a folder should be), as opposed to bugs.
const STORAGE_ERRORS = new Set([
  'ENOSPC',
  'EDQUOT',
  'EFBIG',
  'EROFS',
  'EACCES',
  'EPERM',
  'ENOTDIR',
  'EEXIST',
  'EIO',
  'EMFILE',
]);

/** Builds and writes a new index; a storage failure leaves the live index untouched and says so. */
export async function buildIndex(input: BuildInput): Promise<BuildOutcome> {
  try {
    return await buildAndWrite(input);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code && STORAGE_ERRORS.has(code)) {
      throw new UserFacingError(
        'index.write-failed',
        `could not write the new index in ${input.indexDir} (${code}: ${errorMessage(error)})`,
        'the previous index is still serving; free disk space or fix permissions, then reload again',
      );
    }
    throw error;
  }
}

async function buildAndWrite(input: BuildInput): Promise<BuildOutcome> {
  const { embedder, passages, onProgress } = input;
  const modelKey = `${embedder.modelId}|${embedder.fingerprint}`;
  const cache = await EmbeddingCache.open(input.indexDir, modelKey, embedder.dimension);

  const allTexts = new Set<string>();
  for (const p of passages) {
    allTexts.add(p.text);
    for (const s of sentenceTexts(p)) allTexts.add(s);
  }
  const missing = [...allTexts].filter((t) => !cache.get(t));
  if (missing.length > 0) {
    const vectors = await embedder.embed(missing, 'passage', onProgress);
    missing.forEach((text, i) => {
      const v = vectors[i];
      if (v) cache.set(text, v);
    });
  }
  onProgress?.({
    stage: 'embedding',
    done: allTexts.size,
    total: allTexts.size,
    detail: `(${missing.length} new)`,
  });

  const vector = (text: string): Float32Array => {
    const v = cache.get(text);
    if (!v) throw new Error(`index: no embedding for a passage text after embedding (${text.slice(0, 40)}…)`);
    return v;
  };
  const built = buildVectorIndexes(passages, vector, embedder.dimension, input.hnsw);

  onProgress?.({ stage: 'saving' });
  cache.retainOnly(allTexts);
  await cache.save();
  const { manifest, generation, bytes } = await writeIndex(input.indexDir, {
    model: { id: embedder.modelId, fingerprint: embedder.fingerprint, dimension: embedder.dimension },
    passageMaxTokens: embedder.maxTokens,
    hnsw: input.hnsw,
    sources: input.sources,
    ...built,
  });
  return { index: toSearchIndex({ manifest, generation, ...built }, bytes), embedded: missing.length };
}
