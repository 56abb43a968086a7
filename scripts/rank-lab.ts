/**
 * Ranking lab (issue 9: right passage first, right sentence bold). Every question of the tuning
 * files is embedded once and its candidates gathered once — the plain query's and, with
 * LEXICAL_EXPANSION on, the expanded query's — then replayed through the shipped scoreCandidates,
 * keepPlainScale and selectResults exactly as `search` does, judged by the eval's own judge (the
 * "shipped" row equals `npm run eval` question by question). Figures: hit@1 / hit@3 / quote hit@1
 * / near-miss abstain / false abstain per file. README "Retrieval": "Key sentence" and "Ranking and
 * key sentence this round".
 *
 *   npx tsx scripts/rank-lab.ts [files…]            shipped vs ranking only (no threshold, no check)
 *   npx tsx scripts/rank-lab.ts --dump [--set tune2] every answerable question whose first passage or
 *                                                    key sentence is wrong, with its sentence scores
 *   npx tsx scripts/rank-lab.ts --grid               fusion weight × passage share × sentence share,
 *                                                    and the per-question oracle over that grid
 *   npx tsx scripts/rank-lab.ts --quote              the key sentence's reference-join margin, chosen on one
 *                                                    half of tune + tune2 and measured on the other, with
 *                                                    how much text ends up bold
 *   npx tsx scripts/rank-lab.ts --maxsim             late interaction (MaxSim over MiniLM's token
 *                                                    vectors) mixed into sentence cosines, chosen on one
 *                                                    half of tune + tune2 and measured on the other
 *
 * Default files: tune, tune2, dev, own. Never a held-out file (tuningFiles refuses it).
 */
import { parseArgs } from 'node:util';
import {
  containsExpected,
  type EvalQuestion,
  judge,
  readQuestions,
  summarise,
} from '../src/eval/evaluate.ts';
import { keepPlainScale } from '../src/search/expansion.ts';
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
import { toTerm } from '../src/text/terms.ts';
import { openReplay } from './replay-setup.ts';
import { crossValidate, objective, stratifiedFolds, tuningFiles } from './tune-folds.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dump: { type: 'boolean', default: false },
    set: { type: 'string' },
    grid: { type: 'boolean', default: false },
    maxsim: { type: 'boolean', default: false },
    quote: { type: 'boolean', default: false },
  },
});
const files = tuningFiles(
  positionals.length
    ? positionals
    : ['tune', 'tune2', 'dev', 'own'].map((n) => `test/eval/questions.${n}.jsonl`),
);

const { config, quarry, snapshot, embedder, expander, vocabulary: vocabularyWith } = await openReplay();
const vocabulary = vocabularyWith();

/** A sentence's MaxSim with the question, when --maxsim computed it. */
type Sentence = Candidate['sentences'][number] & { maxSim?: number };

interface Gathered {
  question: EvalQuestion;
  prepared: PreparedQuestion;
  plain: Candidate[];
  expanded: Candidate[] | null;
}

// Late interaction: each question word-piece's best cosine with a word-piece of the sentence
// (contextual token vectors of the same MiniLM, unpooled), averaged over the question's content
// pieces. Lab only: it needs every sentence's token vectors.
type Tokens = { vectors: Float32Array[]; content: boolean[] };
let tokensOf: ((text: string) => Promise<Tokens>) | null = null;
if (values.maxsim) {
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  const extractor = await pipeline('feature-extraction', config.embeddingModel, { dtype: 'fp32' });
  const cache = new Map<string, Tokens>();
  tokensOf = async (text) => {
    const known = cache.get(text);
    if (known) return known;
    const out = await extractor(text, { pooling: 'none' });
    const [, n = 0, d = 0] = out.dims as number[];
    const data = out.data as Float32Array;
    const ids = extractor.tokenizer.encode(text) as number[];
    const found: Tokens = { vectors: [], content: [] };
    for (let t = 1; t < n - 1; t++) {
      const v = data.slice(t * d, (t + 1) * d);
      const norm = Math.hypot(...v) || 1;
      found.vectors.push(v.map((x) => x / norm));
      const piece = String(extractor.tokenizer.decode([ids[t] ?? 0]));
      found.content.push(/[\p{L}\p{N}]/u.test(piece) && (piece.startsWith('##') || toTerm(piece) !== null));
    }
    cache.set(text, found);
    return found;
  };
}

async function maxSim(question: string, sentence: string): Promise<number> {
  if (!tokensOf) return 0;
  const q = await tokensOf(question);
  const s = await tokensOf(sentence);
  let sum = 0;
  let n = 0;
  q.vectors.forEach((qv, i) => {
    if (!q.content[i]) return;
    let best = -1;
    for (const sv of s.vectors) {
      let dot = 0;
      for (let k = 0; k < qv.length; k++) dot += (qv[k] ?? 0) * (sv[k] ?? 0);
      best = Math.max(best, dot);
    }
    sum += best;
    n++;
  });
  return n ? sum / n : 0;
}

