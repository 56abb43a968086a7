/**
 * Hybrid retrieval in three steps, each callable on its own so that the answer path, the eval and
 * the tuning script (scripts/tune-retrieval.ts) run the very same scoring:
 *
 * 1. gatherCandidates — the only step that reads the index: dense (HNSW over passage embeddings)
 *    and lexical (BM25+) candidates are pooled; each gets its passage cosine, its sentences'
 *    scores, its BM25+ score and its coverage of the question's terms.
 * 2. scoreCandidates — pure: fuses those into a relevance in [0, 1] and picks the key sentence.
 * 3. selectResults — pure: abstains or answers (relevance threshold, then the answerability
 *    check), and keeps a supporting passage only when it is relevant on its own and close to the
 *    best one; overlapping windows of one paragraph are returned once.
 *
 * Scores (README "Retrieval"):
 * - dense   = mean(cosine of the passage, best cosine of one of its sentences): a one-sentence
 *             answer inside a long paragraph is not diluted by its neighbours, and the whole
 *             passage still counts.
 * - lexical = a mix of the passage's and its best sentence's word match: BM25+ / best BM25+ of
 *             this question × share of the question's content terms the passage contains, and
 *             the share of the question's IDF weight found in one sentence. The coverage factor
 *             and the share keep it absolute: a question whose words appear nowhere scores 0,
 *             however BM25 normalises. The sentence side rewards the question's rare words
 *             meeting in one place over the same words scattered across a long paragraph.
 * - hybrid  = denseWeight · dense + (1 − denseWeight) · lexical.
 */
import type { SearchMode } from '../config.ts';
import type { SearchIndex } from '../index/search-index.ts';
import type { StoredPassage } from '../index/store.ts';
import type { Neighbour } from '../index/vector-index.ts';
import { remembered } from '../memo.ts';
import type { Span } from '../text/sentences.ts';
import { contentTerms } from '../text/terms.ts';
import {
  type AnswerCheck,
  type AnswerCheckOptions,
  type AnswerType,
  checkAnswer,
  expectedAnswerType,
  fitsAnswerType,
  type QuestionFocus,
  questionFocus,
  unmentioned,
  type Vocabulary,
} from './answerability.ts';
import { type Expansion, keepPlainScale } from './expansion.ts';
import {
  chooseQuote,
  QUOTE_DENSE_WEIGHT,
  QUOTE_REFERENCE_MARGIN,
  QUOTE_TYPE_BONUS,
  QUOTE_WEIGHTED_OVERLAP,
  type SentenceScore,
  scoreSentences,
  sentenceSimilarities,
} from './key-sentences.ts';
import { searchQuery } from './query.ts';

export const DENSE_WEIGHT = 0.7;
/** How many candidates each retriever contributes before fusion. */
const CANDIDATES = 50;
/** The per-question memos below hold one question's candidates: no limit needed. */
const UNBOUNDED = Number.POSITIVE_INFINITY;

/** What search reads of the index. */
export interface SearchableIndex extends Pick<SearchIndex, 'passages' | 'sentenceVectors' | 'lexical'> {
  /** hnswlib, or the Postgres backend's neighbours (src/storage/postgres/search.ts). */
  vectors: Pick<SearchIndex['vectors'], 'search' | 'similarityTo'>;
}

/** What decides an answer: fusion weight, thresholds and the answerability check. */
export interface SelectionPolicy {
  k: number;
  /** Below this relevance of the best passage, the answer is "not in the sources". */
  minRelevance: number;
  /** A supporting passage must reach this share of the best passage's relevance. */
  supportShare: number;
  /** The answerability check the best passage must pass, or null (README "Answerability"). */
  answerCheck: AnswerCheckOptions | null;
}

export interface ScoringOptions {
  mode: SearchMode;
  denseWeight: number;
  /** Weight of the passage's cosine against its best sentence's in the dense score. */
  passageShare: number;
  /**
   * Weight of the passage's BM25+ × coverage against its best sentence's IDF-weighted overlap
   * with the question in the lexical score.
   */
  sentenceLexicalShare: number;
  quoteDenseWeight: number;
  quoteTypeBonus: number;
  quoteWeightedOverlap: boolean;
  quoteReferenceMargin: number;
}

export const SCORING: Omit<ScoringOptions, 'mode'> = {
  denseWeight: DENSE_WEIGHT,
  // The sentence share was checked with scripts/tune-retrieval.ts --rankfolds: chosen on one
  // fold of the tuning questions, it ranks the other better than none (README "Retrieval").
  passageShare: 0.5,
  sentenceLexicalShare: 0.75,
  quoteDenseWeight: QUOTE_DENSE_WEIGHT,
  quoteTypeBonus: QUOTE_TYPE_BONUS,
  quoteWeightedOverlap: QUOTE_WEIGHTED_OVERLAP,
  quoteReferenceMargin: QUOTE_REFERENCE_MARGIN,
};

export interface SearchOptions extends SelectionPolicy, ScoringOptions {}

