/**
 * Cuts sources into passages for retrieval. Rules: a passage never starts or ends inside a
 * sentence; a paragraph stays whole when it fits the model's token limit; a longer paragraph
 * becomes windows of whole sentences that overlap by one sentence, so an answer that straddles
 * a cut is still found whole; nothing is ever silently truncated by the embedder.
 * `source.text.slice(start, end) === text` always holds: quotes are verbatim by construction.
 *
 * Splitting is linear in the input: every character is tokenised a bounded number of times.
 * Token counts of neighbouring pieces are added up (WordPiece and the other sub-word tokenisers
 * split at whitespace, so counts add across it) and each finished passage is counted once for
 * real, so a tokeniser that does not add up exactly still never yields an oversized passage.
 * Re-tokenising a growing window from its start, as an earlier version did, made a 100 KB line
 * without sentence punctuation take 41 s.
 */
import { sha256 } from '../hash.ts';
import type { Source } from '../sources/load.ts';
import { type Span, splitSentences } from '../text/sentences.ts';

export interface Passage {
  /** Hash of source id and text: stable across runs while the text is unchanged. */
  id: string;
  sourceId: string;
  /** 1-based number of the paragraph (headings not counted) the passage comes from. */
  paragraph: number;
  start: number;
  end: number;
  text: string;
  /** Sentence spans, absolute offsets into the cleaned source text. */
  sentences: Span[];
}

export type TokenCounter = (text: string) => number;

export function passageId(sourceId: string, text: string): string {
  return sha256(`${sourceId}\u0000${text}`).slice(0, 20);
}

/** A span with its token count, not counting the tokens every encoding adds (CLS, SEP, prefix). */
interface Counted extends Span {
  tokens: number;
}

/** Token counting with the fixed per-encoding overhead taken out, so counts of pieces add up. */
class Budget {
  readonly overhead: number;
  readonly limit: number;

  constructor(
    private readonly text: string,
    maxTokens: number,
    private readonly count: TokenCounter,
  ) {
    this.overhead = count('');
    // At least one token of content per passage, whatever the limit and overhead.
    this.limit = Math.max(1, maxTokens - this.overhead);
  }

  tokens(start: number, end: number): number {
    return Math.max(0, this.count(this.text.slice(start, end)) - this.overhead);
  }

  fits(start: number, end: number): boolean {
    return this.tokens(start, end) <= this.limit;
  }
}

/**
 * Far more characters than the budget could hold in ordinary words. Only a shortcut: the result
 * is the same either way (the word packer returns a span that fits as one piece).
 */
function surelyTooLong(span: Span, budget: Budget): boolean {
  return span.end - span.start > budget.limit * 32;
}

function makePassage(source: Source, paragraph: number, sentences: Span[]): Passage {
  const first = sentences[0];
  const last = sentences.at(-1);
  if (!first || !last) throw new Error('passages: a passage needs at least one sentence');
  const text = source.text.slice(first.start, last.end);
  return {
    id: passageId(source.id, text),
    sourceId: source.id,
    paragraph,
    start: first.start,
    end: last.end,
    text,
    sentences: sentences.map(({ start, end }) => ({ start, end })),
  };
}

/** Whitespace-separated words inside `span`. */
function wordsOf(text: string, span: Span): Span[] {
  const words: Span[] = [];
  const pattern = /\S+/gu;
  pattern.lastIndex = span.start;
  for (let m = pattern.exec(text); m && m.index < span.end; m = pattern.exec(text)) {
    words.push({ start: m.index, end: Math.min(span.end, m.index + m[0].length) });
  }
  return words;
}

