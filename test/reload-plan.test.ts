/**
 * Reload planning without a model or a disk: a word-count token counter and sources made from
 * text stand in for the tokenizer and the sources folder.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PreviousIndex, planReload, summariseReload } from '../src/index/reload-plan.ts';
import type { StoredPassage } from '../src/index/store.ts';
import { type Passage, splitIntoPassages } from '../src/passages/split.ts';
import { type Source, sourceFromText } from '../src/sources/load.ts';

const MAX_TOKENS = 64;
const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length + 2;

function source(id: string, raw: string): Source {
  const s = sourceFromText(id, raw, 'text');
  if (!('text' in s)) throw new Error(`fixture skipped: ${s.reason}`);
  return s;
}

const alpha = source('alpha.txt', 'Alpha\n\nThe first paragraph is here.\n\nThe second one follows it.');
const beta = source('beta.txt', 'Beta\n\nBeta has one paragraph only.');
const betaEdited = source('beta.txt', 'Beta\n\nBeta has one paragraph only.\n\nAnd now a second one.');

/** A splitter that records which sources it had to split. */
function recordingSplitter() {
  const split: string[] = [];
  return {
    split,
    fn: (s: Source): Passage[] => {
      split.push(s.id);
      return splitIntoPassages(s, MAX_TOKENS, countWords);
    },
  };
}

const loaded = (...sources: Source[]) => ({ sources, skipped: [], warnings: [] });

/** The previous index a first reload of `sources` would have produced. */
function indexOf(sources: Source[], passageMaxTokens = MAX_TOKENS): PreviousIndex {
  const plan = planReload({
    previous: null,
    loaded: loaded(...sources),
    passageMaxTokens,
    split: (s) => splitIntoPassages(s, passageMaxTokens, countWords),
    now: '2026-01-01T00:00:00.000Z',
  });
  let row = 0;
  const passages: StoredPassage[] = plan.passages.map((p) => {
    const stored = { ...p, sentenceRow: row };
    row += p.sentences.length;
    return stored;
  });
  return { manifest: { sources: plan.sources, passageMaxTokens }, passages };
}

describe('planReload', () => {
  it('splits every source of a first reload and counts every passage as added', () => {
    const splitter = recordingSplitter();
    const plan = planReload({
      previous: null,
      loaded: loaded(alpha, beta),
      passageMaxTokens: MAX_TOKENS,
      split: splitter.fn,
      now: 'now',
    });
    assert.deepEqual(splitter.split, ['alpha.txt', 'beta.txt']);
    assert.equal(plan.passages.length, 3);
    assert.deepEqual(plan.counts, { added: 3, removed: 0, unchanged: 0 });
    assert.equal(plan.sameAsPrevious, false);
    assert.deepEqual(
      plan.sources.map((s) => [s.id, s.passages, s.loadedAt]),
      [
        ['alpha.txt', 2, 'now'],
        ['beta.txt', 1, 'now'],
      ],
    );
  });

  it('reuses the passages of unchanged sources without splitting them and knows nothing changed', () => {
    const previous = indexOf([alpha, beta]);
    const splitter = recordingSplitter();
    const plan = planReload({
      previous,
      loaded: loaded(alpha, beta),
      passageMaxTokens: MAX_TOKENS,
      split: splitter.fn,
      now: 'later',
    });
    assert.deepEqual(splitter.split, []);
    assert.equal(plan.sameAsPrevious, true);
    assert.deepEqual(plan.counts, { added: 0, removed: 0, unchanged: 3 });
    assert.ok(plan.sources.every((s) => s.loadedAt === '2026-01-01T00:00:00.000Z'));
    // Reused passages lose their storage row: the build assigns new ones.
    assert.ok(plan.passages.every((p) => !('sentenceRow' in p)));
  });

  it('splits only the changed source and counts what was added and kept', () => {
    const splitter = recordingSplitter();
    const plan = planReload({
      previous: indexOf([alpha, beta]),
      loaded: loaded(alpha, betaEdited),
      passageMaxTokens: MAX_TOKENS,
      split: splitter.fn,
      now: 'later',
    });
    assert.deepEqual(splitter.split, ['beta.txt']);
    assert.equal(plan.sameAsPrevious, false);
    // "Beta has one paragraph only." is still there (same id), one paragraph is new.
    assert.deepEqual(plan.counts, { added: 1, removed: 0, unchanged: 3 });
    assert.deepEqual(
      plan.sources.map((s) => s.loadedAt),
      ['2026-01-01T00:00:00.000Z', 'later'],
    );
  });

  it('splits again when the passage size limit changed, even for unchanged text', () => {
    const splitter = recordingSplitter();
    planReload({
      previous: indexOf([alpha], 32),
      loaded: loaded(alpha),
      passageMaxTokens: MAX_TOKENS,
      split: splitter.fn,
      now: 'later',
    });
    assert.deepEqual(splitter.split, ['alpha.txt']);
  });

  it('a single-source reload keeps the other sources first and counts removals', () => {
    const previous = indexOf([alpha, betaEdited]);
    const plan = planReload({
      previous,
      loaded: loaded(beta),
      only: 'beta.txt',
      passageMaxTokens: MAX_TOKENS,
      split: recordingSplitter().fn,
      now: 'later',
    });
    assert.deepEqual(
      plan.sources.map((s) => s.id),
      ['alpha.txt', 'beta.txt'],
    );
    assert.deepEqual(
      plan.passages.map((p) => p.sourceId),
      ['alpha.txt', 'alpha.txt', 'beta.txt'],
    );
    assert.deepEqual(plan.counts, { added: 0, removed: 1, unchanged: 3 });
  });

  it('summarises the plan with what the build embedded', () => {
    const plan = planReload({
      previous: indexOf([alpha]),
      loaded: loaded(alpha, beta),
      passageMaxTokens: MAX_TOKENS,
      split: recordingSplitter().fn,
      now: 'later',
    });
    const summary = summariseReload(
      plan,
      { skipped: [{ id: 'x.pdf', reason: 'unsupported' }], warnings: ['w'] },
      { embedded: 2, seconds: 0.5 },
    );
    assert.deepEqual(summary, {
      sources: 2,
      passages: 3,
      added: 1,
      removed: 0,
      unchanged: 2,
      embedded: 2,
      seconds: 0.5,
      skipped: [{ id: 'x.pdf', reason: 'unsupported' }],
      warnings: ['w'],
    });
  });
});
