/**
 * The filtered-HNSW trap, measured: 10 servers share one pgvector HNSW index; a server's query
 * filters by scope. Without iterative scan pgvector filters the first hnsw.ef_search rows of the
 * graph walk and returns fewer than k; with `hnsw.iterative_scan = relaxed_order` it walks on.
 * Exact (no index) is the reference for recall. Random unit vectors, 384 dimensions.
 */
import pg from 'pg';
import { percentile, round, seededRandom } from './stats.ts';

const DIMENSION = 384;

function randomUnit(random: () => number): number[] {
  const v = Array.from({ length: DIMENSION }, () => random() - 0.5);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

export interface FilterRow {
  mode: string;
  queries: number;
  short: number;
  recall: number;
  p50Ms: number;
}

export async function benchFilteredSearch(
  url: string,
  options: { servers?: number; perServer?: number; queries?: number; k?: number } = {},
): Promise<{ rows: FilterRow[]; planWithScopeKey: string }> {
  const servers = options.servers ?? 10;
  const perServer = options.perServer ?? 1000;
  const queries = options.queries ?? 200;
  const k = options.k ?? 50;
  const random = seededRandom(42);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
    await client.query('DROP SCHEMA IF EXISTS bench_filter CASCADE; CREATE SCHEMA bench_filter');
    await client.query(
      `CREATE TABLE bench_filter.p (scope text, label int, embedding vector(${DIMENSION}), PRIMARY KEY (scope, label))`,
    );
    for (let s = 0; s < servers; s++) {
      for (let from = 0; from < perServer; from += 250) {
        const values: unknown[] = [];
        const rows: string[] = [];
        for (let label = from; label < Math.min(perServer, from + 250); label++) {
          values.push(`g${s}`, label, `[${randomUnit(random).join(',')}]`);
          rows.push(`($${values.length - 2}, $${values.length - 1}, $${values.length})`);
        }
        await client.query(`INSERT INTO bench_filter.p VALUES ${rows.join(',')}`, values);
      }
    }
    await client.query(
      'CREATE INDEX ON bench_filter.p USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)',
    );
    await client.query('ANALYZE bench_filter.p');
    await client.query('SET hnsw.ef_search = 64');
    const questions = Array.from({ length: queries }, (_, i) => ({
      scope: `g${i % servers}`,
      vector: `[${randomUnit(random).join(',')}]`,
    }));
    const knn = (exact: boolean) =>
      `SELECT label FROM bench_filter.p WHERE scope = $1 ORDER BY ${exact ? '(embedding <=> $2) + 0' : 'embedding <=> $2'} LIMIT ${k}`;
    const truth: Set<number>[] = [];
    const rows: FilterRow[] = [];
    const plan = async () =>
      (
        await client.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN ${knn(false)}`,
          questions[0] ? [questions[0].scope, questions[0].vector] : [],
        )
      ).rows
        .map((r) => r['QUERY PLAN'].replace(/'\[[^\]]*\]'/g, "'[…]'").trim())
        .join(' / ');
    const planWithScopeKey = await plan();
    for (const mode of ['exact', 'scope key', 'off', 'relaxed_order', 'strict_order']) {
      if (mode === 'off') {
        // Without a b-tree on scope the planner takes the HNSW index: the trap case.
        await client.query('ALTER TABLE bench_filter.p DROP CONSTRAINT p_pkey');
      }
      if (mode !== 'exact')
        await client.query(`SET hnsw.iterative_scan = ${mode === 'scope key' ? 'relaxed_order' : mode}`);
      const times: number[] = [];
      let short = 0;
      let found = 0;
      for (const [i, q] of questions.entries()) {
        const started = performance.now();
        const { rows: result } = await client.query<{ label: number }>(knn(mode === 'exact'), [
          q.scope,
          q.vector,
        ]);
        times.push(performance.now() - started);
        if (result.length < k) short++;
        const labels = new Set(result.map((r) => r.label));
        if (mode === 'exact') truth[i] = labels;
        else found += [...labels].filter((l) => truth[i]?.has(l)).length;
      }
      rows.push({
        mode:
          mode === 'exact'
            ? 'exact (no index)'
            : mode === 'scope key'
              ? 'b-tree (scope, label) + planner (Quarry)'
              : `hnsw only, iterative_scan=${mode}`,
        queries,
        short,
        recall: mode === 'exact' ? 1 : round(found / (queries * k), 3),
        p50Ms: round(percentile(times, 50), 2),
      });
    }
    await client.query('DROP SCHEMA bench_filter CASCADE');
    return { rows, planWithScopeKey };
  } finally {
    await client.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('bench: set DATABASE_URL');
  const { rows, planWithScopeKey } = await benchFilteredSearch(url);
  console.table(rows);
  console.log(`plan with the scope key: ${planWithScopeKey}`);
}
