/**
 * HNSW against exact search on clustered vectors. Generator: C = n / 100 centroids drawn
 * uniformly on the 384-d unit sphere; each point is a centroid plus Gaussian noise (σ = 0.08 per
 * dimension, about as far from its centroid as from a near neighbour in real embedding spaces),
 * normalised; queries are fresh points from the same clusters. Seeded, so every run measures
 * the same data.
 */
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VectorIndex } from '../src/index/vector-index.ts';
import { gaussian, round, rssMb, seededRandom } from './stats.ts';

const DIMENSION = 384;
const NOISE = 0.08;

function normalise(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) / norm;
  return v;
}

export function clusteredVectors(count: number, seed: number, centroids: Float32Array[]): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(count * DIMENSION);
  for (let i = 0; i < count; i++) {
    const c = centroids[Math.floor(random() * centroids.length)] ?? new Float32Array(DIMENSION);
    const v = new Float32Array(DIMENSION);
    for (let d = 0; d < DIMENSION; d++) v[d] = (c[d] ?? 0) + NOISE * gaussian(random);
    out.set(normalise(v), i * DIMENSION);
  }
  return out;
}

function makeCentroids(count: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    normalise(Float32Array.from({ length: DIMENSION }, () => gaussian(random))),
  );
}

/** Exact top-k by brute force over the flat matrix. */
function exactTopK(data: Float32Array, n: number, query: Float32Array, k: number): number[] {
  const best: { i: number; s: number }[] = [];
  let floor = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * DIMENSION;
    // A tight loop (no fallbacks): the exact baseline should be as fast as plain JS gets, or
    // the speed-up of HNSW would be overstated.
    for (let d = 0; d < DIMENSION; d++) s += (data[o + d] as number) * (query[d] as number);
    if (best.length < k || s > floor) {
      best.push({ i, s });
      best.sort((a, b) => b.s - a.s);
      if (best.length > k) best.pop();
      floor = best[best.length - 1]?.s ?? Number.NEGATIVE_INFINITY;
    }
  }
  return best.map((b) => b.i);
}

export interface HnswRow {
  n: number;
  ef: number;
  recallAt10: number;
  qps: number;
  exactQps: number;
  speedupVsExact: number;
  buildMs: number;
  bytes: number;
  m: number;
  efConstruction: number;
  rssMb: number;
}

export async function benchHnsw(
  n: number,
  options: { m: number; efConstruction: number; efs: number[]; queries: number; log: (s: string) => void },
): Promise<HnswRow[]> {
  const centroids = makeCentroids(Math.max(10, Math.round(n / 100)), 7);
  const data = clusteredVectors(n, 11, centroids);
  const queries = clusteredVectors(options.queries, 13, centroids);
  const query = (i: number) => queries.subarray(i * DIMENSION, (i + 1) * DIMENSION);

  options.log(`hnsw: building ${n} vectors (M ${options.m}, efConstruction ${options.efConstruction})…`);
  const started = performance.now();
  const index = VectorIndex.create(DIMENSION, n, {
    m: options.m,
    efConstruction: options.efConstruction,
    ef: 10,
  });
  for (let i = 0; i < n; i++) index.add(data.subarray(i * DIMENSION, (i + 1) * DIMENSION), i);
  const buildMs = performance.now() - started;
  const rss = rssMb();
  const file = join(tmpdir(), `quarry-bench-${process.pid}-${n}.hnsw`);
  await index.save(file);
  const bytes = (await stat(file)).size;
  await rm(file, { force: true });

  options.log(`hnsw: exact search for ${options.queries} queries…`);
  const exactStarted = performance.now();
  const truth = Array.from({ length: options.queries }, (_, i) => exactTopK(data, n, query(i), 10));
  const exactQps = options.queries / ((performance.now() - exactStarted) / 1000);

  return options.efs.map((ef) => {
    index.setEf(ef);
    let found = 0;
    const searchStarted = performance.now();
    const results = Array.from({ length: options.queries }, (_, i) =>
      index.search(query(i), 10).map((r) => r.label),
    );
    const seconds = (performance.now() - searchStarted) / 1000;
    results.forEach((labels, i) => {
      const expected = new Set(truth[i]);
      found += labels.filter((l) => expected.has(l)).length;
    });
    const qps = options.queries / seconds;
    return {
      n,
      ef,
      recallAt10: round(found / (options.queries * 10), 4),
      qps: round(qps, 0),
      exactQps: round(exactQps, 1),
      speedupVsExact: round(qps / exactQps, 1),
      buildMs: round(buildMs, 0),
      bytes,
      m: options.m,
      efConstruction: options.efConstruction,
      rssMb: rss,
    };
  });
}
