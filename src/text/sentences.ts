/**
 * Sentence boundaries with character offsets, so passages and quotes can be cut from the source
 * verbatim. ICU's sentence segmenter (Intl.Segmenter) does the work; we only undo its best-known
 * mistake, a break after an abbreviation ("Mr. Smith", "the U.S. President").
 */
export interface Span {
  start: number;
  end: number;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

const ABBREVIATIONS = new Set(
  'mr mrs ms dr st jr sr prof gen sen rep gov lt col capt sgt no vs etc inc ltd co corp dept est fig approx e.g i.e u.s u.k u.n a.m p.m'.split(
    ' ',
  ),
);

function endsWithAbbreviation(sentence: string): boolean {
  const match = /(?:^|[\s(“"'‘])([\p{L}.]+)\.\s*$/u.exec(sentence);
  if (!match?.[1]) return false;
  const word = match[1].toLowerCase();
  // A lone capital initial ("J. Smith") is an abbreviation too.
  return ABBREVIATIONS.has(word) || /^\p{Lu}$/u.test(match[1]);
}

// V8's segment iterator costs time proportional to the whole string at every step, so one
// paragraph of many sentences was quadratic (400 KB of short sentences: 33 s). We segment
// bounded windows instead and keep only the breaks far enough from a window's end that ICU's
// look-ahead could not have seen the cut.
const WINDOW_CHARS = 1024;
const LOOKAHEAD_MARGIN = 256;

function* icuSegments(text: string): Generator<Span> {
  let position = 0;
  let size = WINDOW_CHARS;
  while (position < text.length) {
    const end = Math.min(text.length, position + size);
    const last = end === text.length;
    const accepted: Span[] = [];
    for (const { segment, index } of segmenter.segment(text.slice(position, end))) {
      const span = { start: position + index, end: position + index + segment.length };
      if (!last && span.end > end - LOOKAHEAD_MARGIN) break;
      accepted.push(span);
    }
    if (accepted.length === 0) {
      // No safe break in this window (one very long sentence): look further, in a larger window.
      size *= 2;
      continue;
    }
    yield* accepted;
    position = (accepted.at(-1) as Span).end;
    size = WINDOW_CHARS;
  }
}

/**
 * The end of a sentence, enough to see its last word: testing the whole sentence would make a
 * run of merged abbreviations ("A. B. C. …") quadratic. A cut tail gets a letter in front so its
 * first, partial word is never taken for a lone initial.
 */
function sentenceTail(text: string, span: Span): string {
  const from = Math.max(span.start, span.end - 64);
  const tail = text.slice(from, span.end);
  return from > span.start ? `x${tail}` : tail;
}

/** Splits `text` into trimmed sentence spans; offsets are relative to `text` plus `base`. */
export function splitSentences(text: string, base = 0): Span[] {
  const raw: Span[] = [];
  for (const segment of icuSegments(text)) {
    const previous = raw.at(-1);
    if (previous && endsWithAbbreviation(sentenceTail(text, previous))) {
      previous.end = segment.end;
    } else {
      raw.push(segment);
    }
  }
  const spans: Span[] = [];
  for (const span of raw) {
    const trimmed = trimSpan(text, span);
    if (trimmed) spans.push({ start: trimmed.start + base, end: trimmed.end + base });
  }
  return spans;
}

/** Shrinks a span to exclude surrounding whitespace; null when nothing is left. */
export function trimSpan(text: string, span: Span): Span | null {
  let { start, end } = span;
  while (start < end && /\s/u.test(text[start] ?? '')) start++;
  while (end > start && /\s/u.test(text[end - 1] ?? '')) end--;
  return start < end ? { start, end } : null;
}
