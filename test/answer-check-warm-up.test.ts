/**
 * The answer check's first-use work done in the background once an index is served
 * (src/search/answer-check-warm-up.ts): compromise tags the index's sentences and WordNet opens
 * before a question needs them, never while a reload runs, and not for a replaced index.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { nextTurn } from '../src/event-loop.ts';
import { sentenceTexts } from '../src/index/search-index.ts';
import type { StoredPassage } from '../src/index/store.ts';
import { Quarry } from '../src/quarry.ts';
import { warmAnswerCheck } from '../src/search/answer-check-warm-up.ts';
import { wordNetOpened } from '../src/search/answerability.ts';
import { taggedTexts, tagTokens } from '../src/search/expected-answer.ts';
import { testConfig } from './helpers.ts';

/** How many texts compromise tagged during `work` (cache hits not counted). */
async function countTagged(work: () => unknown): Promise<number> {
  const before = taggedTexts();
  await work();
  return taggedTexts() - before;
}

/** Passages of sentences no other test tags (a fresh word in each). */
function freshPassages(count: number): StoredPassage[] {
  return Array.from({ length: count }, (_, i) => {
    const word = randomUUID();
    const text = `Quibble ${word} met the council in Paris. It agreed on ${i + 2} points of ${word}.`;
    const split = text.indexOf('It agreed');
    return {
      id: `p${i}`,
      sourceId: 'fresh.txt',
      paragraph: i + 1,
      start: 0,
      end: text.length,
      text,
      sentences: [
        { start: 0, end: split - 1 },
        { start: split, end: text.length },
      ],
      sentenceRow: 2 * i,
    };
  });
}

describe('answer-check warm-up', () => {
  it('tags the served index and opens WordNet, so a first question tags only itself', async () => {
    const quarry = new Quarry(testConfig());
    const index = await quarry.open();
    await quarry.answerCheckWarmedUp();
    assert.ok(wordNetOpened(), 'WordNet read before any question');
    // Before the warm-up, this question also tagged the key sentences it met (3 sentences here).
    const question = 'How many time zones does Russia have?';
    let answer: Awaited<ReturnType<Quarry['ask']>> | undefined;
    const tagged = await countTagged(async () => {
      answer = await quarry.ask(question, { minRelevance: 0 });
    });
    assert.ok(answer?.results[0] ?? answer?.nearest, 'the answer check ran on a passage');
    assert.equal(tagged, 1, 'only the question');
    const sentences = index.passages.flatMap((p) => sentenceTexts(p));
    assert.ok(sentences.length > 10);
    assert.equal(
      await countTagged(() => {
        for (const s of sentences) tagTokens(s);
      }),
      0,
    );
  });

  it('drops the rest once the index is no longer served', async () => {
    const passages = freshPassages(10);
    let served = true;
    const tagged = await countTagged(async () => {
      const warming = warmAnswerCheck(passages, { stale: () => !served, busy: () => null });
      for (let i = 0; i < 4; i++) await nextTurn();
      served = false;
      await warming;
    });
    assert.ok(tagged > 0 && tagged < 20, `${tagged} of 20 sentences tagged`);
  });

  it('waits while a reload runs, then tags every sentence', async () => {
    const passages = freshPassages(3);
    let finishReload = () => {};
    let reload: Promise<void> | null = new Promise<void>((resolve) => {
      finishReload = resolve;
    });
    const before = taggedTexts();
    const warming = warmAnswerCheck(passages, { stale: () => false, busy: () => reload });
    for (let i = 0; i < 5; i++) await nextTurn();
    assert.equal(taggedTexts() - before, 0, 'nothing tagged during the reload');
    reload = null;
    finishReload();
    await warming;
    assert.equal(taggedTexts() - before, 6);
  });
});
