/**
 * Does an ensemble of embedding models rank better than the default model alone (issue 9)?
 * Every passage and sentence of the index is embedded with each extra model, each question with
 * every model; candidates are gathered per model with the shipped gatherCandidates (all passages),
 * then their cosines are combined per passage and per sentence and replayed through the shipped
 * scoreCandidates / selectResults, judged by the eval's judge / summarise.
 *
 *   npx tsx scripts/tune-ensemble.ts [--models e5-small-v2,bge-small-en-v1.5] [--folds 2,5] [files…]
 *
 * Combinations: `sum` — a fixed weighted sum of the models' cosines (what an embedder that
 * concatenates √w·vector of each model computes, so it can ship as one vector per text); `z` —
 * each model's cosines z-normalised over this question's passages (and sentences), the weighted
 * sum mapped back onto the first model's mean and spread for this question. Ranking only (no
 * threshold, no answer check), settings chosen on k − 1 folds and measured on the other, 5 seeds.
 * Never pass the held-out file.
 */
import { parseArgs } from 'node:util';
import { type EmbeddingDtype, loadCoreConfig, loadEnvFile } from '../src/config.ts';
import { getEmbedder } from '../src/embedding/embedder.ts';
import { type EvalQuestion, judge, readQuestions, summarise } from '../src/eval/evaluate.ts';
import { buildVectorIndexes, sentenceTexts } from '../src/index/search-index.ts';
import { Quarry } from '../src/quarry.ts';
import { rareWordTest } from '../src/search/answerability.ts';
import { keepPlainScale, LexicalExpander, WordVectors } from '../src/search/expansion.ts';
import {
  type Candidate,
  gatherCandidates,
  type PreparedQuestion,
  prepareQuestion,
  quoteOf,
  type SearchableIndex,
  type SearchOptions,
  scoreCandidates,
  selectResults,
} from '../src/search/retrieve.ts';
import {
  bestOf,
  objective as calibrationObjective,
  crossValidate,
  OFF_TOPIC_MARGIN,
  stratifiedFolds,
  tuningFiles,
} from './tune-folds.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    models: { type: 'string', default: 'e5-small-v2,bge-small-en-v1.5' },
    folds: { type: 'string', default: '2,5' },
    seeds: { type: 'string', default: '5' },
    // Which files the folds are drawn from (pooled): "tune", or "tune,tune2".
    'fold-on': { type: 'string', default: 'tune' },
    // Each model alone only, no ensembles.
    alone: { type: 'boolean', default: false },
    // Also the whole answer path (threshold calibrated on tune/dev/own, answer check) per setting.
    pipeline: { type: 'boolean', default: false },
    // Lexical expansion reorders without raising the best score (see rowOf).
    'keep-scale': { type: 'boolean', default: false },
  },
});
const files = tuningFiles(positionals);

loadEnvFile();
const config = loadCoreConfig();
const quarry = new Quarry(config);
const snapshot = await quarry.open();
const primary = await quarry.embedder();
const extraNames = (values.models ?? '').split(',').filter(Boolean);
interface Model {
  name: string;
  embedder: typeof primary;
  index: SearchableIndex;
  /** "all-MiniLM-L6-v2@0.6": the first model, with the lexical query expanded at this cosine. */
  expand?: number;
}
const models: Model[] = [
  { name: primary.modelName ?? config.embeddingModel, embedder: primary, index: snapshot },
];
/**
 * A sentence embedded with its neighbours ("~prev", "~next", "~both" after a model's name): what
 * a sentence says often depends on the one before it ("It could…", "This prospect…"), which a
 * paraphrased question may be about. The passage vectors stay the model's own.
 */
