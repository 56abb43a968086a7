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
import { RARE_WORD_ID, rareWordTest } from '../src/search/answerability.ts';
import { calibrationKey, writeCalibration } from '../src/search/calibration.ts';
import {
  type Candidate,
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

let rareId = RARE_WORD_ID;
const vocabulary = {
  knows: (term: string) => snapshot.lexical.knows(term),
  isRareWord: (word: string) => rareWordTest((w) => embedder.wordPieces(w), rareId)(word),
};

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

function decide(g: Gathered, options: SearchOptions) {
  const scored = scoreCandidates(g.candidates, g.prepared, options);
  const outcome = selectResults(scored, g.prepared, options, vocabulary);
  const row = judge(g.question, {
    answered: outcome.answered,
    results: outcome.results.map((s) => ({ text: s.passage.text, quote: quoteOf(s), score: s.relevance })),
  });
  return { scored, outcome, row };
}

function replay(gathered: Gathered[], options: SearchOptions) {
  return summarise(gathered.map((g) => decide(g, options).row));
}

const f2 = (n: number) => n.toFixed(2);
function line(report: ReturnType<typeof replay>): string {
  return `${f2(report.hitAt1)} ${f2(report.hitAt3)} q${f2(report.quoteHitAt1)} off${f2(report.abstainRate)} near${f2(report.nearMissAbstainRate)} fa${f2(report.falseAbstainRate)} n${f2(report.resultsPerAnswer)}`;
}

const shipped: SearchOptions = { ...quarry.selectionPolicy(), mode: 'hybrid' };
const all = Object.values(sets).flat();

if (values.explain) {
  for (const [name, gathered] of Object.entries(sets)) {
    for (const g of gathered) {
      const { scored, outcome, row } = decide(g, shipped);
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
  // The abstain threshold and the support share for this model, on the tuning files only; the
  // fusion and quote weights stay the shipped ones.
  let best: { score: number; minRelevance: number; supportShare: number; line: string } | null = null;
  for (let minRelevance = 0; minRelevance <= 0.9; minRelevance += 0.01) {
    for (const supportShare of [0.7, 0.75, 0.8, 0.85, 0.9, 0.95]) {
      const report = replay(all, { ...shipped, minRelevance, supportShare });
      // Refuse as much as possible while refusing almost no answerable question; then keep the
      // right passage in the top 3 with as few passages as possible.
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
  const show = (label: string, options: SearchOptions) => {
    const cells = Object.entries(sets).map(([name, g]) => `${name} ${line(replay(g, options))}`);
    console.log(`${label.padEnd(28)} all ${line(replay(all, options))} | ${cells.join(' | ')}`);
  };
  show('shipped', shipped);
  for (const mode of ['dense', 'bm25', 'hybrid'] as const)
    show(`${mode}, ranking only`, { ...shipped, mode, minRelevance: 0, supportShare: 0, answerCheck: null });
  for (const denseWeight of [0.5, 0.6, 0.7, 0.8, 0.9])
    show(`fusion weight ${denseWeight}`, { ...shipped, denseWeight });
  for (const typeMargin of [0, 0.05, 0.1, 0.15, 0.2])
    show(`type margin ${typeMargin}`, { ...shipped, answerCheck: { typeMargin, focusCheck: true } });
  for (const id of [3000, 5000, 8000, 10000, 13000, 16000, 20000]) {
    rareId = id;
    show(`rare word from id ${id}`, shipped);
  }
  rareId = RARE_WORD_ID;
  show('no focus check', { ...shipped, answerCheck: { typeMargin: 0.1, focusCheck: false } });
  show('no answer-type check', { ...shipped, answerCheck: null });
  for (const quoteWeightedOverlap of [false, true])
    for (const quoteDenseWeight of [0.2, 0.4, 0.5, 0.6, 0.7, 0.8])
      for (const quoteTypeBonus of [0, 0.1])
        show(
          `quote ${quoteWeightedOverlap ? 'idf ' : ''}weight ${quoteDenseWeight} bonus ${quoteTypeBonus}`,
          {
            ...shipped,
            quoteDenseWeight,
            quoteTypeBonus,
            quoteWeightedOverlap,
          },
        );
  for (const minRelevance of [-0.06, -0.03, 0.03, 0.06])
    show(`threshold ${minRelevance > 0 ? '+' : ''}${minRelevance}`, {
      ...shipped,
      minRelevance: shipped.minRelevance + minRelevance,
    });
}
