/**
 * Cuts sources into passages for retrieval. Rules: a passage never starts or ends inside a
 * sentence; a paragraph stays whole when it fits the model's token limit; a longer paragraph
 * becomes windows of whole sentences that overlap by one sentence, so an answer that straddles
 * a cut is still found whole; nothing is ever silently truncated by the embedder.
 * `source.text.slice(start, end) === text` always holds: quotes are verbatim by construction.
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
    sentences,
  };
}

/**
 * A single sentence longer than the limit (a run-on list, a table flattened into one line) is the
 * one case where we must cut inside a sentence; we cut at whitespace so words stay whole.
 */
function splitOversizedSentence(
  text: string,
  span: Span,
  maxTokens: number,
  countTokens: TokenCounter,
): Span[] {
  const pieces: Span[] = [];
  let start = span.start;
  while (start < span.end) {
    let end = span.end;
    // Halve until it fits, then grow word by word back towards the limit.
    while (end > start && countTokens(text.slice(start, end)) > maxTokens) {
      const mid = start + Math.floor((end - start) / 2);
      const space = text.lastIndexOf(' ', mid);
      end = space > start ? space : mid;
    }
    for (;;) {
      const nextSpace = text.indexOf(' ', end + 1);
      const candidate = nextSpace === -1 || nextSpace > span.end ? span.end : nextSpace;
      if (candidate <= end || countTokens(text.slice(start, candidate)) > maxTokens) break;
      end = candidate;
    }
    if (end <= start) end = Math.min(span.end, start + 1);
    pieces.push({ start, end });
    start = end;
    while (start < span.end && text[start] === ' ') start++;
  }
  return pieces;
}

function windows(source: Source, sentences: Span[], maxTokens: number, countTokens: TokenCounter): Span[][] {
  const tokens = (from: Span, to: Span) => countTokens(source.text.slice(from.start, to.end));
  const result: Span[][] = [];
  let i = 0;
  while (i < sentences.length) {
    const window: Span[] = [];
    let j = i;
    while (j < sentences.length) {
      const first = window[0] ?? sentences[j];
      const candidate = sentences[j];
      if (!first || !candidate) break;
      if (window.length > 0 && tokens(first, candidate) > maxTokens) break;
      window.push(candidate);
      j++;
    }
    result.push(window);
    if (j >= sentences.length) break;
    // Overlap by one sentence when that sentence and the next fit together; otherwise the next
    // window would only repeat a sentence the previous one already holds.
    const last = sentences[j - 1];
    const next = sentences[j];
    i = j - 1 > i && last && next && tokens(last, next) <= maxTokens ? j - 1 : j;
  }
  return result;
}

export function splitIntoPassages(source: Source, maxTokens: number, countTokens: TokenCounter): Passage[] {
  const passages: Passage[] = [];
  let paragraphNumber = 0;
  for (const paragraph of source.paragraphs) {
    if (paragraph.heading) continue;
    paragraphNumber++;
    const text = source.text.slice(paragraph.start, paragraph.end);
    const spans = splitSentences(text, paragraph.start);
    if (spans.length === 0) continue;
    // Tokenizing is the slow part of splitting: a paragraph that fits needs no per-sentence count.
    if (countTokens(text) <= maxTokens) {
      passages.push(makePassage(source, paragraphNumber, spans));
      continue;
    }
    const sentences = spans.flatMap((span) =>
      countTokens(source.text.slice(span.start, span.end)) > maxTokens
        ? splitOversizedSentence(source.text, span, maxTokens, countTokens)
        : [span],
    );
    for (const window of windows(source, sentences, maxTokens, countTokens)) {
      passages.push(makePassage(source, paragraphNumber, window));
    }
  }
  return passages;
}
