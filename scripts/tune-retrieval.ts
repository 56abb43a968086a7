/**
 * How the retrieval defaults were chosen: scores every passage for every question once, then
 * replays fusion variants, weights and abstain thresholds over the dev set and our own set.
 *   EMBEDDING_MODEL=data/models/all-MiniLM-L6-v2 npx tsx scripts/tune-retrieval.ts
 * Prints one line per variant: hit@1, hit@3, MRR, abstain rate, false-abstain rate per set.
 */
import { loadCoreConfig, loadEnvFile } from '../src/config.ts';
import { foldForMatch, readQuestions } from '../src/eval/evaluate.ts';
import { Quarry } from '../src/quarry.ts';
import { searchQuery } from '../src/search/query.ts';
import { cosineAt } from '../src/search/vectors.ts';
import { contentTerms } from '../src/text/terms.ts';

loadEnvFile();
const quarry = new Quarry(loadCoreConfig());
const snapshot = await quarry.open();
const embedder = await quarry.embedder();
const passageVectors = await embedder.embed(
  snapshot.passages.map((p) => p.text),
  'passage',
);
const sets = {
  dev: await readQuestions('test/eval/questions.dev.jsonl'),
  own: await readQuestions('test/eval/questions.own.jsonl'),
};

interface Row {
  passage: number;
  cos: number;
  sentence: number;
  bm25: number;
  coverage: number;
  overlap: number;
}
const scored: Record<string, { expect: string[]; rows: Row[] }[]> = {};
for (const [name, questions] of Object.entries(sets)) {
  scored[name] = [];
  for (const q of questions) {
    const [v] = await embedder.embed([q.question], 'query');
    if (!v) throw new Error('no vector');
    const query = searchQuery(q.question);
    const lexical = new Map(snapshot.lexical.query(query, 1000).map((h) => [h.label, h]));
    const terms = new Set(contentTerms(query));
    const rows = snapshot.passages.map((p, i) => {
      const sentences = p.sentences.map((_, j) => cosineAt(v, snapshot.sentenceVectors, p.sentenceRow + j));
      const passageTerms = new Set(contentTerms(p.text));
      return {
        passage: i,
        cos: cosineAt(v, passageVectors[i] ?? new Float32Array(), 0),
        sentence: Math.max(...sentences),
        bm25: lexical.get(i)?.score ?? 0,
        coverage: lexical.get(i)?.coverage ?? 0,
        overlap: terms.size ? [...terms].filter((t) => passageTerms.has(t)).length / terms.size : 0,
      };
    });
    scored[name]?.push({ expect: q.expect, rows });
  }
}

type Variant = { name: string; dense: (r: Row) => number; lexical: (r: Row, maxBm25: number) => number };
const variants: Variant[] = [
  {
    name: 'max(p,s) + bm25·cov',
    dense: (r) => Math.max(r.cos, r.sentence),
    lexical: (r, m) => (m ? (r.bm25 / m) * r.coverage : 0),
  },
  { name: 'passage + bm25·cov', dense: (r) => r.cos, lexical: (r, m) => (m ? (r.bm25 / m) * r.coverage : 0) },
  {
    name: 'sentence + bm25·cov',
    dense: (r) => r.sentence,
    lexical: (r, m) => (m ? (r.bm25 / m) * r.coverage : 0),
  },
  {
    name: 'mean(p,s) + bm25·cov',
    dense: (r) => (r.cos + r.sentence) / 2,
    lexical: (r, m) => (m ? (r.bm25 / m) * r.coverage : 0),
  },
  {
    name: 'mean(p,s) + bm25',
    dense: (r) => (r.cos + r.sentence) / 2,
    lexical: (r, m) => (m ? r.bm25 / m : 0),
  },
  { name: 'mean(p,s) + coverage', dense: (r) => (r.cos + r.sentence) / 2, lexical: (r) => r.coverage },
];