/** Does not cut a surrogate pair in two. */
function safeCut(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

/**
 * One word longer than the limit (no whitespace: a URL, a CJK run without punctuation). Cut by
 * characters: a slice of `limit` characters usually fits (a token covers at least one character
 * with most tokenisers); when it does not, that slice is halved. Each slice is bounded, so the
 * work stays linear.
 */
function splitLongWord(text: string, word: Span, budget: Budget): Counted[] {
  const pieces: Counted[] = [];
  let start = word.start;
  while (start < word.end) {
    let length = budget.limit;
    for (;;) {
      let end = Math.min(word.end, start + length);
      if (end < word.end) end = Math.max(start + 1, safeCut(text, end));
      const tokens = budget.tokens(start, end);
      if (tokens <= budget.limit || end - start <= 1) {
        pieces.push({ start, end, tokens });
        start = end;
        break;
      }
      length = Math.max(1, Math.floor((end - start) / 2));
    }
  }
  return pieces;
}

/**
 * A single sentence over the limit (a run-on list, a table flattened into one line, a source
 * with no sentence punctuation at all) is the one case where we cut inside a sentence: at
 * whitespace, so words stay whole. Words are taken in growing blocks, each block tokenised once.
 */
function splitOversizedSentence(text: string, span: Span, budget: Budget): Counted[] {
  const words = wordsOf(text, span);
  const pieces: Counted[] = [];
  let i = 0;
  while (i < words.length) {
    let used = 0;
    let j = i;
    let block = 8;
    while (j < words.length) {
      if (j === i && surelyTooLong(words[j] as Span, budget)) break;
      const k = Math.min(words.length, j + block);
      const from = words[j] as Span;
      const to = words[k - 1] as Span;
      const tokens = budget.tokens(from.start, to.end);
      if (used + tokens <= budget.limit) {
        used += tokens;
        j = k;
        // Aim the next block at what is left of the budget, so that few blocks are tokenised
        // only to be rejected.
        const perWord = Math.max(used / (j - i), 0.5);
        block = Math.max(1, Math.min(block * 2, 256, Math.floor((budget.limit - used) / perWord)));
      } else if (k - j > 1) {
        block = Math.max(1, (k - j) >> 1);
      } else {
        break;
      }
    }
    if (j === i) {
      // Not even one word fits.
      pieces.push(...splitLongWord(text, words[i] as Span, budget));
      i++;
      continue;
    }
    // Counts were added up; check the piece once for real and give back words if they did not add up.
    let start = (words[i] as Span).start;
    let end = (words[j - 1] as Span).end;
    let tokens = budget.tokens(start, end);
    while (tokens > budget.limit && j - 1 > i) {
      j--;
      end = (words[j - 1] as Span).end;
      tokens = budget.tokens(start, end);
    }
    start = (words[i] as Span).start;
    pieces.push({ start, end, tokens });
    i = j;
  }
  return pieces;
}

/** Greedy windows of whole sentences, overlapping by one sentence where two fit together. */
function windows(sentences: Counted[], budget: Budget): Counted[][] {
  const result: Counted[][] = [];
  let i = 0;
  while (i < sentences.length) {
    let used = 0;
    let j = i;
    while (j < sentences.length) {
      const next = sentences[j] as Counted;
      if (j > i && used + next.tokens > budget.limit) break;
      used += next.tokens;
      j++;
    }
    // Sums assume counts add across sentence boundaries; check the window once for real.
    while (j - 1 > i && !budget.fits((sentences[i] as Counted).start, (sentences[j - 1] as Counted).end)) j--;
    result.push(sentences.slice(i, j));
    if (j >= sentences.length) break;
    // Overlap by one sentence when that sentence and the next fit together; otherwise the next
    // window would only repeat a sentence the previous one already holds.
    const last = sentences[j - 1] as Counted;
    const next = sentences[j] as Counted;
    i = j - 1 > i && last.tokens + next.tokens <= budget.limit ? j - 1 : j;
  }
  return result;
}

export function splitIntoPassages(source: Source, maxTokens: number, countTokens: TokenCounter): Passage[] {
  const budget = new Budget(source.text, maxTokens, countTokens);
  const passages: Passage[] = [];
  // Passages are keyed on their text: a paragraph repeated word for word in one source (a pull
  // quote, a repeated disclaimer) is indexed once, at its first place, instead of twice under one id.
  const seen = new Set<string>();
  const add = (passage: Passage) => {
    if (seen.has(passage.id)) return;
    seen.add(passage.id);
    passages.push(passage);
  };
  let paragraphNumber = 0;
  for (const paragraph of source.paragraphs) {
    if (paragraph.heading) continue;
    paragraphNumber++;
    const text = source.text.slice(paragraph.start, paragraph.end);
    const spans = splitSentences(text, paragraph.start);
    if (spans.length === 0) continue;
    // Tokenizing is the slow part of splitting: a paragraph that fits needs no per-sentence count.
    if (!surelyTooLong(paragraph, budget) && budget.fits(paragraph.start, paragraph.end)) {
      add(makePassage(source, paragraphNumber, spans));
      continue;
    }
    const sentences = spans.flatMap((span): Counted[] => {
      // A very long span goes straight to the word packer, which returns it whole if it fits:
      // counting it first would tokenise it one more time for nothing.
      const tokens = surelyTooLong(span, budget)
        ? Number.POSITIVE_INFINITY
        : budget.tokens(span.start, span.end);
      return tokens > budget.limit
        ? splitOversizedSentence(source.text, span, budget)
        : [{ ...span, tokens }];
    });
    for (const window of windows(sentences, budget)) add(makePassage(source, paragraphNumber, window));
  }
  return passages;
}
