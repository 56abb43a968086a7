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
  score: number;
  similarity: number;
}

/** Weight of embedding similarity against term overlap when scoring a sentence. */
const SENTENCE_DENSE_WEIGHT = 0.6;
/** A neighbouring sentence joins the quote when it scores this close to the best one. */
const JOIN_MARGIN = 0.03;

// Term sets of each passage's sentences, computed once per passage object (passages of a loaded
// index never change): stemming every candidate sentence on every question was the hot spot.
const termCache = new WeakMap<StoredPassage, Set<string>[]>();

function sentenceTerms(passage: StoredPassage): Set<string>[] {
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

export function scoreSentences(
  passage: StoredPassage,
  queryVector: Float32Array,
  queryTerms: ReadonlySet<string>,
  sentenceVectors: Float32Array,
): SentenceScore[] {
  const termSets = sentenceTerms(passage);
  return passage.sentences.map((span, i) => {
    const terms = termSets[i] ?? new Set<string>();
    let shared = 0;
    for (const term of queryTerms) if (terms.has(term)) shared++;
    const overlap = queryTerms.size ? shared / queryTerms.size : 0;
    const similarity = cosineAt(queryVector, sentenceVectors, passage.sentenceRow + i);
    return {
      span,
      similarity,
      score: SENTENCE_DENSE_WEIGHT * similarity + (1 - SENTENCE_DENSE_WEIGHT) * overlap,
    };
  });
}

/** The best sentence, extended to an adjacent one that scores almost as well. */
export function chooseQuote(scores: SentenceScore[]): Span | null {
  let best = -1;
  scores.forEach((s, i) => {
    if (best < 0 || s.score > (scores[best]?.score ?? Number.NEGATIVE_INFINITY)) best = i;
  });
  const top = scores[best];
  if (!top) return null;
  const neighbours = [scores[best - 1], scores[best + 1]].filter((s): s is SentenceScore => Boolean(s));
  const runnerUp = neighbours.sort((a, b) => b.score - a.score)[0];
  if (runnerUp && top.score - runnerUp.score <= JOIN_MARGIN) {
    return {
      start: Math.min(top.span.start, runnerUp.span.start),
      end: Math.max(top.span.end, runnerUp.span.end),
    };
  }
  return { ...top.span };
}