export interface Candidate {
  passage: StoredPassage;
  passageCosine: number;
  sentences: SentenceScore[];
  bm25: number;
  /** Share of the question's content terms the passage contains, from the lexical side. */
  coverage: number;
}

export interface ScoredPassage {
  passage: StoredPassage;
  relevance: number;
  dense: number;
  lexical: number;
  /** The key sentence(s), absolute offsets into the cleaned source. */
  quote: Span;
  /** The answerability check of this passage's key sentence (only computed for the best one). */
  check?: AnswerCheck;
}

export interface SearchOutcome {
  answered: boolean;
  results: ScoredPassage[];
  /** When abstaining: the closest passage, for an optional "low confidence" hint. */
  nearest: ScoredPassage | null;
}

/** A question prepared once: what is searched lexically and its content terms. */
export interface PreparedQuestion {
  question: string;
  /** The question without what it excludes ("besides rare earths"), for lexical search. */
  lexicalQuery: string;
  terms: ReadonlySet<string>;
  /** What kind of answer it asks for ("how many" → a quantity). */
  answerType: AnswerType;
  /** What it asks about ("population"), when a pattern finds it. */
  focus: QuestionFocus | null;
}

export function prepareQuestion(question: string): PreparedQuestion {
  const lexicalQuery = searchQuery(question);
  return {
    question,
    lexicalQuery,
    terms: new Set(contentTerms(lexicalQuery)),
    answerType: expectedAnswerType(question),
    focus: questionFocus(question),
  };
}

/**
 * The dense side of one question's candidates (one vector, one limit), kept for its expanded
 * lexical query (search): the same vector finds the same neighbours and cosines, so ranking the
 * expansion recomputed them (~0.1 ms a question) for identical numbers.
 */
export interface DenseScores {
  neighbours?: Neighbour[];
  /** Passage cosines of candidates that were not neighbours, by label. */
  cosines: Map<number, number>;
  /** Each candidate's sentenceSimilarities, by label. */
  sentences: Map<number, number[]>;
}

export function denseScores(): DenseScores {
  return { cosines: new Map(), sentences: new Map() };
}

/**
 * Step 1: every passage either retriever proposes, with the raw scores fusion needs. `dense`:
 * what an earlier call with the same vector and limit computed (search's expanded query).
 */
export function gatherCandidates(
  index: SearchableIndex,
  prepared: PreparedQuestion,
  queryVector: Float32Array,
  mode: SearchMode,
  limit = CANDIDATES,
  dense: DenseScores = denseScores(),
): Candidate[] {
  const raw = new Map<number, { cosine: number; bm25: number; coverage: number }>();
  const entry = (label: number) => {
    let c = raw.get(label);
    if (!c) {
      c = { cosine: Number.NaN, bm25: 0, coverage: 0 };
      raw.set(label, c);
    }
    return c;
  };
  if (mode !== 'bm25') {
    dense.neighbours ??= index.vectors.search(queryVector, limit);
    for (const n of dense.neighbours) entry(n.label).cosine = n.similarity;
  }
  if (mode !== 'dense') {
    for (const hit of index.lexical.query(prepared.lexicalQuery, limit)) {
      const c = entry(hit.label);
      c.bm25 = hit.score;
      c.coverage = hit.coverage;
    }
  }
  const termWeights = new Map([...prepared.terms].map((t) => [t, index.lexical.inverseFrequency(t)]));
  const candidates: Candidate[] = [];
  for (const [label, c] of raw) {
    const passage = index.passages[label];
    if (!passage) continue;
    // Lexical-only candidates were not among the HNSW neighbours: compute their cosine exactly.
    const cosine = Number.isNaN(c.cosine)
      ? remembered(dense.cosines, UNBOUNDED, label, () => index.vectors.similarityTo(label, queryVector))
      : c.cosine;
    const similarities = remembered(dense.sentences, UNBOUNDED, label, () =>
      sentenceSimilarities(passage, queryVector, index.sentenceVectors),
    );
    candidates.push({
      passage,
      passageCosine: cosine,
      sentences: scoreSentences(passage, queryVector, termWeights, index.sentenceVectors, similarities),
      bm25: c.bm25,
      coverage: c.coverage,
    });
  }
  return candidates;
}

export function fuse(mode: SearchMode, denseWeight: number, dense: number, lexical: number): number {
  if (mode === 'dense') return dense;
  if (mode === 'bm25') return lexical;
  return denseWeight * dense + (1 - denseWeight) * lexical;
}