function withContext(passage: (typeof snapshot.passages)[number], context: string): string[] {
  const texts = sentenceTexts(passage);
  return texts.map((t, i) => {
    const before = context === 'prev' || context === 'both' ? (texts[i - 1] ?? '') : '';
    const after = context === 'next' || context === 'both' ? (texts[i + 1] ?? '') : '';
    return [before, t, after].filter(Boolean).join(' ');
  });
}
for (const name of extraNames) {
  if (name.includes('@')) {
    models.push({ name, embedder: primary, index: snapshot, expand: Number(name.split('@')[1]) });
    continue;
  }
  // "e5-small-v2#q8": a dtype after '#'; "all-MiniLM-L6-v2~prev": sentences with context.
  const [spec = name, context = ''] = name.split('~');
  const [model = spec, dtype = 'fp32'] = spec.split('#');
  const embedder = await getEmbedder({
    ...config,
    embeddingModel: model,
    embeddingDtype: dtype as EmbeddingDtype,
  });
  const sentenceInputs = snapshot.passages.map((p) => (context ? withContext(p, context) : sentenceTexts(p)));
  const texts = [...new Set([...snapshot.passages.map((p) => p.text), ...sentenceInputs.flat()])];
  const vectors = await embedder.embed(texts, 'passage');
  const byText = new Map(texts.map((t, i) => [t, vectors[i] as Float32Array]));
  const built = buildVectorIndexes(
    snapshot.passages,
    (t) => byText.get(t) ?? new Float32Array(embedder.dimension),
    embedder.dimension,
    config.hnsw,
  );
  if (built.passages.some((p, i) => p.sentenceRow !== snapshot.passages[i]?.sentenceRow))
    throw new Error('tune: sentence rows differ');
  // The sentence rows again, from the context texts (buildVectorIndexes embeds the bare sentences).
  snapshot.passages.forEach((p, i) => {
    (sentenceInputs[i] ?? []).forEach((t, j) => {
      built.sentenceVectors.set(byText.get(t) as Float32Array, (p.sentenceRow + j) * embedder.dimension);
    });
  });
  models.push({
    name,
    embedder,
    index: { ...snapshot, vectors: built.vectors, sentenceVectors: built.sentenceVectors },
  });
}
console.log(`models: ${models.map((m) => m.name).join(', ')}; ${snapshot.passages.length} passages`);

const vocabulary = {
  knows: (term: string) => snapshot.lexical.knows(term),
  isRareWord: rareWordTest((w) => primary.wordPieces(w)),
};

// Lexical expansion (src/search/expansion.ts), as Quarry.ask does it with LEXICAL_EXPANSION.
const wordVectors = new WordVectors((words) => primary.embed(words, 'passage'));
const expanders = new Map<number, LexicalExpander>();
async function expanded(prepared: PreparedQuestion, threshold: number): Promise<PreparedQuestion> {
  let expander = expanders.get(threshold);
  if (!expander) {
    expander = new LexicalExpander(wordVectors, threshold);
    expanders.set(threshold, expander);
  }
  const out = (await expander.expansionFor(snapshot, prepared.question))?.(prepared) ?? prepared;
  if (process.env.SHOW_EXPANSIONS && out !== prepared)
    console.log(`expand ${threshold}: ${prepared.question} → ${out.lexicalQuery}`);
  return out;
}

interface Gathered {
  question: EvalQuestion;
  prepared: PreparedQuestion;
  /** Per model, candidates keyed by passage id (all passages). */
  perModel: Map<string, Candidate>[];
}
const sets: Record<string, Gathered[]> = {};
for (const file of files) {
  const gathered: Gathered[] = [];
  for (const question of await readQuestions(file)) {
    const prepared = prepareQuestion(question.question);
    const perModel: Map<string, Candidate>[] = [];
    for (const m of models) {
      const [vector] = await m.embedder.embed([question.question], 'query');
      if (!vector) throw new Error('tune: no vector');
      const asked = m.expand === undefined ? prepared : await expanded(prepared, m.expand);
      const candidates = gatherCandidates(m.index, asked, vector, 'hybrid', snapshot.passages.length);
      perModel.push(new Map(candidates.map((c) => [c.passage.id, c])));
    }
    gathered.push({ question, prepared, perModel });
  }
  sets[file.replace(/^.*questions\.|\.jsonl$/g, '')] = gathered;
}

type Combination = 'sum' | 'z';
interface Setting {
  /** Weight of each model's cosine (summing to 1). */
  weights: number[];
  combination: Combination;
  denseWeight: number;
  /** Which model's candidates give the lexical scores (an expanded query's, see `expanded`). */
  lexicalFrom?: number;
}

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) || 1;
  return { mean, sd };
};