async function withMaxSim(candidates: Candidate[], question: string): Promise<Candidate[]> {
  if (!tokensOf) return candidates;
  const out: Candidate[] = [];
  for (const c of candidates) {
    const sentences: Sentence[] = [];
    for (const s of c.sentences) sentences.push({ ...s, maxSim: await maxSim(question, s.text) });
    out.push({ ...c, sentences });
  }
  return out;
}

const sets: Record<string, Gathered[]> = {};
for (const file of files) {
  const gathered: Gathered[] = [];
  for (const question of await readQuestions(file)) {
    const [vector] = await embedder.embed([question.question], 'query');
    if (!vector) throw new Error('lab: no vector');
    const prepared = prepareQuestion(question.question);
    const asked = (await expander?.expansionFor(snapshot, question.question))?.(prepared) ?? prepared;
    const all = snapshot.passages.length;
    const plain = await withMaxSim(
      gatherCandidates(snapshot, prepared, vector, 'hybrid', all),
      question.question,
    );
    const expanded =
      asked === prepared
        ? null
        : await withMaxSim(gatherCandidates(snapshot, asked, vector, 'hybrid', all), question.question);
    gathered.push({ question, prepared, plain, expanded });
  }
  sets[file.replace(/^.*questions\.|\.jsonl$/g, '')] = gathered;
}

type LabOptions = SearchOptions & { maxSimMix?: number; maxSimTop?: number };

function mixMaxSim(candidates: Candidate[], mix: number): Candidate[] {
  return candidates.map((c) => ({
    ...c,
    sentences: c.sentences.map((s: Sentence) => ({
      ...s,
      similarity: (1 - mix) * s.similarity + mix * (s.maxSim ?? s.similarity),
    })),
  }));
}

/** What `search` does with these candidates. */
function decide(g: Gathered, options: LabOptions) {
  const score = (candidates: Candidate[]) =>
    scoreCandidates(
      options.maxSimMix ? mixMaxSim(candidates, options.maxSimMix) : candidates,
      g.prepared,
      options,
    );
  const plain = score(g.plain);
  const scored = g.expanded ? keepPlainScale(score(g.expanded), plain) : plain;
  const outcome = selectResults(scored, g.prepared, options, vocabulary);
  const row = judge(g.question, {
    answered: outcome.answered,
    results: outcome.results.map((s) => ({ text: s.passage.text, quote: quoteOf(s), score: s.relevance })),
  });
  return { scored, row };
}

const f2 = (n: number) => n.toFixed(2);
const reportOf = (gs: readonly Gathered[], options: LabOptions) =>
  summarise(gs.map((g) => decide(g, options).row));
function report(label: string, options: LabOptions) {
  const cells = Object.entries(sets).map(([name, gs]) => {
    const r = reportOf(gs, options);
    return `${name} ${f2(r.hitAt1)}/${f2(r.hitAt3)}/${f2(r.quoteHitAt1)}/${f2(r.nearMissAbstainRate)}/${f2(r.falseAbstainRate)}`;
  });
  console.log(`${label.padEnd(24)} ${cells.join(' | ')}`);
}

const shipped: LabOptions = { ...quarry.selectionPolicy(embedder.modelName), mode: 'hybrid' };
const rankingOnly: LabOptions = { ...shipped, minRelevance: 0, answerCheck: null };

report('shipped', shipped);
report('ranking only', rankingOnly);

if (values.dump) {
  for (const [name, gs] of Object.entries(sets)) {
    if (values.set && values.set !== name) continue;
    for (const g of gs) {
      if (g.question.kind !== 'answerable') continue;
      const { scored, row } = decide(g, rankingOnly);
      const rank = scored.findIndex((s) => containsExpected(s.passage.text, g.question.expect));
      if (rank === 0 && row.quoteHit) continue;
      const top = scored[0];
      const right = scored[rank];
      console.log(`\n${name} ${rank === 0 ? 'QUOTE' : `RANK${rank + 1}`} | ${g.question.question}`);
      if (top)
        console.log(
          `  top   r${f2(top.relevance)} d${f2(top.dense)} l${f2(top.lexical)} | ${quoteOf(top).slice(0, 150)}`,
        );
      if (right && rank > 0)
        console.log(
          `  right r${f2(right.relevance)} d${f2(right.dense)} l${f2(right.lexical)} | ${quoteOf(right).slice(0, 150)}`,
        );
      if (rank === 0 && top)
        for (const s of (g.expanded ?? g.plain).find((c) => c.passage === top.passage)?.sentences ?? [])
          console.log(
            `    ${containsExpected(s.text, g.question.expect) ? '*' : ' '} cos ${f2(s.similarity)} idf-overlap ${f2(s.weightedOverlap)} | ${s.text.slice(0, 110)}`,
          );
    }
  }
}