/** Step 2 (pure): relevance of each candidate, best first, with its key sentence. */
export function scoreCandidates(
  candidates: readonly Candidate[],
  prepared: PreparedQuestion,
  options: ScoringOptions,
): ScoredPassage[] {
  const { mode, denseWeight } = options;
  const quoteOptions = {
    denseWeight: options.quoteDenseWeight,
    typeBonus: options.quoteTypeBonus,
    weighted: options.quoteWeightedOverlap,
    referenceMargin: options.quoteReferenceMargin,
    fitsType: (text: string) => fitsAnswerType(text, prepared.answerType),
  };
  const maxBm25 = Math.max(0, ...candidates.map((c) => c.bm25));
  return candidates
    .map((c) => {
      const bestSentence = Math.max(...c.sentences.map((s) => s.similarity));
      // A non-finite score is no match (a zero query vector gives NaN cosines, which compare false
      // with every threshold and were once "answered").
      const dense = finiteOrZero(
        Math.max(0, options.passageShare * c.passageCosine + (1 - options.passageShare) * bestSentence),
      );
      const passageLexical = maxBm25 > 0 ? (c.bm25 / maxBm25) * c.coverage : 0;
      const sentenceLexical = Math.max(0, ...c.sentences.map((s) => s.weightedOverlap));
      const lexical = finiteOrZero(
        (1 - options.sentenceLexicalShare) * passageLexical + options.sentenceLexicalShare * sentenceLexical,
      );
      const relevance = fuse(mode, denseWeight, dense, lexical);
      const quote = chooseQuote(c.sentences, quoteOptions) ?? { start: c.passage.start, end: c.passage.end };
      return {
        passage: c.passage,
        relevance,
        dense,
        lexical,
        quote,
      };
    })
    .sort((a, b) => b.relevance - a.relevance);
}

/** The key sentence(s) as text. */
export function quoteOf(scored: ScoredPassage): string {
  const { passage, quote } = scored;
  return passage.text.slice(quote.start - passage.start, quote.end - passage.start);
}

function finiteOrZero(score: number): number {
  return Number.isFinite(score) ? score : 0;
}

function overlaps(a: StoredPassage, b: StoredPassage): boolean {
  return a.sourceId === b.sourceId && a.start < b.end && b.start < a.end;
}

/** Step 3 (pure): answer or abstain, and which passages to show. */
export function selectResults(
  scored: readonly ScoredPassage[],
  prepared: PreparedQuestion,
  policy: SelectionPolicy,
  vocabulary: Vocabulary,
): SearchOutcome {
  const top = scored[0];
  const abstain = (nearest: ScoredPassage | null): SearchOutcome => ({
    answered: false,
    results: [],
    nearest,
  });
  if (!top || top.relevance < policy.minRelevance) return abstain(top ?? null);
  let best = top;
  // Each passage checked once: the answering one was checked already when it was found (the
  // check scans its scope's sentences several times: ~0.1 ms a passage).
  const checks = new Map<ScoredPassage, AnswerCheck>();
  const check = (s: ScoredPassage) =>
    remembered(checks, UNBOUNDED, s, () =>
      checkAnswer(prepared, s, policy.answerCheck ?? undefined, vocabulary),
    );
  const missing = policy.answerCheck?.focusCheck ? unmentioned(prepared, vocabulary) : null;
  if (missing) {
    const reason = `the sources never mention "${missing}"`;
    return abstain({ ...top, check: { answers: false, type: prepared.answerType, reason } });
  }
  if (policy.answerCheck) {
    // A passage close to the top one that has the kind of answer asked for answers instead.
    const floor = Math.max(policy.minRelevance, top.relevance - policy.answerCheck.typeMargin);
    const typed = scored.find((s) => s.relevance >= floor && check(s).answers);
    if (!typed) return abstain({ ...top, check: check(top) });
    best = typed;
  }
  // The answering passage carries its check: the reply marks the answer span it found.
  const checked = policy.answerCheck ? { ...best, check: check(best) } : best;
  const results: ScoredPassage[] = [checked];
  const supportFloor = Math.max(policy.minRelevance, best.relevance * policy.supportShare);
  for (const s of scored) {
    if (results.length >= policy.k || s.relevance < supportFloor) break;
    if (s === best || results.some((r) => overlaps(r.passage, s.passage))) continue;
    results.push(s);
  }
  return { answered: true, results, nearest: null };
}

/**
 * `expand`: the question's lexical query with source words for the words the sources never use
 * (src/search/expansion.ts); it reorders the passages, the best score stays the plain query's.
 */
export function search(
  index: SearchableIndex,
  question: string,
  queryVector: Float32Array,
  options: SearchOptions,
  isRareWord: (word: string) => boolean,
  expand?: Expansion,
): SearchOutcome {
  const vocabulary: Vocabulary = {
    knows: (term, exact) => index.lexical.knows(term, exact),
    isRareWord,
    inTitle: (term, sourceId) => index.lexical.inTitle(term, sourceId),
  };
  const prepared = prepareQuestion(question);
  const dense = denseScores();
  const rank = (asked: PreparedQuestion) =>
    // The answer type and key-sentence choice follow the question as asked.
    scoreCandidates(
      gatherCandidates(index, asked, queryVector, options.mode, CANDIDATES, dense),
      prepared,
      options,
    );
  const plain = rank(prepared);
  const expanded = expand?.(prepared);
  const scored = expanded && expanded !== prepared ? keepPlainScale(rank(expanded), plain) : plain;
  return selectResults(scored, prepared, options, vocabulary);
}
