/**
 * Words → index terms, shared by the lexical index, the abstain rule and key-sentence scoring so
 * they agree on what a "word" is: accents and typographic quotes folded, lower case, stop words
 * dropped, Porter-stemmed ("zones" and "zone" meet).
 */
import { stemmer } from 'stemmer';
import { remembered } from '../memo.ts';
import { STOP_WORDS } from './stop-words.ts';

/** Typographic quotes and apostrophes → ASCII, so “it’s” and "it's" compare equal. */
export function foldQuotes(text: string): string {
  return text.replace(/[‘’‚‛′`´]/g, "'").replace(/[“”„‟″]/g, '"');
}

export function foldText(text: string): string {
  return foldQuotes(text.normalize('NFKD').replace(/\p{M}/gu, '')).toLowerCase();
}

export function splitWords(text: string): string[] {
  return foldText(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/**
 * Words seen before, with their terms. A question's words are turned into terms several times
 * per answer (exclusions, content terms, BM25, the answer check) and the sources' vocabulary
 * repeats: folding and stemming each time cost about 0.1 ms per question. Bounded: cleared when
 * full, so a stream of unique tokens cannot grow it without limit.
 */
const termOfWord = new Map<string, string | null>();
const TERM_CACHE_LIMIT = 100_000;

/** The index form of one word, or null for a stop word. */
export function toTerm(word: string): string | null {
  return remembered(termOfWord, TERM_CACHE_LIMIT, word, termOf);
}

function termOf(word: string): string | null {
  const folded = foldText(word);
  return !folded || STOP_WORDS.has(folded) ? null : /^\p{L}+$/u.test(folded) ? stemmer(folded) : folded;
}

/** Content terms of a text, in order, duplicates kept. */
export function contentTerms(text: string): string[] {
  return splitWords(text)
    .map(toTerm)
    .filter((t): t is string => t !== null);
}

/** Whether two words differ by one insertion, deletion or substitution. */
export function oneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  if (a.length === b.length) return a.slice(i + 1) === b.slice(i + 1);
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}
