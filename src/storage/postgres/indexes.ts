/**
 * Knowledge-base indexes in Postgres + pgvector, one row per passage, scoped by `scope` ("shared"
 * or a Discord server id). Every bot process (every shard, on any machine) reads the same rows.
 *
 * - publish: a built index is written as a new generation in one transaction that also moves
 *   `kb_current` and deletes the previous generation. A process killed mid-publish leaves the old
 *   generation serving (the transaction never commits).
 * - load: a process keeps only passage texts and spans (for BM25 and quoting) — no vectors.
 * - search: pgvector's HNSW gives the dense candidates; their embeddings and sentence vectors
 *   are fetched (with the lexical candidates') and scored by the same code as the file backend,
 *   so both backends give the same scores from the same vectors. The same query returns the
 *   scope's current generation: when another process has published a newer one, the caller
 *   reloads its snapshot (the version check that propagates a reload to every process).
 */

import pgvector from 'pgvector';
import { errorMessage } from '../../errors.ts';
import type { SearchIndex } from '../../index/search-index.ts';
import type { Manifest, ModelIdentity, StoredPassage } from '../../index/store.ts';
import { VectorIndex } from '../../index/vector-index.ts';
import { log } from '../../log.ts';
import { LexicalIndex } from '../../search/lexical-index.ts';
import { ensureVectorIndex } from './migrations.ts';
import {
  type Database,
  database,
  isPostgresTimeout,
  type PostgresTarget,
  searchTimeoutError,
} from './pool.ts';

/** Rows per INSERT when publishing: keeps each statement well under Postgres' parameter limit. */
const INSERT_BATCH = 200;

/** A snapshot loaded from Postgres: no vectors in memory, dense search goes to the database. */
export interface RemoteSnapshot extends SearchIndex {
  remote: { scope: string };
}

export interface DenseCandidates {
  /** The scope's generation when searched; differs from the snapshot's after another process published. */
  current: string | null;
  /** Labels of the nearest passages (in no particular order: scores are computed by the caller). */
  neighbours: number[];
  /** Embedding and sentence vectors of every requested and neighbouring label. */
  vectors: Map<number, { embedding: Float32Array; sentences: Float32Array }>;
}

// pgvector's text form through its own npm helper. Float32 → decimal → float4 round-trips
// exactly, so the vectors read back are the vectors written.
function vectorLiteral(v: Float32Array): string {
  return pgvector.toSql(Array.from(v)) as string;
}

function parseVector(text: string): Float32Array {
  return Float32Array.from(pgvector.fromSql(text) as number[]);
}

export class PostgresIndexes {
  private constructor(private readonly db: Database) {}

  static async open(target: PostgresTarget): Promise<PostgresIndexes> {
    return new PostgresIndexes(await database(target));
  }

  async currentGeneration(scope: string): Promise<string | null> {
    const { rows } = await this.db.pool.query<{ generation: string }>(
      `SELECT generation FROM ${this.db.table('kb_current')} WHERE scope = $1`,
      [scope],
    );
    return rows[0]?.generation ?? null;
  }

  /** The source ids of the scope's current index; null when it has none. */
  async currentSources(scope: string): Promise<string[] | null> {
    const { rows } = await this.db.pool.query<{ ids: string[] | null }>(
      `SELECT ARRAY(SELECT s->>'id' FROM jsonb_array_elements(manifest->'sources') s) AS ids
       FROM ${this.db.table('kb_current')} WHERE scope = $1`,
      [scope],
    );
    return rows[0]?.ids ?? null;
  }

