/**
 * One node-postgres pool per database address and schema, shared by every knowledge base of the
 * process. Each connection turns on pgvector's iterative index scan: a search filtered to one
 * server keeps walking the HNSW graph until it has k rows of that server, instead of filtering the
 * first ef_search rows after the scan and returning fewer than k (see README "Postgres").
 */
import pg from 'pg';
import { migrate } from './migrations.ts';

export interface PostgresTarget {
  url: string;
  /** Quarry's tables live in this schema (created if missing). */
  schema: string;
  /** hnsw.ef_search: candidates the graph walk keeps; the same role as HNSW_EF for hnswlib. */
  efSearch: number;
}

export interface Database {
  pool: pg.Pool;
  schema: string;
  /** `schema.table`, quoted. */
  table(name: string): string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const databases = new Map<string, Promise<Database>>();

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`postgres: schema "${schema}" must be lower-case letters, digits and _`);
  }
}

async function open(target: PostgresTarget): Promise<Database> {
  assertSchemaName(target.schema);
  const pool = new pg.Pool({
    connectionString: target.url,
    max: 4,
    // Idle connections do not keep a CLI run or a test process alive.
    allowExitOnIdle: true,
    // Session settings sent with the connection itself, so no query can run before they apply.
    options: `-c hnsw.iterative_scan=relaxed_order -c hnsw.ef_search=${Math.trunc(target.efSearch)}`,
  });
  // A dropped idle connection must not crash the bot; the next query opens a new one.
  pool.on('error', () => undefined);
  const database: Database = {
    pool,
    schema: target.schema,
    table: (name) => `"${target.schema}"."${name}"`,
  };
  await migrate(database);
  return database;
}

/** The process's pool for this database and schema, migrated on first use. */
export function database(target: PostgresTarget): Promise<Database> {
  const key = `${target.url}|${target.schema}`;
  let found = databases.get(key);
  if (!found) {
    found = open(target);
    found.catch(() => databases.delete(key));
    databases.set(key, found);
  }
  return found;
}

/** Closes every pool (clean shutdown, end of tests). */
export async function closeDatabases(): Promise<void> {
  const all = [...databases.values()];
  databases.clear();
  await Promise.all(all.map(async (d) => (await d.catch(() => null))?.pool.end()));
}
