/**
 * Exact top-k search, the baseline HNSW is compared with. Two implementations are measured and
 * the faster one is reported, so the speed-up is never taken against a slow strawman:
 * - hnswlib-node's BruteforceSearch (C++, inner product, one query at a time);
 * - a blocked scan in JavaScript over one flat Float32Array (four rows per pass, so each query
 *   element loaded is used four times), scores into a reused buffer, then a top-k selection.
 */
import hnswlib from 'hnswlib-node';

export interface ExactSearch {
  readonly name: string;
  search(query: Float32Array, k: number): number[];
}

/** Top-k indices of `scores[0..n)` by a bounded insertion list (k is small). */
function topK(scores: Float32Array, n: number, k: number): number[] {
  const labels: number[] = [];
  const values: number[] = [];
  let floor = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const s = scores[i] as number;
    if (labels.length === k && s <= floor) continue;
    let p = values.length;
    while (p > 0 && (values[p - 1] as number) < s) p--;
    values.splice(p, 0, s);
    labels.splice(p, 0, i);
    if (values.length > k) {
      values.pop();
      labels.pop();
    }
    if (values.length === k) floor = values[k - 1] as number;
  }
  return labels;
}

export function blockedScan(data: Float32Array, n: number, dimension: number): ExactSearch {
  const scores = new Float32Array(n + 3);
  const rows = Math.floor(n / 4) * 4;
  return {
    name: 'blocked JS scan',
    search(query, k) {
      for (let i = 0; i < rows; i += 4) {
        const o0 = i * dimension;
        const o1 = o0 + dimension;
        const o2 = o1 + dimension;
        const o3 = o2 + dimension;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let d = 0; d < dimension; d++) {
          const x = query[d] as number;
          s0 += (data[o0 + d] as number) * x;
          s1 += (data[o1 + d] as number) * x;
          s2 += (data[o2 + d] as number) * x;
          s3 += (data[o3 + d] as number) * x;
        }
        scores[i] = s0;
        scores[i + 1] = s1;
        scores[i + 2] = s2;
        scores[i + 3] = s3;
      }
      for (let i = rows; i < n; i++) {
        let s = 0;
        for (let d = 0; d < dimension; d++) s += (data[i * dimension + d] as number) * (query[d] as number);
        scores[i] = s;
      }
      return topK(scores, n, k);
    },
  };
}

export function bruteforce(data: Float32Array, n: number, dimension: number): ExactSearch {
  const index = new hnswlib.BruteforceSearch('ip', dimension);
  index.initIndex(n);
  for (let i = 0; i < n; i++)
    index.addPoint(Array.from(data.subarray(i * dimension, (i + 1) * dimension)), i);
  return {
    name: 'hnswlib BruteforceSearch',
    search(query, k) {
      // Its result is ordered by distance, farthest first; order does not matter for recall.
      return index.searchKnn(Array.from(query), k).neighbors;
    },
  };
}

/** Fastest of `passes` passes over the queries, as for HNSW (see hnsw.ts). */
function queriesPerSecond(
  method: ExactSearch,
  queries: Float32Array[],
  k: number,
  passes: number,
): { qps: number; results: number[][] } {
  method.search(queries[0] as Float32Array, k); // warm-up: JIT, page-in
  let seconds = Number.POSITIVE_INFINITY;
  let results: number[][] = [];
  for (let pass = 0; pass < passes; pass++) {
    const started = performance.now();
    results = queries.map((q) => method.search(q, k));
    seconds = Math.min(seconds, (performance.now() - started) / 1000);
  }
  return { qps: queries.length / seconds, results };
}

/**
 * Ground truth and the fastest exact method's queries per second. The two methods must agree
 * (ties aside), or the bench stops: a wrong baseline would make recall meaningless.
 */
export function exactBaseline(
  data: Float32Array,
  n: number,
  dimension: number,
  queries: Float32Array[],
  k: number,
  passes: number,
): { truth: number[][]; qps: number; method: string; qpsByMethod: Record<string, number> } {
  const measured = [blockedScan(data, n, dimension), bruteforce(data, n, dimension)].map((method) => ({
    method,
    ...queriesPerSecond(method, queries, k, passes),
  }));
  const [scan, brute] = measured as [(typeof measured)[0], (typeof measured)[0]];
  let agree = 0;
  scan.results.forEach((labels, i) => {
    const other = new Set(brute.results[i]);
    agree += labels.filter((l) => other.has(l)).length;
  });
  if (agree < 0.99 * queries.length * k)
    throw new Error(
      `bench: the exact methods disagree (${agree} of ${queries.length * k} neighbours shared)`,
    );
  const fastest = measured.reduce((a, b) => (b.qps > a.qps ? b : a));
  return {
    truth: scan.results,
    qps: fastest.qps,
    method: fastest.method.name,
    qpsByMethod: Object.fromEntries(measured.map((m) => [m.method.name, Math.round(m.qps * 10) / 10])),
  };
}
