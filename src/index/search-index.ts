/**
 * The one in-memory index everything answers from, and the one place both search structures
 * are built: the HNSW graph and the sentence-vector block from embeddings, BM25 from the
 * passage texts. A loaded index reads its HNSW graph from disk instead and gets BM25 here, which
 * is never stored (rebuilding it from the passages takes milliseconds).
 */
import type { Passage } from '../passages/split.ts';
import { LexicalIndex } from '../search/lexical-index.ts';
import type { SourceSummary, StoredIndex, StoredPassage } from './store.ts';
import { type HnswParameters, VectorIndex } from './vector-index.ts';

export interface SearchIndex extends StoredIndex {
  /** Size of the generation on disk. */
  bytes: number;
  lexical: LexicalIndex;
  /** The manifest's sources by id, for citations. */
  sources: ReadonlyMap<string, SourceSummary>;
}

/** The texts of a passage's sentences, in order: what the sentence-vector block holds. */
export function sentenceTexts(passage: Passage): string[] {
  return passage.sentences.map((s) => passage.text.slice(s.start - passage.start, s.end - passage.start));
}

/**
 * The HNSW graph (label = position in `passages`) and the sentence-vector block, from each
 * text's embedding.
 */
export function buildVectorIndexes(
  passages: readonly Passage[],
  vectorOf: (text: string) => Float32Array,
  dimension: number,
  hnsw: HnswParameters,
): { passages: StoredPassage[]; vectors: VectorIndex; sentenceVectors: Float32Array } {
  const vectors = VectorIndex.create(dimension, passages.length, hnsw);
  const stored: StoredPassage[] = [];
  const sentenceCount = passages.reduce((n, p) => n + p.sentences.length, 0);
  const sentenceVectors = new Float32Array(sentenceCount * dimension);
  let row = 0;
  passages.forEach((p, label) => {
    vectors.add(vectorOf(p.text), label);
    stored.push({ ...p, sentenceRow: row });
    for (const s of sentenceTexts(p)) sentenceVectors.set(vectorOf(s), row++ * dimension);
  });
  return { passages: stored, vectors, sentenceVectors };
}

/** Completes a stored (loaded or just written) index with what is derived in memory. */
export function toSearchIndex(stored: StoredIndex, bytes: number): SearchIndex {
  return {
    ...stored,
    bytes,
    lexical: new LexicalIndex(
      stored.passages.map((p) => p.text),
      stored.manifest.sources,
    ),
    sources: new Map(stored.manifest.sources.map((s) => [s.id, s])),
  };
}
