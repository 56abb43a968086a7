/** The cross-fold helpers of scripts/tune-retrieval.ts --folds. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crossValidate, stratifiedFolds } from '../scripts/tune-folds.ts';

const items = [
  ...Array.from({ length: 10 }, (_, i) => ({ id: i, kind: 'answerable' })),
  ...Array.from({ length: 4 }, (_, i) => ({ id: 10 + i, kind: 'off-topic' })),
];

describe('stratifiedFolds', () => {
  it('splits every item into exactly one fold, each kind evenly, the same way for the same seed', () => {
    const folds = stratifiedFolds(items, (q) => q.kind, 2, 7);
    assert.deepEqual(
      folds
        .flat()
        .map((q) => q.id)
        .sort((a, b) => a - b),
      items.map((q) => q.id),
    );
    for (const fold of folds) {
      assert.equal(fold.filter((q) => q.kind === 'answerable').length, 5);
      assert.equal(fold.filter((q) => q.kind === 'off-topic').length, 2);
    }
    assert.deepEqual(
      stratifiedFolds(items, (q) => q.kind, 2, 7),
      folds,
    );
    assert.notDeepEqual(
      stratifiedFolds(items, (q) => q.kind, 2, 8),
      folds,
    );
  });
});

describe('crossValidate', () => {
  it('measures each fold with the setting chosen on the others, not on itself', () => {
    // A setting "remembers" the ids it was chosen on: it scores 1 on a question of its own fold
    // only. Chosen on one fold, measured on the other, it must score 0.
    const folds = [[{ id: 0 }], [{ id: 1 }]];
    const grid = [0, 1];
    const score = (qs: readonly { id: number }[], setting: number) =>
      qs.filter((q) => q.id === setting).length / qs.length;
    const result = crossValidate(folds, grid, score, 0);
    assert.deepEqual(result.chosen, [1, 0]);
    assert.equal(result.crossFold, 0);
    assert.equal(result.reference, 0.5);
  });
});
