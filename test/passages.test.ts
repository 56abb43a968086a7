import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { splitIntoPassages } from '../src/passages/split.ts';
import { type Source, sourceFromText } from '../src/sources/load.ts';
import { splitSentences } from '../src/text/sentences.ts';
import { ARTICLE_ID, ARTICLE_PATH } from './helpers.ts';

// A stand-in token counter (words + 2 specials) keeps these tests about the splitting rules;
// the embedder tests check the real tokenizer.
const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length + 2;

function source(id: string, raw: string): Source {
  const s = sourceFromText(id, raw, 'text');
  if (!('text' in s)) throw new Error(`fixture skipped: ${s.reason}`);
  return s;
}

const article = () => source(ARTICLE_ID, readFileSync(ARTICLE_PATH, 'utf8'));

describe('splitSentences', () => {
  it('does not break after abbreviations', () => {
    const text = 'Mr. Smith met the U.S. envoy. He left at 5 p.m. on Monday. Then e.g. this happened.';
    const spans = splitSentences(text).map((s) => text.slice(s.start, s.end));
    assert.deepEqual(spans, [
      'Mr. Smith met the U.S. envoy.',
      'He left at 5 p.m. on Monday.',
      'Then e.g. this happened.',
    ]);
  });
});

describe('splitIntoPassages', () => {
  it('cuts every passage verbatim from the cleaned text, one per paragraph when it fits', () => {
    const src = article();
    const passages = splitIntoPassages(src, 256, countWords);
    const bodyParagraphs = src.paragraphs.filter((p) => !p.heading).length;
    assert.equal(passages.length, bodyParagraphs);
    for (const p of passages) {
      assert.equal(src.text.slice(p.start, p.end), p.text);
      for (const s of p.sentences) assert.ok(s.start >= p.start && s.end <= p.end);
    }
    assert.ok(!passages.some((p) => p.text.startsWith('Trump eyes Russia')), 'the title is not a passage');
  });

  it('keeps every passage within the token limit, starting and ending on sentence boundaries, with overlap', () => {
    const src = article();
    const maxTokens = 40;
    const passages = splitIntoPassages(src, maxTokens, countWords);
    const sentenceStarts = new Set<number>();
    const sentenceEnds = new Set<number>();
    for (const p of src.paragraphs) {
      for (const s of splitSentences(src.text.slice(p.start, p.end), p.start)) {
        sentenceStarts.add(s.start);
        sentenceEnds.add(s.end);
      }
    }
    for (const p of passages) {
      assert.equal(src.text.slice(p.start, p.end), p.text);
      assert.ok(countWords(p.text) <= maxTokens, `passage of ${countWords(p.text)} tokens`);
      assert.ok(sentenceStarts.has(p.start), `passage starts inside a sentence: ${p.text.slice(0, 30)}`);
      assert.ok(sentenceEnds.has(p.end), `passage ends inside a sentence: ${p.text.slice(-30)}`);
    }
    const overlapping = passages.filter((p, i) => {
      const prev = passages[i - 1];
      return prev && prev.paragraph === p.paragraph && p.start < prev.end;
    });
    assert.ok(overlapping.length > 0, 'some consecutive windows overlap by a sentence');
    for (const a of passages) {
      for (const b of passages) {
        assert.ok(a === b || !(b.start <= a.start && a.end <= b.end), 'no passage is contained in another');
      }
    }
  });

  it('splits a sentence longer than the limit at spaces rather than truncating it', () => {
    const words = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
    const src = source('long.txt', `${words}.`);
    const passages = splitIntoPassages(src, 30, countWords);
    assert.ok(passages.length >= 5);
    for (const p of passages) assert.ok(countWords(p.text) <= 30);
    assert.equal(passages.map((p) => p.text).join(' '), `${words}.`);
  });

  it('gives stable ids: same text, same id; changed text, new id', () => {
    const first = splitIntoPassages(article(), 256, countWords).map((p) => p.id);
    const again = splitIntoPassages(article(), 256, countWords).map((p) => p.id);
    assert.deepEqual(first, again);
    assert.equal(new Set(first).size, first.length);
    const edited = source(
      ARTICLE_ID,
      readFileSync(ARTICLE_PATH, 'utf8').replace('11 time zones. You', '12 time zones. You'),
    );
    const changed = splitIntoPassages(edited, 256, countWords).map((p) => p.id);
    assert.equal(changed.filter((id) => !first.includes(id)).length, 1);
  });
});

/** A token counter that records how many characters it was asked to tokenise: the splitter's work. */
function meteredCounter(): { count: (text: string) => number; chars: () => number } {
  let chars = 0;
  return {
    count: (text) => {
      chars += text.length;
      return countWords(text);
    },
    chars: () => chars,
  };
}

/** Words from a seeded generator, so every window differs (identical windows are indexed once). */
function runOnLine(words: number, seed = 1): string {
  let state = seed;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    state = (state * 48271) % 2147483647;
    out.push(`w${state.toString(36)}`);
  }
  return out.join(' ');
}

describe('splitting stays linear in the input (issue 11, item 1)', () => {
  it('tokenises each character of a long line without sentence punctuation a bounded number of times', () => {
    const work = (words: number) => {
      const src = source('line.txt', runOnLine(words));
      const meter = meteredCounter();
      const passages = splitIntoPassages(src, 256, meter.count);
      for (const p of passages) assert.ok(countWords(p.text) <= 256);
      assert.equal(
        passages.map((p) => p.text).join(' '),
        src.text,
        'the pieces cover the line, word for word',
      );
      return meter.chars() / src.text.length;
    };
    const small = work(5000);
    const large = work(20000);
    // Linear: the same work per character at both sizes (the old splitter re-tokenised the rest of
    // the line for every piece: ~60× the input at 5,000 words, ~240× at 20,000).
    assert.ok(small < 4 && large < 4, `characters tokenised per input character: ${small}, ${large}`);
    assert.ok(large / small < 1.5, `work per character grew ${large / small}× from 5,000 to 20,000 words`);
  });

  it('segments a paragraph of many short sentences in time that grows linearly, not quadratically', () => {
    // Intl.Segmenter's iterator costs the whole string's length at every step; the old code handed
    // it whole paragraphs. A ratio of two sizes (best of three runs each) is robust on a busy
    // machine: 4× the text takes ~4× the time when linear, ~16× when quadratic.
    const timeFor = (sentences: number) => {
      const text = 'Hi there. '.repeat(sentences);
      let best = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 3; run++) {
        const started = performance.now();
        const spans = splitSentences(text);
        best = Math.min(best, performance.now() - started);
        assert.equal(spans.length, sentences);
      }
      return best;
    };
    timeFor(1000); // warm-up
    const small = timeFor(4000);
    const large = timeFor(16000);
    assert.ok(large / small < 9, `4× the sentences took ${(large / small).toFixed(1)}× the time`);
  });
});

describe('repeated paragraphs (issue 11, item 11)', () => {
  it('a paragraph repeated word for word in one source is one passage, not two sharing an id', () => {
    const src = source(
      'repeat.txt',
      'The ferry leaves at nine.\n\nTickets are sold on board.\n\nThe ferry leaves at nine.',
    );
    const passages = splitIntoPassages(src, 256, countWords);
    assert.deepEqual(
      passages.map((p) => [p.text, p.paragraph]),
      [
        ['The ferry leaves at nine.', 1],
        ['Tickets are sold on board.', 2],
      ],
    );
    assert.equal(new Set(passages.map((p) => p.id)).size, passages.length);
  });
});