  /** Writes `index` as the scope's current generation, atomically. */
  async publish(scope: string, index: SearchIndex): Promise<void> {
    const dimension = index.manifest.model.dimension;
    await ensureVectorIndex(this.db, dimension);
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      // Two processes publishing the same scope: the second waits, then replaces the first.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`quarry:${scope}`]);
      await client.query(`DELETE FROM ${this.db.table('passages')} WHERE scope = $1 AND generation = $2`, [
        scope,
        index.generation,
      ]);
      for (let from = 0; from < index.passages.length; from += INSERT_BATCH) {
        const batch = index.passages.slice(from, from + INSERT_BATCH);
        const values: unknown[] = [];
        const rows = batch.map((p, i) => {
          const label = from + i;
          const embedding = index.vectors.vectorOf(label);
          const sentences = index.sentenceVectors.subarray(
            p.sentenceRow * dimension,
            (p.sentenceRow + p.sentences.length) * dimension,
          );
          const { sentenceRow: _row, ...passage } = p;
          values.push(
            label,
            JSON.stringify(passage),
            vectorLiteral(embedding),
            Buffer.from(sentences.slice().buffer),
          );
          const n = values.length + 2; // after $1 scope and $2 generation
          return `($1, $2, $${n - 3}, $${n - 2}, $${n - 1}::vector, $${n})`;
        });
        await client.query(
          `INSERT INTO ${this.db.table('passages')} (scope, generation, label, passage, embedding, sentence_vectors) VALUES ${rows.join(',')}`,
          [scope, index.generation, ...values],
        );
      }
      await client.query(
        `INSERT INTO ${this.db.table('kb_current')} (scope, generation, manifest) VALUES ($1, $2, $3)
         ON CONFLICT (scope) DO UPDATE SET generation = $2, manifest = $3, updated_at = now()`,
        [scope, index.generation, JSON.stringify(index.manifest)],
      );
      await client.query(`DELETE FROM ${this.db.table('passages')} WHERE scope = $1 AND generation <> $2`, [
        scope,
        index.generation,
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Removes a scope (a server whose last source was removed). */
  async drop(scope: string): Promise<void> {
    await this.db.pool.query(`DELETE FROM ${this.db.table('kb_current')} WHERE scope = $1`, [scope]);
    await this.db.pool.query(`DELETE FROM ${this.db.table('passages')} WHERE scope = $1`, [scope]);
  }

  /** The scope's current generation without vectors; null when absent or built with another model. */
  async load(scope: string, model: ModelIdentity): Promise<RemoteSnapshot | null> {
    const current = await this.db.pool.query<{ generation: string; manifest: Manifest }>(
      `SELECT generation, manifest FROM ${this.db.table('kb_current')} WHERE scope = $1`,
      [scope],
    );
    const head = current.rows[0];
    if (!head) return null;
    const { manifest, generation } = head;
    if (manifest.model.id !== model.id || manifest.model.fingerprint !== model.fingerprint) return null;
    const { rows } = await this.db.pool.query<{
      label: number;
      passage: Omit<StoredPassage, 'sentenceRow'>;
      bytes: number;
    }>(
      `SELECT label, passage, pg_column_size(p.*) AS bytes FROM ${this.db.table('passages')} p
        WHERE scope = $1 AND generation = $2 ORDER BY label`,
      [scope, generation],
    );
    if (rows.length !== manifest.passageCount) return null;
    const passages = rows.map((r) => ({ ...r.passage, sentenceRow: 0 }));
    return {
      manifest,
      generation,
      passages,
      // Dense search runs in Postgres; nothing here holds vectors.
      vectors: VectorIndex.exact(new Float32Array(0), model.dimension),
      sentenceVectors: new Float32Array(0),
      // What /sources reports as the index size: the rows' size in the database.
      bytes: rows.reduce((sum, r) => sum + Number(r.bytes), 0),
      lexical: new LexicalIndex(
        passages.map((p) => p.text),
        manifest.sources,
      ),
      sources: new Map(manifest.sources.map((s) => [s.id, s])),
      remote: { scope },
    };
  }

  /**
   * The k nearest passages of the generation, and the vectors of those and of `alsoLabels`.
   * Through the search pool: given up after SEARCH_WAIT_MS with a postgres.timeout error.
   */
  async dense(
    snapshot: RemoteSnapshot,
    queryVector: Float32Array,
    k: number,
    alsoLabels: number[],
  ): Promise<DenseCandidates> {
    try {
      return await this.denseQueries(snapshot, queryVector, k, alsoLabels);
    } catch (error) {
      if (!isPostgresTimeout(error)) throw error;
      const givenUp = searchTimeoutError(error);
      // Logged here, once per given-up search: the bot shows a UserFacingError without logging it.
      log.warn(`${givenUp.message} (${errorMessage(error)})`);
      throw givenUp;
    }
  }

  private async denseQueries(
    snapshot: RemoteSnapshot,
    queryVector: Float32Array,
    k: number,
    alsoLabels: number[],
  ): Promise<DenseCandidates> {
    const d = Math.trunc(queryVector.length);
    const { scope } = snapshot.remote;
    const [head, found] = await Promise.all([
      this.db.searchPool.query<{ generation: string }>(
        `SELECT generation FROM ${this.db.table('kb_current')} WHERE scope = $1`,
        [scope],
      ),
      this.db.searchPool.query<{
        label: number;
        embedding: string;
        sentence_vectors: Buffer;
        neighbour: boolean;
      }>(
        `WITH knn AS (
           SELECT label FROM ${this.db.table('passages')}
            WHERE scope = $1 AND generation = $2 AND vector_dims(embedding) = ${d}
            ORDER BY embedding::vector(${d}) <=> $3::vector(${d}) LIMIT $4)
         SELECT p.label, p.embedding::text AS embedding, p.sentence_vectors, knn.label IS NOT NULL AS neighbour
           FROM ${this.db.table('passages')} p LEFT JOIN knn ON knn.label = p.label
          WHERE p.scope = $1 AND p.generation = $2 AND (knn.label IS NOT NULL OR p.label = ANY($5::int[]))`,
        [scope, snapshot.generation, vectorLiteral(queryVector), k, alsoLabels],
      ),
    ]);
    const vectors = new Map<number, { embedding: Float32Array; sentences: Float32Array }>();
    const neighbours: number[] = [];
    for (const row of found.rows) {
      const bytes = row.sentence_vectors;
      vectors.set(row.label, {
        embedding: parseVector(row.embedding),
        sentences: new Float32Array(
          bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
        ),
      });
      if (row.neighbour) neighbours.push(row.label);
    }
    return { current: head.rows[0]?.generation ?? null, neighbours, vectors };
  }
}
