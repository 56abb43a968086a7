/**
 * Answer quality with the real default model (all-MiniLM-L6-v2), on the dev set and on the
 * tuning file: floors a little under what README "Measured" reports, so a change that costs
 * quality fails here. CI fetches the model (npm run model:fetch-offline); without it these
 * tests are skipped with a message. The held-out set is never read by tests. The floors sit 3–4
 * questions under this round's figures (tuning hit@1 0.84, quote 0.76, 1.50 per answer), above
 * the previous round's (0.79, 0.73); the near-miss floor, 0.79, sits three questions under the
 * answer check's 0.88 (30 of 34) and above the 0.59 without the focus and subject checks. The
 * second tuning file's floors sit three questions under its 0.84 near-miss refusals (26 of 31)
 * and false abstains 0.06 (7 of 111), above its 0.55 and 0.10 before the round's answer-check rules.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { evaluate, readQuestions } from '../src/eval/evaluate.ts';
import { Quarry } from '../src/quarry.ts';
import { calibrationKey, findCalibration } from '../src/search/calibration.ts';
import { ROOT, testConfig } from './helpers.ts';

const MODEL = process.env.QUARRY_MINILM_DIR ?? join(ROOT, 'data', 'models', 'all-MiniLM-L6-v2');
const skip = existsSync(join(MODEL, 'onnx', 'model.onnx'))
  ? false
  : `no all-MiniLM-L6-v2 at ${MODEL} (run npm run model:fetch-offline; CI does)`;

describe('answer quality with the real default model', { skip }, () => {
  const quarry = new Quarry(testConfig({ EMBEDDING_MODEL: MODEL }));
  const questions = (name: string) => readQuestions(join(ROOT, 'test', 'eval', `questions.${name}.jsonl`));

  it('uses its own calibration, not the fallback', async () => {
    const embedder = await quarry.embedder();
    const key = calibrationKey(embedder.modelName, MODEL, 'fp32');
    assert.equal(key, 'all-MiniLM-L6-v2#fp32');
    assert.ok(findCalibration(key));
  });

  it('tuning file: right passage first, honest refusals, no filler', async () => {
    const report = await evaluate(quarry, await questions('tune'));
    assert.ok(report.hitAt1 >= 0.8, `hit@1 ${report.hitAt1}`);
    assert.ok(report.hitAt3 >= 0.9, `hit@3 ${report.hitAt3}`);
    assert.ok(report.quoteHitAt1 >= 0.72, `quote hit@1 ${report.quoteHitAt1}`);
    assert.equal(report.abstainRate, 1, 'every off-topic question abstains');
    assert.ok(report.nearMissAbstainRate >= 0.79, `near-miss abstain ${report.nearMissAbstainRate}`);
    assert.ok(report.falseAbstainRate <= 0.05, `false abstain ${report.falseAbstainRate}`);
    assert.ok(report.resultsPerAnswer <= 1.7, `passages per answer ${report.resultsPerAnswer}`);
  });

  it('second tuning file (paraphrase): near-misses refused, few right answers refused', async () => {
    const report = await evaluate(quarry, await questions('tune2'));
    assert.equal(report.abstainRate, 1, 'every off-topic question abstains');
    assert.ok(report.nearMissAbstainRate >= 0.74, `near-miss abstain ${report.nearMissAbstainRate}`);
    assert.ok(report.falseAbstainRate <= 0.09, `false abstain ${report.falseAbstainRate}`);
  });

  it('dev set: hit@1 ≥ 11/13, all off-topic questions abstain, at most one false abstain', async () => {
    const report = await evaluate(quarry, await questions('dev'));
    assert.ok(report.hitAt1 >= 11 / 13 - 1e-9, `hit@1 ${report.hitAt1}`);
    assert.equal(report.abstainRate, 1);
    assert.ok(report.falseAbstainRate <= 1 / 13 + 1e-9, `false abstain ${report.falseAbstainRate}`);
  });

  it("refuses the issue's related-but-unanswered questions and still answers the real one", async () => {
    // Issue 9's examples: each was answered from a loosely related passage (the reserves figure
    // for a population, the Federal Agency for a company, Russia's 11 time zones for China's).
    for (const question of [
      'What is the population of Russia?',
      "Which company will develop Russia's deposits?",
      'How many time zones does China have?',
    ]) {
      const answer = await quarry.ask(question);
      assert.equal(answer.answered, false, `${question} → ${answer.results[0]?.text.slice(0, 80)}`);
    }
    const russia = await quarry.ask('How many time zones does Russia have?');
    assert.equal(russia.answered, true);
    assert.match(russia.results[0]?.text ?? '', /11 time zones/);
  });

  it('own set: hit@3 ≥ 0.9 and every off-topic question abstains', async () => {
    const report = await evaluate(quarry, await questions('own'));
    assert.ok(report.hitAt3 >= 0.9, `hit@3 ${report.hitAt3}`);
    assert.equal(report.abstainRate, 1);
  });
});
