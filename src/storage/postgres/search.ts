/**
 * Retrieval over a Postgres-backed snapshot with the same scoring code as the file backend
 * (src/search/retrieve.ts): BM25 runs in process over the snapshot's passage texts, pgvector
 * supplies the dense neighbours, and the vectors of every candidate are fetched so cosines are
 * computed exactly as for an in-memory index — same vectors, same scores.
 *
 * Which lexical candidates `search` will score is whatever it asks BM25 for: a first, vector-less
 * pass records that (no database involved), then one query fetches the dense neighbours and the
 * vectors of every candidate, and the second pass scores them. So this module does not need to
 * know how `search` builds its lexical query.
 */
import type { StoredPassage } from '../../index/store.ts';
import type { Neighbour } from '../../index/vector-index.ts';
import type { Expansion } from '../../search/expansion.ts';
import {
  type SearchableIndex,
  type SearchOptions,
  type SearchOutcome,
  search,
} from '../../search/retrieve.ts';
import { cosineAt } from '../../search/vectors.ts';
import type { PostgresIndexes, RemoteSnapshot } from './indexes.ts';

/** Dense candidates asked of pgvector: as many as `search` takes from hnswlib. */
const DENSE_CANDIDATES = 50;

function cosine(stored: Float32Array, query: Float32Array): number {
  let norm = 0;
  for (const x of query) norm += x * x;
  return norm > 0 ? cosineAt(stored, query, 0) / Math.sqrt(norm) : 0;
}

/** The labels `search` takes from BM25 for this question (scores of this pass are discarded). */
function lexicalCandidates(
  snapshot: RemoteSnapshot,
  question: string,
  queryVector: Float32Array,
  options: SearchOptions,
  isRareWord: (word: string) => boolean,
  expand: Expansion | undefined,
): number[] {
  const labels = new Set<number>();
  const lexical = new Proxy(snapshot.lexical, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property !== 'query' || typeof value !== 'function') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (...args: Parameters<typeof target.query>) => {
        const hits = target.query(...args);
        for (const hit of hits) labels.add(hit.label);
        return hits;
      };
    },
  });
  // Remote snapshots number every passage's sentences from row 0: one zero block serves all.
  const longest = snapshot.passages.reduce((n, p) => Math.max(n, p.sentences.length), 0);
  search(
    {
      passages: snapshot.passages,
      sentenceVectors: new Float32Array(longest * queryVector.length),
      lexical,
      vectors: { search: () => [], similarityTo: () => 0 },
    },
    question,
    queryVector,
    options,
    isRareWord,
    expand,
  );
  return [...labels];
}

/** 'stale': another process published a newer generation of this scope; reload and ask again. */
export async function searchRemote(
  indexes: PostgresIndexes,
  snapshot: RemoteSnapshot,
  question: string,
  queryVector: Float32Array,
  options: SearchOptions,
  /** `search`'s rare-word test, passed through unchanged. */
  isRareWord: (word: string) => boolean,
  /** `search`'s lexical expansion (LEXICAL_EXPANSION), passed through unchanged. */
  expand?: Expansion,
): Promise<SearchOutcome | 'stale'> {
  const lexicalLabels =
    options.mode === 'dense'
      ? []
      : lexicalCandidates(snapshot, question, queryVector, options, isRareWord, expand);
  const found = await indexes.dense(
    snapshot,
    queryVector,
    options.mode === 'bm25' ? 0 : DENSE_CANDIDATES,
    lexicalLabels,
  );
  if (found.current !== snapshot.generation) return 'stale';

  // A sparse view of the snapshot holding only the candidates, with their sentence vectors in
  // one block.
  const passages: StoredPassage[] = [];
  const blocks: Float32Array[] = [];
  let row = 0;
  for (const [label, v] of found.vectors) {
    const passage = snapshot.passages[label];
    if (!passage) continue;
    passages[label] = { ...passage, sentenceRow: row };
    row += passage.sentences.length;
    blocks.push(v.sentences);
  }
  const sentenceVectors = new Float32Array(row * queryVector.length);
  let at = 0;
  for (const block of blocks) {
    sentenceVectors.set(block, at);
    at += block.length;
  }
  const similarityTo = (label: number, query: Float32Array): number => {
    const v = found.vectors.get(label);
    return v ? cosine(v.embedding, query) : 0;
  };
  const view: SearchableIndex = {
    passages,
    sentenceVectors,
    lexical: snapshot.lexical,
    vectors: {
      similarityTo,
      search: (query, k): Neighbour[] =>
        found.neighbours
          .map((label) => ({ label, similarity: similarityTo(label, query) }))
          .sort((a, b) => b.similarity - a.similarity)
          .slice(0, k),
    },
  };
  return search(view, question, queryVector, options, isRareWord, expand);
}
