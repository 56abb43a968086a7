/**
 * Soft lexical matching for paraphrased questions (LEXICAL_EXPANSION, README "Retrieval"). A
 * member's word that the sources never use ("crude", "kyiv", "provinces", "DC") scores nothing on
 * the lexical side, however close its meaning; here it is replaced in the lexical query by the
 * sources' word whose embedding — the word alone, by the configured model — is closest ("oil",
 * "kiev", "regions", "washington"), when the cosine reaches the threshold.
 *
 * The expanded query only reorders passages: the best relevance stays the plain query's
 * (`keepPlainScale`), so abstaining and the calibrated thresholds are unchanged. Without that, an
 * off-topic question's own unknown words found look-alikes too and the calibrated threshold rose
 * from 0.24 to 0.39, refusing right answers.
 */
import type { StoredPassage } from '../index/store.ts';
import { splitWords, toTerm } from '../text/terms.ts';
import { searchQuery } from './query.ts';
import type { PreparedQuestion, ScoredPassage } from './retrieve.ts';
import { cosineAt } from './vectors.ts';

/** A question's lexical query with source words for the words the sources never use. */
export type Expansion = (prepared: PreparedQuestion) => PreparedQuestion;

/** A source word and how close it is to the question's word. */
export interface Substitute {
  term: string;
  word: string;
  cosine: number;
}

/** The distinct content words of the sources (one surface form per term), in first-seen order. */
export function sourceWords(passages: readonly StoredPassage[]): { terms: string[]; words: string[] } {
  const byTerm = new Map<string, string>();
  for (const passage of passages)
    for (const word of splitWords(passage.text)) {
      const term = toTerm(word);
      if (term && !byTerm.has(term)) byTerm.set(term, word.toLowerCase());
    }
  return { terms: [...byTerm.keys()], words: [...byTerm.values()] };
}

/** The source words with their embeddings, searched exactly (an article has a few hundred). */
export class SourceVocabulary {
  constructor(
    private readonly terms: readonly string[],
    private readonly words: readonly string[],
    /** The normalised embedding of each word (shared with other indexes through WordVectors). */
    private readonly vectors: readonly Float32Array[],
  ) {}

  /**
   * Each word vector's nearest source word, found once: a scan costs the vocabulary's size × the
   * dimension (the article's 390 words: ~0.1 ms a word, on every question that has the word).
   * Keyed by the vector itself, so it lives as long as WordVectors keeps that vector.
   */
  private readonly found = new WeakMap<Float32Array, Substitute | null>();

  nearest(vector: Float32Array): Substitute | null {
    let best = this.found.get(vector);
    if (best === undefined) {
      best = this.scan(vector);
      this.found.set(vector, best);
    }
    return best;
  }

  private scan(vector: Float32Array): Substitute | null {
    let best: Substitute | null = null;
    for (let i = 0; i < this.terms.length; i++) {
      const cosine = cosineAt(vector, this.vectors[i] as Float32Array, 0);
      if (!best || cosine > best.cosine)
        best = { term: this.terms[i] as string, word: this.words[i] as string, cosine };
    }
    return best;
  }
}

/**
 * Embeddings of single words for one model, shared by every index it serves: servers on one topic
 * share most of their words, so memory follows the union of their vocabularies (≈1.5 KB a word at
 * 384 dimensions), not their sum. Emptied when it would pass `max` words (the vocabularies already
 * built keep their own vectors).
 */
export class WordVectors {
  private readonly known = new Map<string, Float32Array>();

  constructor(
    private readonly embed: (words: string[]) => Promise<Float32Array[]>,
    private readonly max = 100_000,
  ) {}

  /** The words (each once) that have no vector yet. */
  missing(words: readonly string[]): string[] {
    return [...new Set(words.filter((w) => !this.known.has(w)))];
  }

  async of(words: readonly string[]): Promise<Float32Array[]> {
    const missing = this.missing(words);
    const fresh = missing.length > 0 ? this.remember(missing, await this.embed(missing)) : new Map();
    return words.map((w) => fresh.get(w) ?? this.known.get(w) ?? new Float32Array(0));
  }

  /**
   * Keeps vectors embedded elsewhere (a question's words ride along in the question's own model
   * call, quarry.ts); they must be what `embed` gives for these words. Returns them by word.
   */
  remember(words: readonly string[], vectors: readonly Float32Array[]): Map<string, Float32Array> {
    const fresh = new Map<string, Float32Array>();
    words.forEach((w, i) => {
      const v = vectors[i];
      if (v) fresh.set(w, v);
    });
    if (this.known.size + fresh.size > this.max) this.known.clear();
    for (const [w, v] of fresh) this.known.set(w, v);
    return fresh;
  }
}

