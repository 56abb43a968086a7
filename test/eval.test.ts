import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UserFacingError } from '../src/errors.ts';
import { evaluate, readQuestions } from '../src/eval/evaluate.ts';
import { Quarry } from '../src/quarry.ts';
import { tempDir, testConfig } from './helpers.ts';

function questionFile(lines: object[]): string {
  const path = join(tempDir('quarry-eval-'), 'questions.jsonl');
  writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return path;
}

describe('eval question sets', () => {
  it('reads kinds, and infers them from "expect" when absent', async () => {
    const path = questionFile([
      { question: 'How many time zones does Russia have?', expect: ['11 time zones'] },
      { question: 'What is the capital of Australia?', expect: [] },
      { question: 'What is the population of Russia?', expect: [], kind: 'near-miss' },
    ]);
    const kinds = (await readQuestions(path)).map((q) => q.kind);
    assert.deepEqual(kinds, ['answerable', 'off-topic', 'near-miss']);
  });

  it('refuses an unknown kind and a near-miss question with expected text', async () => {
    for (const line of [
      { question: 'q', expect: [], kind: 'maybe' },
      { question: 'q', expect: ['x'], kind: 'near-miss' },
    ]) {
      await assert.rejects(readQuestions(questionFile([line])), UserFacingError);
    }
  });

  it('reports near-miss abstains apart from off-topic ones, and whether the bold quote holds the answer', async () => {
    const quarry = new Quarry(testConfig());
    const questions = await readQuestions(
      questionFile([
        { question: 'How many time zones does Russia have?', expect: ['11 time zones'] },
        { question: 'How many time zones does Russia have?', expect: ['very valuable earth'] },
        { question: 'What is the capital of Australia?', expect: [] },
        { question: 'How many time zones does Russia have, in winter?', expect: [], kind: 'near-miss' },
      ]),
    );
    const report = await evaluate(quarry, questions, { minRelevance: 0.3 });
    const [exact, sameParagraph, offTopic, nearMiss] = report.questions;
    assert.equal(exact?.quoteHit, true, 'the key sentence is "They have 11 time zones."');
    assert.equal(sameParagraph?.hitRank, 1);
    assert.equal(
      sameParagraph?.quoteHit,
      false,
      '"very valuable earth" is in the passage, not in its key sentence',
    );
    assert.equal(report.quoteHitAt1, 0.5);
    assert.equal(offTopic?.kind, 'off-topic');
    assert.equal(report.abstainRate, offTopic?.answered ? 0 : 1);
    assert.equal(nearMiss?.kind, 'near-miss');
    assert.equal(report.nearMissAbstainRate, nearMiss?.answered ? 0 : 1);
  });
});