const mergedCache = new Map<string, Candidate[]>();
/** The primary model's candidates with each cosine replaced by the models' combination. */
function merged(g: Gathered, setting: Setting): Candidate[] {
  const key = `${g.question.question}|${setting.combination}|${setting.weights.join(',')}|${setting.lexicalFrom ?? 0}`;
  const cached = mergedCache.get(key);
  if (cached) return cached;
  const [first, ...rest] = g.perModel;
  if (!first) throw new Error('tune: no model');
  const passageStats = g.perModel.map((m) => stats([...m.values()].map((c) => c.passageCosine)));
  const sentenceStats = g.perModel.map((m) =>
    stats([...m.values()].flatMap((c) => c.sentences.map((s) => s.similarity))),
  );
  const combine = (values: number[], st: { mean: number; sd: number }[]) => {
    if (setting.combination === 'sum')
      return values.reduce((a, v, i) => a + (setting.weights[i] ?? 0) * v, 0);
    const z = values.reduce(
      (a, v, i) => a + ((setting.weights[i] ?? 0) * (v - (st[i]?.mean ?? 0))) / (st[i]?.sd ?? 1),
      0,
    );
    return (st[0]?.mean ?? 0) + (st[0]?.sd ?? 1) * z;
  };
  const lexical = g.perModel[setting.lexicalFrom ?? 0] ?? first;
  const out: Candidate[] = [];
  for (const [id, dense] of first) {
    const others = rest.map((m) => m.get(id) as Candidate);
    const c = lexical.get(id) ?? dense;
    out.push({
      ...c,
      passageCosine: combine([dense.passageCosine, ...others.map((o) => o.passageCosine)], passageStats),
      sentences: c.sentences.map((s, i) => ({
        ...s,
        similarity: combine(
          [dense.sentences[i]?.similarity ?? 0, ...others.map((o) => o.sentences[i]?.similarity ?? 0)],
          sentenceStats,
        ),
      })),
    });
  }
  mergedCache.set(key, out);
  return out;
}

const shipped: SearchOptions = { ...quarry.selectionPolicy(primary.modelName), mode: 'hybrid' };
const rankingOnly: SearchOptions = { ...shipped, minRelevance: 0, supportShare: 0, answerCheck: null };

function rowOf(g: Gathered, setting: Setting, policy: Partial<SearchOptions> = {}) {
  const options = { ...rankingOnly, denseWeight: setting.denseWeight, ...policy };
  let scored = scoreCandidates(merged(g, setting), g.prepared, options);
  if (setting.lexicalFrom && values['keep-scale']) {
    // As search() does: the expanded query reorders, the best score stays the plain query's.
    scored = keepPlainScale(
      scored,
      scoreCandidates(merged(g, { ...setting, lexicalFrom: 0 }), g.prepared, options),
    );
  }
  const outcome = selectResults(scored, g.prepared, options, vocabulary);
  return judge(g.question, {
    answered: outcome.answered,
    results: outcome.results.map((s) => ({ text: s.passage.text, quote: quoteOf(s), score: s.relevance })),
  });
}
const reportOf = (qs: readonly Gathered[], setting: Setting, policy: Partial<SearchOptions> = {}) =>
  summarise(qs.map((g) => rowOf(g, setting, policy)));

/**
 * The whole answer path for a ranking setting: the shipped answer check and support share, the
 * threshold chosen like `npm run calibrate` (every off-topic question refused with its margin, then
 * the calibration objective) on the files it calibrates on (tune, dev, own; never tune2).
 */
function calibratedPolicy(setting: Setting): Partial<SearchOptions> {
  const calibrationSet = ['tune', 'dev', 'own'].flatMap((name) => sets[name] ?? []);
  const offTopic = calibrationSet.filter((g) => g.question.kind === 'off-topic');
  const base = { answerCheck: shipped.answerCheck, supportShare: shipped.supportShare };
  let best: { score: number; policy: Partial<SearchOptions> } | null = null;
  for (let t = 0; t <= 0.9 + 1e-9; t += 0.01) {
    const policy = { ...base, minRelevance: Number(t.toFixed(2)) };
    const report = reportOf(calibrationSet, setting, policy);
    const margin = reportOf(offTopic, setting, {
      ...policy,
      minRelevance: policy.minRelevance - OFF_TOPIC_MARGIN,
    });
    const score =
      (report.abstainRate < 1 || margin.abstainRate < 1 ? -100 : 0) + calibrationObjective(report);
    if (!best || score > best.score + 1e-9) best = { score, policy };
  }
  return best?.policy ?? base;
}
const objective = (qs: readonly Gathered[], setting: Setting) => {
  const r = reportOf(qs, setting);
  return r.hitAt1 + 0.5 * r.hitAt3 + 0.5 * r.quoteHitAt1;
};

const denseWeights = [0.6, 0.7, 0.8, 0.9];
const n = models.length;
const alone = (model: number): Setting[] =>
  denseWeights.map((denseWeight) => ({
    weights: models.map((_, i) => (i === model ? 1 : 0)),
    combination: 'sum',
    denseWeight,
  }));
