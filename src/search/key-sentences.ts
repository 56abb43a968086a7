/**
 * Picks the sentence(s) of a passage that best answer the question, so a reply can show the
 * key sentence in bold. A sentence's score mixes its embedding similarity to the question with
 * the share of the question's content terms it contains.
 */
import type { StoredPassage } from '../index/store.ts';
import type { Span } from '../text/sentences.ts';
import { contentTerms } from '../text/terms.ts';
import { cosineAt } from './vectors.ts';

export interface SentenceScore {
  span: Span;
  text: string;
  similarity: number;
  /** Share of the question's content terms the sentence contains. */
  overlap: number;
  /** The same share, each term weighted by how rare it is in the sources. */
  weightedOverlap: number;
}

export interface QuoteOptions {
  /** Weight of embedding similarity against term overlap when scoring a sentence. */
  denseWeight: number;
  /** Whether rare question words count more in the overlap. */
  weighted: boolean;
  /** Added to a sentence that holds what the question asks for (a quantity for "how many"). */
  typeBonus: number;
  /** Whether a sentence holds the kind of answer the question asks for. */
  fitsType: (text: string) => boolean;
  /**
   * The next sentence joins the quote when it opens by referring back to the best one ("They have
   * very valuable earth", "However, its share…") and scores within this margin of it.
   */
  referenceMargin: number;
}

/** Chosen with scripts/tune-retrieval.ts on the tuning half (README "Retrieval"). */
export const QUOTE_DENSE_WEIGHT = 0.6;
export const QUOTE_TYPE_BONUS = 0.1;
export const QUOTE_WEIGHTED_OVERLAP = true;
/** A neighbouring sentence joins the quote when it scores this close to the best one. */
const JOIN_MARGIN = 0.03;
/**
 * How close a sentence that refers back must score to join the best one. Chosen across folds of
 * tune + tune2 with scripts/rank-lab.ts --quote (README "Retrieval": "Key sentence").
 */
export const QUOTE_REFERENCE_MARGIN = 0.2;

/**
 * A sentence that opens by referring back to the one before it: a personal or demonstrative
 * pronoun or determiner first, perhaps after a connective ("However, its share of global REE
 * production remains below 1%"). Alone it does not say what it is about.
 */
const REFERS_BACK =
  /^[\s"'“‘(]*(?:(?:however|moreover|yet|but|still|also|and|so|instead|meanwhile)\s*,?\s+)?(?:they|it|he|she|their|its|his|her|this|these|those|such)\b/iu;

// Term sets of each passage's sentences, computed once per passage object (passages of a loaded
// index never change): stemming every candidate sentence on every question was the hot spot.
const termCache = new WeakMap<StoredPassage, Set<string>[]>();

/** The content terms of each of the passage's sentences (`passage.sentences`), computed once. */
export function sentenceTerms(passage: StoredPassage): readonly ReadonlySet<string>[] {
  let sets = termCache.get(passage);
  if (!sets) {
    sets = passage.sentences.map(
      (span) =>
        new Set(contentTerms(passage.text.slice(span.start - passage.start, span.end - passage.start))),
    );
    termCache.set(passage, sets);
  }
  return sets;
}

/** Each of the passage's sentences' cosine with the question. */
export function sentenceSimilarities(
  passage: StoredPassage,
  queryVector: Float32Array,
  sentenceVectors: Float32Array,
): number[] {
  return passage.sentences.map((_, i) => cosineAt(queryVector, sentenceVectors, passage.sentenceRow + i));
}

/** `similarities`: sentenceSimilarities of this passage and question, when the caller has them. */
export function scoreSentences(
  passage: StoredPassage,
  queryVector: Float32Array,
  queryTerms: ReadonlyMap<string, number>,
  sentenceVectors: Float32Array,
  similarities: readonly number[] = sentenceSimilarities(passage, queryVector, sentenceVectors),
): SentenceScore[] {
  const termSets = sentenceTerms(passage);
  let totalWeight = 0;
  for (const weight of queryTerms.values()) totalWeight += weight;
  return passage.sentences.map((span, i) => {
    const terms = termSets[i] ?? new Set<string>();
    let shared = 0;
    let sharedWeight = 0;
    for (const [term, weight] of queryTerms) {
      if (!terms.has(term)) continue;
      shared++;
      sharedWeight += weight;
    }
    return {
      span,
      text: passage.text.slice(span.start - passage.start, span.end - passage.start),
      similarity: similarities[i] as number,
      overlap: queryTerms.size ? shared / queryTerms.size : 0,
      weightedOverlap: totalWeight > 0 ? sharedWeight / totalWeight : 0,
    };
  });
}

/**
 * The best sentence, extended to the next one when that one refers back to it and scores within
 * `referenceMargin` (the article's pattern: a topic sentence, then the detail — "Trump underscored
 * the vastness of Russia's territory…" / "They have very valuable earth"), else to an adjacent
 * one that scores almost as well.
 */
export function chooseQuote(sentences: SentenceScore[], options: QuoteOptions): Span | null {
  const scores = sentences.map((s) => ({
    span: s.span,
    score:
      options.denseWeight * s.similarity +
      (1 - options.denseWeight) * (options.weighted ? s.weightedOverlap : s.overlap) +
      (options.typeBonus && options.fitsType(s.text) ? options.typeBonus : 0),
  }));
  let best = -1;
  scores.forEach((s, i) => {
    if (best < 0 || s.score > (scores[best]?.score ?? Number.NEGATIVE_INFINITY)) best = i;
  });
  const top = scores[best];
  if (!top) return null;
  const next = scores[best + 1];
  const nextText = sentences[best + 1]?.text;
  if (next && nextText && REFERS_BACK.test(nextText) && top.score - next.score <= options.referenceMargin)
    return { start: top.span.start, end: next.span.end };
  const neighbours = [scores[best - 1], scores[best + 1]].filter((s) => s !== undefined);
  const runnerUp = neighbours.sort((a, b) => b.score - a.score)[0];
  if (runnerUp && top.score - runnerUp.score <= JOIN_MARGIN) {
    return {
      start: Math.min(top.span.start, runnerUp.span.start),
      end: Math.max(top.span.end, runnerUp.span.end),
    };
  }
  return { ...top.span };
}