function evaluate(set: string, variant: Variant, weight: number, threshold: number) {
  let answerable = 0,
    hit1 = 0,
    hit3 = 0,
    rr = 0,
    off = 0,
    abstained = 0,
    falseAbstain = 0;
  for (const q of scored[set] ?? []) {
    const maxBm25 = Math.max(...q.rows.map((r) => r.bm25));
    const ranked = q.rows
      .map((r) => ({
        r,
        score: weight * Math.max(0, variant.dense(r)) + (1 - weight) * variant.lexical(r, maxBm25),
      }))
      .sort((a, b) => b.score - a.score);
    const answered = (ranked[0]?.score ?? 0) >= threshold;
    if (!q.expect.length) {
      off++;
      if (!answered) abstained++;
      continue;
    }
    answerable++;
    if (!answered) {
      falseAbstain++;
      continue;
    }
    const wanted = q.expect.map(foldForMatch);
    const rank = ranked
      .slice(0, 3)
      .findIndex(({ r }) =>
        wanted.some((w) => foldForMatch(snapshot.passages[r.passage]?.text ?? '').includes(w)),
      );
    if (rank === 0) hit1++;
    if (rank >= 0) {
      hit3++;
      rr += 1 / (rank + 1);
    }
  }
  const f = (n: number, d: number) => (d ? (n / d).toFixed(2) : '-');
  return `${f(hit1, answerable)} ${f(hit3, answerable)} ${f(rr, answerable)} abst ${f(abstained, off)} false ${f(falseAbstain, answerable)}`;
}

// Reciprocal-rank fusion of passage cosine, best-sentence cosine and BM25 (ranking only).
function rrf(set: string, lists: (keyof Row)[], k = 60) {
  let answerable = 0,
    hit1 = 0,
    hit3 = 0;
  for (const q of scored[set] ?? []) {
    if (!q.expect.length) continue;
    answerable++;
    const fused = new Map<number, number>();
    for (const key of lists) {
      const order = [...q.rows].sort((a, b) => (b[key] as number) - (a[key] as number));
      order.forEach((r, rank) => {
        fused.set(r.passage, (fused.get(r.passage) ?? 0) + 1 / (k + rank + 1));
      });
    }
    const ranked = [...fused.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
    const wanted = q.expect.map(foldForMatch);
    const rank = ranked.findIndex(([p]) =>
      wanted.some((w) => foldForMatch(snapshot.passages[p]?.text ?? '').includes(w)),
    );
    if (rank === 0) hit1++;
    if (rank >= 0) hit3++;
  }
  return `${(hit1 / answerable).toFixed(2)} ${(hit3 / answerable).toFixed(2)}`;
}
for (const lists of [
  ['cos', 'bm25'],
  ['sentence', 'bm25'],
  ['cos', 'sentence', 'bm25'],
  ['cos', 'sentence', 'coverage'],
  ['cos', 'sentence'],
] as (keyof Row)[][]) {
  for (const k of [10, 60])
    console.log(`rrf ${lists.join('+')} k=${k}  dev ${rrf('dev', lists, k)} | own ${rrf('own', lists, k)}`);
}

const threshold = Number(process.env.TUNE_THRESHOLD ?? 0.3);
for (const variant of variants) {
  for (const weight of [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1]) {
    console.log(
      `${variant.name.padEnd(24)} w=${weight}  dev ${evaluate('dev', variant, weight, threshold)} | own ${evaluate('own', variant, weight, threshold)}`,
    );
  }
}
// The abstain threshold: best relevance of off-topic questions against answerable ones.
const best = (set: string, variant: Variant, weight: number) =>
  (scored[set] ?? []).map((q) => {
    const maxBm25 = Math.max(...q.rows.map((r) => r.bm25));
    const top = Math.max(
      ...q.rows.map(
        (r) => weight * Math.max(0, variant.dense(r)) + (1 - weight) * variant.lexical(r, maxBm25),
      ),
    );
    return { offTopic: q.expect.length === 0, top };
  });
for (const variant of variants.slice(0, 4)) {
  for (const weight of [0.5, 0.6, 0.7]) {
    const all = [...best('dev', variant, weight), ...best('own', variant, weight)];
    const off = all.filter((a) => a.offTopic).map((a) => a.top);
    const on = all.filter((a) => !a.offTopic).map((a) => a.top);
    console.log(
      `${variant.name.padEnd(24)} w=${weight}  off-topic max ${Math.max(...off).toFixed(3)}  answerable min ${Math.min(...on).toFixed(3)}`,
    );
  }
}

if (process.env.TUNE_DEBUG) {
  const q = scored.dev?.find((x) => x.expect[0]?.startsWith(process.env.TUNE_DEBUG ?? ''));
  for (const r of [...(q?.rows ?? [])].sort((a, b) => b.sentence - a.sentence).slice(0, 8)) {
    console.log(
      r.passage,
      snapshot.passages[r.passage]?.paragraph,
      r.cos.toFixed(3),
      r.sentence.toFixed(3),
      r.bm25.toFixed(2),
      r.coverage.toFixed(2),
      snapshot.passages[r.passage]?.text.slice(0, 60),
    );
  }
}
