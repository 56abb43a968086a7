/**
 * How the retrieval defaults were chosen, re-runnable against the code that ships: every question
 * is embedded once and its candidates gathered once with src/search/retrieve.ts's own
 * gatherCandidates; each setting is then replayed through the shipped scoreCandidates and
 * selectResults and judged by the eval's own judge/summarise.
 *
 *   npx tsx scripts/tune-retrieval.ts [question files…]          grid of fusion weights × thresholds
 *   npx tsx scripts/tune-retrieval.ts --calibrate [files…]        writes this model's thresholds
 *   npx tsx scripts/tune-retrieval.ts --explain [files…]          the decision for every question
 *
 * Default files: the tuning half and the dev and own sets. Never pass the held-out half: it is
 * for the final, once-only measurement.
 */
import { parseArgs } from 'node:util';
import { loadCoreConfig, loadEnvFile } from '../src/config.ts';
import { type EvalQuestion, judge, readQuestions, summarise } from '../src/eval/evaluate.ts';
import { Quarry } from '../src/quarry.ts';
import { ANSWER_CHECK, type AnswerCheckOptions } from '../src/search/answerability.ts';
import { calibrationKey, writeCalibration } from '../src/search/calibration.ts';
import {
  type Candidate,
  DENSE_WEIGHT,
  gatherCandidates,
  type PreparedQuestion,
  prepareQuestion,
  quoteOf,
  type SearchOptions,
  scoreCandidates,
  selectResults,
} from '../src/search/retrieve.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { calibrate: { type: 'boolean', default: false }, explain: { type: 'boolean', default: false } },
});
const files = positionals.length
  ? positionals
  : ['test/eval/questions.tune.jsonl', 'test/eval/questions.dev.jsonl', 'test/eval/questions.own.jsonl'];
if (files.some((f) => f.includes('heldout')))
  throw new Error('tune: the held-out half is for the final measurement only');

loadEnvFile();
const config = loadCoreConfig();
const quarry = new Quarry(config);
const snapshot = await quarry.open();
const embedder = await quarry.embedder();

interface Gathered {
  question: EvalQuestion;
  prepared: PreparedQuestion;
  candidates: Candidate[];
}
const sets: Record<string, Gathered[]> = {};
for (const file of files) {
  const gathered: Gathered[] = [];
  for (const question of await readQuestions(file)) {
    const [vector] = await embedder.embed([question.question], 'query');
    if (!vector) throw new Error('tune: no vector');
    const prepared = prepareQuestion(question.question);
    const candidates = gatherCandidates(snapshot, prepared, vector, 'hybrid', snapshot.passages.length);
    gathered.push({ question, prepared, candidates });
  }
  sets[file.replace(/^.*questions\.|\.jsonl$/g, '')] = gathered;
}

function replay(gathered: Gathered[], options: SearchOptions) {
  return summarise(
    gathered.map(({ question, prepared, candidates }) => {
      const outcome = selectResults(
        scoreCandidates(candidates, options.mode, options.denseWeight),
        prepared,
        options,
      );
      return judge(question, {
        answered: outcome.answered,
        results: outcome.results.map((s) => ({
          text: s.passage.text,
          quote: quoteOf(s),
          score: s.relevance,
        })),
      });
    }),
  );
}

const f2 = (n: number) => n.toFixed(2);
function line(report: ReturnType<typeof replay>): string {
  return `${f2(report.hitAt1)} ${f2(report.hitAt3)} q${f2(report.quoteHitAt1)} off${f2(report.abstainRate)} near${f2(report.nearMissAbstainRate)} fa${f2(report.falseAbstainRate)} n${f2(report.resultsPerAnswer)}`;
}

const base: SearchOptions = {
  mode: 'hybrid',
  denseWeight: DENSE_WEIGHT,
  k: config.topK,
  minRelevance: 0,
  supportShare: 0,
  answerCheck: ANSWER_CHECK,
};

if (values.explain) {
  const options = { ...base, ...quarry.selectionPolicy() };
  for (const [name, gathered] of Object.entries(sets)) {
    for (const g of gathered) {
      const scored = scoreCandidates(g.candidates, options.mode, options.denseWeight);
      const outcome = selectResults(scored, g.prepared, options);
      const row = judge(g.question, {
        answered: outcome.answered,
        results: outcome.results.map((s) => ({
          text: s.passage.text,
          quote: quoteOf(s),
          score: s.relevance,
        })),
      });
      const top = outcome.results[0] ?? outcome.nearest;
      const verdict =
        row.kind === 'answerable'
          ? row.hitRank === 1
            ? row.quoteHit
              ? 'ok  '
              : 'okP '
            : row.answered
              ? 'MISS'
              : 'FABS'
          : row.answered
            ? 'LEAK'
            : 'abst';
      console.log(
        `${name} ${verdict} ${row.kind.slice(0, 4)} ${f2(scored[0]?.relevance ?? 0)}/${f2(scored[1]?.relevance ?? 0)} ${top?.check?.reason ?? ''} | ${g.question.question} | ${top ? quoteOf(top).slice(0, 90) : ''}`,
      );
    }
  }
} else if (values.calibrate) {
  // The abstain threshold and the support share for this model, on the tuning files only.
  const all = Object.values(sets).flat();
  let best: { score: number; minRelevance: number; supportShare: number; line: string } | null = null;
  for (let minRelevance = 0; minRelevance <= 0.9; minRelevance += 0.01) {
    for (const supportShare of [0.7, 0.75, 0.8, 0.85, 0.9, 0.95]) {
      const report = replay(all, { ...base, minRelevance, supportShare });
      // Never refuse an answerable question we could answer; then refuse as much as possible;
      // then keep the right passage in the top 3 with as few passages as possible.
      const score =
        report.abstainRate +
        report.nearMissAbstainRate -
        4 * report.falseAbstainRate +
        report.hitAt3 -
        0.02 * report.resultsPerAnswer;
      if (!best || score > best.score + 1e-9)
        best = { score, minRelevance: Number(minRelevance.toFixed(2)), supportShare, line: line(report) };
    }
  }
  if (!best) throw new Error('tune: nothing to calibrate on');
  const key = calibrationKey(config.embeddingModel, config.embeddingDtype);
  await writeCalibration(key, {
    minRelevance: best.minRelevance,
    supportShare: best.supportShare,
    questions: all.length,
  });
  console.log(`${key}: minRelevance ${best.minRelevance}, supportShare ${best.supportShare}  ${best.line}`);
} else {
  for (const weight of [0.5, 0.6, 0.7, 0.8, 0.9, 1]) {
    for (const minRelevance of [0.3, 0.4, 0.5, 0.6, 0.7]) {
      const checks: [string, AnswerCheckOptions | null][] = [
        ['none ', null],
        ['type ', { typeCheck: true }],
      ];
      for (const [label, answerCheck] of checks) {
        const options = { ...base, denseWeight: weight, minRelevance, supportShare: 0.8, answerCheck };
        const cells = Object.entries(sets).map(([name, g]) => `${name} ${line(replay(g, options))}`);
        console.log(`w${weight} t${minRelevance} ${label}  ${cells.join(' | ')}`);
      }
    }
  }
  const rankOnly = { ...base, answerCheck: null };
  for (const mode of ['dense', 'bm25', 'hybrid'] as const) {
    const cells = Object.entries(sets).map(
      ([name, g]) => `${name} ${line(replay(g, { ...rankOnly, mode }))}`,
    );
    console.log(`${mode.padEnd(6)} ranking only  ${cells.join(' | ')}`);
  }
}