/** Weight vectors over the first model and the extra ones named in `use`, step 0.1 or 0.25. */
function weightGrid(use: number[], step: number): number[][] {
  const out: number[][] = [];
  const steps = Math.round(1 / step);
  const rec = (i: number, left: number, acc: number[]) => {
    if (i === use.length) {
      const w = Array<number>(n).fill(0);
      w[0] = left * step;
      use.forEach((m, j) => {
        w[m] = (acc[j] ?? 0) * step;
      });
      if (left < steps) out.push(w);
      return;
    }
    for (let k = 0; k <= left; k++) rec(i + 1, left - k, [...acc, k]);
  };
  rec(0, steps, []);
  return out.filter((w) => w.slice(1).some((x) => x > 0));
}
const expansions = models.flatMap((m, i) => (m.expand === undefined ? [] : [i]));
const grids: Record<string, Setting[]> = Object.fromEntries(
  models.flatMap((m, i) => (m.expand === undefined ? [[`${m.name} alone`, alone(i)]] : [])),
);
if (expansions.length) {
  for (const i of expansions)
    grids[`lexical expansion at ${models[i]?.expand}`] = alone(0).map((s) => ({ ...s, lexicalFrom: i }));
  grids['lexical expansion, threshold chosen per fold'] = [0, ...expansions].flatMap((lexicalFrom) =>
    alone(0).map((s) => ({ ...s, lexicalFrom })),
  );
}
const denseExtras = models.flatMap((m, i) => (i > 0 && m.expand === undefined ? [i] : []));
const subsets: number[][] = [
  ...denseExtras.map((i) => [i]),
  ...(denseExtras.length > 1 ? [denseExtras] : []),
];
for (const use of values.alone ? [] : subsets) {
  const label = [models[0]?.name, ...use.map((i) => models[i]?.name)].join(' + ');
  for (const combination of ['sum', 'z'] as const) {
    const grid = weightGrid(use, use.length > 1 ? 0.2 : 0.1).flatMap((weights) =>
      denseWeights.map((denseWeight) => ({ weights, combination, denseWeight })),
    );
    grids[`${label} (${combination})`] = grid;
    // With the first expansion on the lexical side: do the two gains add up?
    const expansion = expansions[0];
    if (expansion !== undefined && combination === 'z')
      grids[`${label} (z) + ${models[expansion]?.name}`] = grid.map((s) => ({
        ...s,
        lexicalFrom: expansion,
      }));
  }
}

const f2 = (x: number) => x.toFixed(2);
const describe = (s: Setting) =>
  `w[${s.weights.map((x) => x.toFixed(2)).join(',')}] fusion ${s.denseWeight}${s.lexicalFrom ? ` lexical ${models[s.lexicalFrom]?.name}` : ''}`;
const tune = (values['fold-on'] ?? 'tune').split(',').flatMap((name) => {
  const set = sets[name];
  if (!set) throw new Error(`tune: --fold-on ${name} is not among the files`);
  return set;
});
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
for (const [label, grid] of Object.entries(grids)) {
  const cells: string[] = [];
  for (const k of (values.folds ?? '2').split(',').map(Number)) {
    const sums = [0, 0, 0];
    const chosen = new Set<string>();
    for (const seed of seeds) {
      const folds = stratifiedFolds(tune, (g) => g.question.kind, k, seed);
      const result = crossValidate(folds, grid, objective, grid[0] as Setting);
      folds.forEach((fold, i) => {
        const setting = result.chosen[i] as Setting;
        chosen.add(describe(setting));
        const r = reportOf(fold, setting);
        sums[0] = (sums[0] ?? 0) + r.hitAt1 / k / seeds.length;
        sums[1] = (sums[1] ?? 0) + r.hitAt3 / k / seeds.length;
        sums[2] = (sums[2] ?? 0) + r.quoteHitAt1 / k / seeds.length;
      });
    }
    cells.push(`${k}-fold ${sums.map(f2).join(' / ')}`);
    if (k === 2) cells.push(`(chosen ${chosen.size} settings)`);
  }
  // The setting chosen on the whole tuning file, measured on every file.
  const best = bestOf(grid, (s) => objective(tune, s));
  const whole = Object.entries(sets)
    .map(([name, g]) => {
      const r = reportOf(g, best);
      return `${name} ${f2(r.hitAt1)}/${f2(r.hitAt3)}/${f2(r.quoteHitAt1)}`;
    })
    .join(' ');
  console.log(`${label.padEnd(52)} ${cells.join(' | ')} || on all: ${describe(best)}: ${whole}`);
  if (values.pipeline) {
    const policy = calibratedPolicy(best);
    const figures = Object.entries(sets)
      .map(([name, g]) => {
        const r = reportOf(g, best, policy);
        return `${name} ${[r.hitAt1, r.hitAt3, r.quoteHitAt1, r.abstainRate, r.nearMissAbstainRate, r.falseAbstainRate].map(f2).join('/')}`;
      })
      .join(' ');
    console.log(
      `    answer path, threshold ${policy.minRelevance} (hit@1/hit@3/quote/off/near/FA): ${figures}`,
    );
  }
}