if (values.grid) {
  const weights = [0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
  const passageShares = [0, 0.3, 0.5, 0.7, 1];
  const sentenceShares = [0, 0.5, 0.75, 1];
  const grid = weights.flatMap((denseWeight) =>
    passageShares.flatMap((passageShare) =>
      sentenceShares.map((sentenceLexicalShare) => ({ denseWeight, passageShare, sentenceLexicalShare })),
    ),
  );
  for (const setting of grid.filter((s) => s.denseWeight >= 0.5 && s.passageShare > 0 && s.passageShare < 1))
    report(`w${setting.denseWeight} p${setting.passageShare} s${setting.sentenceLexicalShare}`, {
      ...rankingOnly,
      ...setting,
    });
  // The best any one setting of the grid could do for each question: the headroom of reweighting.
  for (const [name, gs] of Object.entries(sets)) {
    const answerable = gs.filter((g) => g.question.kind === 'answerable');
    const reachable = answerable.filter((g) =>
      grid.some((s) => decide(g, { ...rankingOnly, ...s }).row.hitRank === 1),
    );
    console.log(`oracle over the grid, ${name}: hit@1 ${f2(reachable.length / answerable.length)}`);
  }
}

/** Settings chosen on one half of tune + tune2 (calibration objective), measured on the other. */
function crossFold(grid: [string, LabOptions][]) {
  const pooled = [...(sets.tune ?? []), ...(sets.tune2 ?? [])];
  const sums = { cross: [0, 0, 0, 0], shipped: [0, 0, 0, 0] };
  const chosen: string[] = [];
  const seeds = [1, 2, 3, 4, 5];
  for (const seed of seeds) {
    const folds = stratifiedFolds(pooled, (g) => g.question.kind, 2, seed);
    const result = crossValidate(
      folds,
      grid,
      (qs, [, o]) => objective(reportOf(qs, o)),
      grid[0] as [string, LabOptions],
    );
    folds.forEach((fold, i) => {
      const pick = result.chosen[i] ?? (grid[0] as [string, LabOptions]);
      chosen.push(pick[0]);
      for (const [key, options] of [
        ['cross', pick[1]],
        ['shipped', grid[0]?.[1] ?? shipped],
      ] as const) {
        const r = reportOf(fold, options);
        [r.hitAt1, r.hitAt3, r.quoteHitAt1, r.falseAbstainRate].forEach((v, j) => {
          sums[key][j] = (sums[key][j] ?? 0) + v / (2 * seeds.length);
        });
      }
    });
  }
  console.log(`chosen per fold: ${chosen.join(', ')}`);
  console.log(
    `2 folds × ${seeds.length} seeds, hit@1 hit@3 quote false-abstain: cross-fold ${sums.cross.map(f2).join(' ')} | first row ${sums.shipped.map(f2).join(' ')}`,
  );
}

if (values.quote) {
  const grid: [string, LabOptions][] = [0, 0.05, 0.1, 0.2, 0.3, Number.POSITIVE_INFINITY].map((margin) => [
    `refers back ${margin}`,
    { ...shipped, quoteReferenceMargin: margin },
  ]);
  for (const [label, options] of grid) {
    report(label, options);
    // How much is bolded: the first result's key sentence(s), over the answered answerable questions.
    const quotes = Object.values(sets)
      .flat()
      .filter((g) => g.question.kind === 'answerable')
      .flatMap((g) => {
        const first = decide(g, options).row.results[0];
        return first ? [first.quote] : [];
      });
    const chars = quotes.reduce((a, q) => a + q.length, 0) / quotes.length;
    const multi = quotes.filter((q) => /[.!?]["”’)]*\s+\S/u.test(q.trim())).length / quotes.length;
    console.log(
      `  bolded: ${chars.toFixed(0)} characters on average, ${f2(multi)} of answers bold two sentences or more`,
    );
  }
  crossFold(grid);
}

if (values.maxsim) {
  const grid: [string, LabOptions][] = [
    ['shipped', shipped],
    ...[0.2, 0.3, 0.5].map((mix): [string, LabOptions] => [`maxsim ${mix}`, { ...shipped, maxSimMix: mix }]),
    ...[0.3, 0.5].map((mix): [string, LabOptions] => [
      `maxsim ${mix} top 5, plain scale`,
      { ...shipped, maxSimMix: mix, maxSimTop: 5 },
    ]),
  ];
  for (const [label, options] of grid) report(label, options);
  crossFold(grid);
}
