/**
 * Schema migrations for the Postgres backend, applied in order and recorded in
 * `<schema>.migrations`; an advisory lock keeps two processes starting at once from applying the
 * same migration twice.
 *
 * Vectors are stored in an untyped `vector` column so models of any dimension can share the
 * table; each dimension in use gets its own partial HNSW index over `embedding::vector(d)`
 * (pgvector indexes need a fixed dimension), created by `ensureVectorIndex`.
 */
import type { Database } from './pool.ts';

/** Where Postgres question ids start (the SQLite store's start at 1; see migration 4). */
export const POSTGRES_FIRST_QUESTION_ID = 1_000_000_000_000;

const MIGRATIONS: ((t: (name: string) => string) => string)[] = [
  (t) => `
    CREATE TABLE ${t('kb_current')} (
      scope text PRIMARY KEY,
      generation text NOT NULL,
      manifest jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE ${t('passages')} (
      scope text NOT NULL,
      generation text NOT NULL,
      label integer NOT NULL,
      passage jsonb NOT NULL,
      embedding vector NOT NULL,
      sentence_vectors bytea NOT NULL,
      PRIMARY KEY (scope, generation, label)
    );`,
  // The sources audit log (as in the SQLite feedback database, migration 2 there), shared by
  // every process so /sources log shows changes made through any shard or machine.
  (t) => `
    CREATE TABLE ${t('source_audit')} (
      id bigserial PRIMARY KEY,
      guild_id text NOT NULL,
      actor_id text NOT NULL,
      action text NOT NULL,
      source text,
      outcome text NOT NULL,
      detail text,
      at bigint NOT NULL
    );
    CREATE INDEX ON ${t('source_audit')} (guild_id, at DESC, id DESC);`,
  // Feedback (src/storage/postgres/feedback.ts): the SQLite feedback database's tables (its
  // migration 1), shared by every shard and machine so /stats and /gaps count all of them.
  // Embeddings are the same float32 bytes as in SQLite; nothing searches them in the database.
  (t) => `
    CREATE TABLE ${t('feedback_meta')} (key text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE ${t('questions')} (
      id bigserial PRIMARY KEY,
      guild_id text NOT NULL,
      channel_id text NOT NULL,
      member_hash text NOT NULL,
      question text NOT NULL,
      answered boolean NOT NULL,
      top_score double precision,
      passage_ids text NOT NULL,
      embedding bytea,
      model text,
      asked_at bigint NOT NULL
    );
    CREATE INDEX ON ${t('questions')} (guild_id, asked_at);
    -- Retention deletes by age across every server.
    CREATE INDEX ON ${t('questions')} (asked_at);
    CREATE TABLE ${t('votes')} (
      question_id bigint NOT NULL REFERENCES ${t('questions')} (id) ON DELETE CASCADE,
      guild_id text NOT NULL,
      member_hash text NOT NULL,
      value smallint NOT NULL CHECK (value IN (-1, 1)),
      voted_at bigint NOT NULL,
      PRIMARY KEY (question_id, member_hash)
    );
    CREATE INDEX ON ${t('votes')} (guild_id, question_id);`,
  // Question ids from 10^12 up: the 👍/👎/More/Share buttons name a question by id, and the SQLite
  // store numbers from 1. After a switch to Postgres, a button under an answer given before it
  // named whatever Postgres question had that id — in the same server, a stranger's question,
  // which 👍 voted on and More showed. Disjoint ranges make such a click "no longer stored".
  (t) => `
    SELECT setval(pg_get_serial_sequence('${t('questions')}', 'id'),
      GREATEST(${POSTGRES_FIRST_QUESTION_ID}, (SELECT COALESCE(MAX(id), 0) + 1 FROM ${t('questions')})), false);`,
];

/** Arbitrary constant: the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK = 7_051_614;

export async function migrate(db: Database): Promise<void> {
  const client = await db.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    // Both statements skip their privilege check when the object exists, so a role that may not
    // create extensions or schemas works in a database prepared for it by its owner.
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
    // CREATE SCHEMA IF NOT EXISTS checks the database's CREATE privilege first, even when the
    // schema exists: a role given a schema of its own, and rightly no more, was refused.
    const schema = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [db.schema]);
    if (schema.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS "${db.schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${db.table('migrations')} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${db.table('migrations')}`);
    const applied = new Set(rows.map((r) => r.version));
    for (const [i, sql] of MIGRATIONS.entries()) {
      const version = i + 1;
      if (applied.has(version)) continue;
      await client.query('BEGIN');
      await client.query(sql(db.table));
      await client.query(`INSERT INTO ${db.table('migrations')} (version) VALUES ($1)`, [version]);
      await client.query('COMMIT');
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}

const indexed = new Set<string>();

/** The HNSW index for vectors of this dimension (cosine), created once. */
export async function ensureVectorIndex(db: Database, dimension: number): Promise<void> {
  const key = `${db.schema}|${dimension}`;
  if (indexed.has(key)) return;
  const d = Math.trunc(dimension);
  const client = await db.pool.connect();
  try {
    // Two processes creating the same index at once would fail on the catalog's unique key.
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `CREATE INDEX IF NOT EXISTS passages_hnsw_${d} ON ${db.table('passages')}
         USING hnsw ((embedding::vector(${d})) vector_cosine_ops) WHERE vector_dims(embedding) = ${d}`,
    );
    indexed.add(key);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}