/** What the expansion reads of an index: its passages (the vocabulary) and its lexical side. */
export interface ExpandableIndex {
  passages: readonly StoredPassage[];
  lexical: { knows(term: string): boolean };
}

/**
 * Builds each index's vocabulary once (on its first question with an unknown word) and the
 * expansion of each question.
 */
export class LexicalExpander {
  private readonly vocabularies = new WeakMap<object, Promise<SourceVocabulary>>();

  constructor(
    private readonly words: WordVectors,
    private readonly threshold: number,
  ) {}

  /**
   * The index's vocabulary with its embeddings, built once. Quarry starts it as soon as an index is
   * served, so the sources' words are embedded in the background rather than on the answer path
   * of the first question that needs them (the article's 390 words: ~0.2 s; a long PDF's
   * thousands, seconds).
   */
  vocabularyOf(index: { passages: readonly StoredPassage[] }): Promise<SourceVocabulary> {
    let vocabulary = this.vocabularies.get(index);
    if (!vocabulary) {
      const { terms, words } = sourceWords(index.passages);
      vocabulary = this.words.of(words).then((vectors) => new SourceVocabulary(terms, words, vectors));
      // A failed embedding is tried again on the next question.
      vocabulary.catch(() => this.vocabularies.delete(index));
      this.vocabularies.set(index, vocabulary);
    }
    return vocabulary;
  }

  /**
   * The question's words the index's sources never use that have no vector yet: what
   * `expansionFor` would embed, for the caller to embed with the question (quarry.ts).
   */
  unembeddedWords(index: ExpandableIndex, question: string): string[] {
    return this.words.missing(unknownIn(index, question));
  }

  /** The expansion for `search`, or undefined when the question has no word the sources lack. */
  async expansionFor(index: ExpandableIndex, question: string): Promise<Expansion | undefined> {
    const unknown = unknownIn(index, question);
    if (unknown.length === 0) return undefined;
    const [table, vectors] = await Promise.all([this.vocabularyOf(index), this.words.of(unknown)]);
    const substitutes = new Map(
      unknown.map((w, i) => [w, vectors[i]?.length ? table.nearest(vectors[i]) : null]),
    );
    return (prepared) => expandQuestion(prepared, substitutes, this.threshold);
  }
}

/** The question's searched words that the index's sources never use. */
function unknownIn(index: ExpandableIndex, question: string): string[] {
  return unknownWords(searchQuery(question), (term) => index.lexical.knows(term));
}

/** The searched words (`searchQuery`) whose terms the sources never use, lower case, each once. */
export function unknownWords(lexicalQuery: string, knows: (term: string) => boolean): string[] {
  const words = new Set<string>();
  for (const word of splitWords(lexicalQuery)) {
    const term = toTerm(word);
    if (term && !knows(term)) words.add(word.toLowerCase());
  }
  return [...words];
}

/**
 * The question with each unknown word's substitute searched instead, when one reaches
 * `threshold`; the question itself (what the member sees, what is embedded) is unchanged.
 */
export function expandQuestion(
  prepared: PreparedQuestion,
  substitutes: ReadonlyMap<string, Substitute | null>,
  threshold: number,
): PreparedQuestion {
  const terms = new Set(prepared.terms);
  const added: string[] = [];
  for (const [word, substitute] of substitutes) {
    if (!substitute || substitute.cosine < threshold) continue;
    const term = toTerm(word);
    if (term) terms.delete(term);
    terms.add(substitute.term);
    added.push(substitute.word);
  }
  if (added.length === 0) return prepared;
  return { ...prepared, lexicalQuery: `${prepared.lexicalQuery} ${added.join(' ')}`, terms };
}

/**
 * The expanded ranking on the plain query's scale: every relevance moves by the difference between
 * the best expanded and the best plain relevance, so the order is the expanded one and the best
 * score the plain one (abstaining and support shares read the same numbers as without expansion).
 */
export function keepPlainScale(
  expanded: readonly ScoredPassage[],
  plain: readonly ScoredPassage[],
): ScoredPassage[] {
  const shift = (expanded[0]?.relevance ?? 0) - (plain[0]?.relevance ?? 0);
  return expanded.map((s) => ({ ...s, relevance: s.relevance - shift }));
}
