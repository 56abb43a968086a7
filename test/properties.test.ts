/**
 * Property-based tests (fast-check) over the loader and the splitter (issue 11): for random text
 * — long lines, no punctuation, mixed scripts, control characters, markup — every passage is a
 * verbatim slice of the cleaned text, within the token limit, and the splitter's work grows
 * linearly with the input (measured as characters handed to the tokenizer, never as time).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { getEmbedder } from '../src/embedding/embedder.ts';
import { splitIntoPassages, type TokenCounter } from '../src/passages/split.ts';
import { type Source, sourceFromText } from '../src/sources/load.ts';
import { testConfig } from './helpers.ts';

/** A WordPiece-like stand-in: letters, digits and each other symbol are tokens; +2 specials. */
const countPieces: TokenCounter = (text) => (text.match(/\p{L}+|\p{N}+|[^\s\p{L}\p{N}]/gu)?.length ?? 0) + 2;

const fragment = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z]{1,12}$/) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'The',
      'ferry',
      'Mr.',
      'U.S.',
      'e.g.',
      'A.',
      '5 p.m.',
      '中文字符没有空格',
      'Россия',
      'مرحبا',
      'ὕδωρ',
      '🙂',
      '👩‍👩‍👧',
      'é',
      'e\u0301',
      '```',
      '~~~',
      '# Heading',
      '- item',
      '> quote',
      '<p title="a > b">',
      '</p>',
      '<script>',
      '<!--',
      '-->',
      '&eacute;',
      '&amp;',
      '\u202E',
      '\u2066',
      '\u0000',
      '\u0007',
      '\u0085',
      '\u200B',
      '\uFEFF',
      '\u00A0',
      '\t',
      '\r\n',
      '.',
      '!',
      '?',
      '…',
      '。',
      ':',
      '"',
      '“',
      '”',
      '@everyone',
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom(' ', ' ', '\n', '\n\n', '') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);
const randomText = fc.array(fragment, { maxLength: 300 }).map((parts) => parts.join(' '));
/** One long line: many words, no sentence punctuation, sometimes no spaces at all. */
const longLine = fc
  .tuple(
    fc.array(fc.stringMatching(/^[a-z\u4e00-\u4e10]{1,10}$/), { minLength: 200, maxLength: 2000 }),
    fc.boolean(),
  )
  .map(([words, spaced]) => words.join(spaced ? ' ' : ''));

function checkPassages(source: Source, maxTokens: number, count: TokenCounter): void {
  const passages = splitIntoPassages(source, maxTokens, count);
  const ids = new Set<string>();
  for (const p of passages) {
    assert.equal(
      source.text.slice(p.start, p.end),
      p.text,
      'a passage is a verbatim slice of the cleaned text',
    );
    assert.ok(p.text.length > 0 && p.text.trim() === p.text, 'no empty or padded passage');
    assert.ok(count(p.text) <= maxTokens, `passage of ${count(p.text)} tokens over the limit ${maxTokens}`);
    for (const s of p.sentences)
      assert.ok(p.start <= s.start && s.start < s.end && s.end <= p.end, 'sentence inside its passage');
    assert.ok(!ids.has(p.id), 'passage ids are unique');
    ids.add(p.id);
  }
  // Nothing is lost: every word of every body paragraph is in some passage.
  const covered = new Uint8Array(source.text.length);
  for (const p of passages) covered.fill(1, p.start, p.end);
  // Passages are keyed on their text, so a piece repeated word for word ("!" at both ends of a
  // paragraph cut at a tiny limit) is indexed once: its other places hold nothing new. They count
  // as covered only where the same text stands between word boundaries.
  for (const p of passages) {
    for (let at = source.text.indexOf(p.text); at >= 0; at = source.text.indexOf(p.text, at + 1)) {
      const end = at + p.text.length;
      if (/\S/u.test(source.text[at - 1] ?? ' ') || /\S/u.test(source.text[end] ?? ' ')) continue;
      covered.fill(1, at, end);
    }
  }
  for (const paragraph of source.paragraphs.filter((x) => !x.heading)) {
    for (const m of source.text.slice(paragraph.start, paragraph.end).matchAll(/\S+/gu)) {
      const at = paragraph.start + m.index;
      // Repeated paragraphs are indexed once, so only a first occurrence must be covered.
      const first = source.text.indexOf(source.text.slice(paragraph.start, paragraph.end));
      if (first === paragraph.start) assert.equal(covered[at], 1, `word "${m[0]}" at ${at} is in no passage`);
    }
  }
}

/** C0 (but tab and newline), DEL, C1 and bidirectional controls, by code point. */
function hasHiddenControls(text: string): boolean {
  for (const char of text) {
    const c = char.codePointAt(0) ?? 0;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f)) return true;
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x200e || c === 0x200f)
      return true;
  }
  return false;
}

function sourceOf(raw: string, kind: 'text' | 'html'): Source | null {
  const source = sourceFromText(kind === 'html' ? 'page.html' : 'notes.txt', raw, kind);
  return 'text' in source ? source : null;
}

describe('properties of loading and splitting (fast-check)', () => {
  it('random text and HTML: passages are verbatim, within the limit, and cover the text', () => {
    fc.assert(
      fc.property(
        randomText,
        fc.constantFrom<'text' | 'html'>('text', 'html'),
        fc.integer({ min: 8, max: 64 }),
        (raw, kind, maxTokens) => {
          const source = sourceOf(raw, kind);
          if (!source) return;
          assert.ok(!hasHiddenControls(source.text), 'control and bidirectional characters are removed');
          checkPassages(source, maxTokens, countPieces);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('long lines without punctuation: verbatim, within the limit', () => {
    fc.assert(
      fc.property(longLine, fc.integer({ min: 8, max: 256 }), (raw, maxTokens) => {
        const source = sourceOf(raw, 'text');
        if (source) checkPassages(source, maxTokens, countPieces);
      }),
      { numRuns: 60 },
    );
  });

  it('with the fixture model’s real tokenizer too', async () => {
    const embedder = await getEmbedder(testConfig());
    fc.assert(
      fc.property(fc.oneof(randomText, longLine), (raw) => {
        const source = sourceOf(raw, 'text');
        if (source) checkPassages(source, 48, embedder.countTokens);
      }),
      { numRuns: 40 },
    );
  });

  it('the splitter’s work per input character does not grow with the input', () => {
    const workPerChar = (words: string[], repeat: number) => {
      const source = sourceOf(
        Array.from({ length: repeat }, (_, i) => words.map((w) => `${w}${i}`).join(' ')).join(' '),
        'text',
      );
      assert.ok(source);
      let chars = 0;
      splitIntoPassages(source, 64, (text) => {
        chars += text.length;
        return countPieces(text);
      });
      return chars / source.text.length;
    };
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 50, maxLength: 200 }), (words) => {
        const small = workPerChar(words, 4);
        const large = workPerChar(words, 16);
        assert.ok(small < 5 && large < 5, `characters tokenised per input character: ${small}, ${large}`);
        assert.ok(
          large / small < 1.6,
          `work per character grew ${(large / small).toFixed(2)}× for 4× the input`,
        );
      }),
      { numRuns: 15 },
    );
  });
});
