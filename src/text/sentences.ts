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

/** Splits `text` into trimmed sentence spans; offsets are relative to `text` plus `base`. */
export function splitSentences(text: string, base = 0): Span[] {
  const raw: Span[] = [];
  for (const { segment, index } of segmenter.segment(text)) {
    const previous = raw.at(-1);
    if (previous && endsWithAbbreviation(text.slice(previous.start, previous.end))) {
      previous.end = index + segment.length;
    } else {
      raw.push({ start: index, end: index + segment.length });
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
