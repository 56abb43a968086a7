import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embedsLength, escapeText, formatAnswer, LIMITS, quoteBlock, truncate } from '../src/bot/format.ts';
import type { Answer, AnswerResult } from '../src/quarry.ts';

function result(text: string, quote: [number, number], overrides: Partial<AnswerResult> = {}): AnswerResult {
  return {
    text,
    quote: text.slice(quote[0], quote[1]),
    quoteStart: quote[0],
    quoteEnd: quote[1],
    score: 0.73,
    source: 'doc.md',
    title: 'A Document',
    paragraph: 4,
    passageId: 'abc',
    ...overrides,
  };
}

function answer(results: AnswerResult[], question = 'What is it?'): Answer {
  return { question, answered: results.length > 0, results, nearest: null };
}

function assertWithinLimits(message: ReturnType<typeof formatAnswer>): void {
  assert.ok(message.content.length <= LIMITS.content, `content ${message.content.length}`);
  assert.ok(message.embeds.length <= LIMITS.embedsPerMessage);
  assert.ok(
    embedsLength(message.embeds) <= LIMITS.embedsTotal,
    `embeds total ${embedsLength(message.embeds)}`,
  );
  for (const e of message.embeds) {
    assert.ok((e.title ?? '').length <= LIMITS.embedTitle, `title ${(e.title ?? '').length}`);
    assert.ok(
      (e.description ?? '').length <= LIMITS.embedDescription,
      `description ${(e.description ?? '').length}`,
    );
    assert.ok((e.footer?.text ?? '').length <= LIMITS.embedFooter);
    for (const f of e.fields ?? []) assert.ok(f.value.length <= LIMITS.embedField);
  }
}

describe('escapeText', () => {
  it('neutralises markdown and mentions', () => {
    const escaped = escapeText(
      '**bold** _it_ `code` [link](http://x) @everyone @here <@&123> <@456> > quote\n# heading\n- item\n1. first',
    );
    assert.equal(
      escaped,
      '\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\[link\\]\\(http://x\\) @\u200beveryone @\u200bhere \\<@&123\\> \\<@456\\> \\> quote\n\\# heading\n\\- item\n\\1. first',
    );
  });
});

describe('truncate', () => {
  it('cuts at a word boundary and marks the cut', () => {
    assert.equal(truncate('one two three four', 16), 'one two three…');
    assert.equal(truncate('short', 10), 'short');
    assert.ok(truncate('x'.repeat(50), 10).length <= 10);
  });
});

describe('quoteBlock', () => {
  const text = 'First sentence here. The key sentence is this one. Last sentence follows.';
  it('quotes the whole passage with the key sentence in bold when it fits', () => {
    assert.equal(
      quoteBlock(text, 21, 50, 4096),
      '> First sentence here. **The key sentence is this one.** Last sentence follows.',
    );
  });
  it('trims context, not the key sentence, when space is short', () => {
    const out = quoteBlock(text, 21, 50, 60);
    assert.ok(out.length <= 60, out);
    assert.ok(out.includes('**The key sentence is this one.**'), out);
  });
  it('underlines the answer inside the bold key sentence', () => {
    const passage = 'Russia is vast. They have 11 time zones. It is cold.';
    assert.equal(
      quoteBlock(passage, 16, 40, 4096, { start: 26, end: 28 }),
      '> Russia is vast. **They have __11__ time zones.** It is cold.',
    );
    // Not when the key sentence had to be cut: the span could point past what is shown.
    const cut = quoteBlock(passage, 16, 40, 20, { start: 26, end: 28 });
    assert.ok(cut.length <= 20 && !cut.includes('__'), cut);
  });
  it('quotes every line of a multi-line passage and bolds each key line', () => {
    assert.equal(quoteBlock('line one\nline two', 0, 17, 100), '> **line one**\n> **line two**');
  });
  for (const max of [3, 10, 57, 200, 1024]) {
    it(`never exceeds ${max} characters, whatever the markdown density`, () => {
      const nasty = '*_`|>[]()<@&1>\n'.repeat(400);
      assert.ok(quoteBlock(nasty, 100, 3000, max).length <= max);
    });
  }
});

describe('formatAnswer limits', () => {
  it('a 50,000-character passage still fits one embed', () => {
    const long = `${'word '.repeat(5000)}The answer is here. ${'tail '.repeat(5000)}`;
    const start = long.indexOf('The answer');
    const message = formatAnswer(answer([result(long, [start, start + 19])]));
    assertWithinLimits(message);
    assert.ok(message.embeds[0]?.description?.includes('**The answer is here.**'));
  });

  it('ten long results with heavy markdown share the 6,000-character total', () => {
    const text = '**x** _y_ @everyone <@&1> '.repeat(300);
    const results = Array.from({ length: 12 }, (_, i) =>
      result(text, [0, 200], { title: `T${i} ${'long title '.repeat(40)}` }),
    );
    const message = formatAnswer(answer(results, `${'q'.repeat(400)} @everyone`));
    assertWithinLimits(message);
    assert.equal(message.embeds.length, 10);
    assert.ok(!JSON.stringify(message).includes('@everyone'));
  });

  it('"not in the sources" with a low-confidence nearest passage', () => {
    const nearest = result('Some loosely related text.', [0, 26], { score: 0.12 });
    const message = formatAnswer(
      { question: 'Off topic?', answered: false, results: [], nearest },
      { showNearest: true },
    );
    assertWithinLimits(message);
    assert.match(message.content, /^\*\*Not in the sources\.\*\*/);
    assert.match(message.embeds[0]?.title ?? '', /Closest passage \(low confidence\)/);
    assert.equal(
      formatAnswer({ question: 'Off topic?', answered: false, results: [], nearest }).embeds.length,
      0,
    );
  });
});
