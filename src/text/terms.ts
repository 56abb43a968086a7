/**
 * Words → index terms, shared by the lexical index, the abstain rule and key-sentence scoring so
 * they agree on what a "word" is: accents and typographic quotes folded, lower case, stop words
 * dropped, Porter-stemmed ("zones" and "zone" meet).
 */
import { stemmer } from 'stemmer';
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

/** The index form of one word, or null for a stop word. */
export function toTerm(word: string): string | null {
  const folded = foldText(word);
  if (!folded || STOP_WORDS.has(folded)) return null;
  return /^\p{L}+$/u.test(folded) ? stemmer(folded) : folded;
}

/** Content terms of a text, in order, duplicates kept. */
export function contentTerms(text: string): string[] {
  return splitWords(text)
    .map(toTerm)
    .filter((t): t is string => t !== null);
}
