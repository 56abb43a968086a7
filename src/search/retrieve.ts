/**
 * Hybrid retrieval: dense (HNSW over passage embeddings) and lexical (BM25+) candidates are
 * pooled, each candidate gets a dense score, a lexical score and a fused relevance in [0, 1];
 * overlapping windows of the same paragraph are returned once; below the relevance threshold the
 * answer is "not in the sources".
 *
 * Scores (chosen with scripts/tune-retrieval.ts on the dev set and our own set; README "Retrieval"):
 * - dense   = mean(cosine of the passage, best cosine of one of its sentences): a one-sentence
 *             answer inside a long paragraph is not diluted by its neighbours, and the whole
 *             passage still counts.
 * - lexical = BM25+ / best BM25+ of this question × share of the question's content terms the
 *             passage contains. The coverage factor keeps it absolute: a question whose words
 *             appear nowhere scores 0, however BM25 normalises.
 * - hybrid  = DENSE_WEIGHT · dense + (1 − DENSE_WEIGHT) · lexical.
 */
import type { SearchMode } from '../config.ts';
import type { SearchIndex } from '../index/search-index.ts';
import type { StoredPassage } from '../index/store.ts';
import type { Span } from '../text/sentences.ts';
import { contentTerms } from '../text/terms.ts';
import { chooseQuote, scoreSentences } from './key-sentences.ts';

export const DENSE_WEIGHT = 0.7;
/**
 * The threshold decides whether to answer at all (on the best passage); supporting passages
 * after it may score somewhat lower, down to this share of the threshold.
 */
export const SUPPORTING_RESULT_RATIO = 0.7;
/** How many candidates each retriever contributes before fusion. */
const CANDIDATES = 50;

/** What search reads of the index. */
export type SearchableIndex = Pick<SearchIndex, 'passages' | 'vectors' | 'sentenceVectors' | 'lexical'>;

export interface SearchOptions {
  mode: SearchMode;
  k: number;
  minRelevance: number;
}

export interface ScoredPassage {
  passage: StoredPassage;
  relevance: number;
  dense: number;
  lexical: number;
  /** The key sentence(s), absolute offsets into the cleaned source. */
  quote: Span;
}

export interface SearchOutcome {
  answered: boolean;
  results: ScoredPassage[];
  /** When abstaining: the closest passage, for an optional "low confidence" hint. */
  nearest: ScoredPassage | null;
}

interface Candidate {
  label: number;
  dense: number;
  bm25: number;
  coverage: number;
}

function relevanceOf(mode: SearchMode, dense: number, lexical: number): number {
  if (mode === 'dense') return dense;
  if (mode === 'bm25') return lexical;
  return DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * lexical;
}

function finiteOrZero(score: number): number {
  return Number.isFinite(score) ? score : 0;
}

function overlaps(a: StoredPassage, b: StoredPassage): boolean {
  return a.sourceId === b.sourceId && a.start < b.end && b.start < a.end;
}

export function search(
  index: SearchableIndex,
  question: string,
  queryVector: Float32Array,
  options: SearchOptions,
): SearchOutcome {
  const candidates = new Map<number, Candidate>();
  const candidate = (label: number) => {
    let c = candidates.get(label);
    if (!c) {
      c = { label, dense: Number.NaN, bm25: 0, coverage: 0 };
      candidates.set(label, c);
    }
    return c;
  };
  if (options.mode !== 'bm25') {
    for (const n of index.vectors.search(queryVector, CANDIDATES)) candidate(n.label).dense = n.similarity;
  }
  if (options.mode !== 'dense') {
    for (const hit of index.lexical.query(question, CANDIDATES)) {
      const c = candidate(hit.label);
      c.bm25 = hit.score;
      c.coverage = hit.coverage;
    }
  }
  const maxBm25 = Math.max(0, ...[...candidates.values()].map((c) => c.bm25));
  const queryTerms = new Set(contentTerms(question));

  const scored: ScoredPassage[] = [];
  for (const c of candidates.values()) {
    const passage = index.passages[c.label];
    if (!passage) continue;
    const sentences = scoreSentences(passage, queryVector, queryTerms, index.sentenceVectors);
    const bestSentence = Math.max(...sentences.map((s) => s.similarity));
    // Lexical-only candidates were not among the HNSW neighbours: compute their cosine exactly.
    const passageCosine = Number.isNaN(c.dense) ? index.vectors.similarityTo(c.label, queryVector) : c.dense;
    // A non-finite score is no match (a zero query vector gives NaN cosines, which compare false
    // with every threshold and were once "answered").
    const dense = finiteOrZero(Math.max(0, (passageCosine + bestSentence) / 2));
    const lexical = finiteOrZero(maxBm25 > 0 ? (c.bm25 / maxBm25) * c.coverage : 0);
    const quote = chooseQuote(sentences) ?? { start: passage.start, end: passage.end };
    scored.push({ passage, relevance: relevanceOf(options.mode, dense, lexical), dense, lexical, quote });
  }
  scored.sort((a, b) => b.relevance - a.relevance);

  const results: ScoredPassage[] = [];
  for (const s of scored) {
    if (results.length >= options.k) break;
    const floor =
      results.length === 0 ? options.minRelevance : options.minRelevance * SUPPORTING_RESULT_RATIO;
    if (s.relevance < floor) break;
    if (results.some((r) => overlaps(r.passage, s.passage))) continue;
    results.push(s);
  }
  return { answered: results.length > 0, results, nearest: results.length ? null : (scored[0] ?? null) };
}
