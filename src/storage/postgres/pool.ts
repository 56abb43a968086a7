/**
 * One node-postgres pool per database address and schema, shared by every knowledge base of the
 * process. Each connection turns on pgvector's iterative index scan: a search filtered to one
 * server keeps walking the HNSW graph until it has k rows of that server, instead of filtering the
 * first ef_search rows after the scan and returning fewer than k (see README "Postgres").
 */
import pg from 'pg';
import { errorMessage, UserFacingError } from '../../errors.ts';
import { migrate } from './migrations.ts';

export interface PostgresTarget {
  url: string;
  /** Quarry's tables live in this schema (created if missing). */
  schema: string;
  /** hnsw.ef_search: candidates the graph walk keeps; the same role as HNSW_EF for hnswlib. */
  efSearch: number;
}

export interface Database {
  /** Publishing, loading, migrations, reports, the audit log: no time limit (long work is legitimate). */
  pool: pg.Pool;
  /** The /ask search queries only: bounded by SEARCH_WAIT_MS (see searchPool). */
  searchPool: pg.Pool;
  schema: string;
  /** `schema.table`, quoted. */
  table(name: string): string;
}

/** Node's codes for a TLS certificate it could not verify. */
const TLS_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** pg's error for a server that answers "no TLS" to sslmode carries no code: this one is ours. */
const NO_TLS = 'NO_TLS';

/** An error's code, or NO_TLS for pg's "The server does not support SSL connections". */
function errorCode(error: unknown): string {
  const code = String((error as { code?: unknown }).code ?? '');
  if (!code && /does not support SSL connections/.test(errorMessage(error))) return NO_TLS;
  return code;
}

/** What to do about a Postgres error, by SQLSTATE class or connection error code (and its message, for 42501). */
export function postgresHint(code: string, message = ''): string | null {
  if (
    ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET'].includes(code) ||
    code.startsWith('08')
  )
    return 'the database cannot be reached: check that Postgres runs and DATABASE_URL points at it';
  // pg parses DATABASE_URL with WHATWG URL rules on the first connection (and hides the address).
  if (code === 'ERR_INVALID_URL')
    return 'DATABASE_URL is not a valid address: write it as postgres://user:password@host:port/database, with special characters in the password percent-encoded';
  // node-postgres treats sslmode=require (and prefer, verify-ca) as verify-full: unlike libpq it
  // checks the certificate against Node's CAs and the host name, so a provider's private CA or a
  // self-signed certificate is refused where psql connects.
  if (TLS_CERTIFICATE_CODES.has(code))
    return "the database's TLS certificate was not accepted (node-postgres verifies it for sslmode=require, like verify-full): add sslrootcert=/path/to/your-provider-ca.pem to DATABASE_URL, or write uselibpqcompat=true&sslmode=require to encrypt without verifying, as psql does";
  if (code === NO_TLS)
    return 'the database server does not accept TLS connections: remove sslmode from DATABASE_URL, or turn ssl on in Postgres';
  if (code === '3D000')
    return 'the database named in DATABASE_URL does not exist: create it, or fix the name';
  if (code === '58P01')
    return 'the pgvector extension is not installed on the database server: install it (README, "Pointing Quarry at your Postgres")';
  if (code === '28P01' || code === '28000')
    return "Postgres refused the login: check DATABASE_URL's user and password";
  if (code === '42501' && /create extension/i.test(message))
    return 'pgvector is not enabled in this database and the DATABASE_URL role may not enable it: run CREATE EXTENSION vector once in this database as its owner or a superuser';
  if (code === '42501' && /permission denied for database/i.test(message))
    return 'the DATABASE_URL role may not create the schema Quarry uses (DATABASE_SCHEMA, default quarry): create it once as the database owner (CREATE SCHEMA quarry AUTHORIZATION <role>), or grant CREATE on the database';
  if (code === '42501')
    return 'the DATABASE_URL role lacks a privilege on the schema: grant it, or use another role';
  if (code === '53100') return "the database's disk is full: free some space";
  if (code === '53300')
    return 'Postgres has no free connection: raise max_connections or use fewer processes';
  if (code === '57P01' || code === '57P03')
    return 'Postgres is shutting down or starting: writes resume when it is up';
  return null;
}

/**
 * A database that cannot be reached or used when it is first opened, as a problem the operator can
 * fix (one line, exit 1) rather than a stack trace; the address is not repeated (it may hold a
 * password). Errors without a known remedy stay as they are.
 */
function openError(error: unknown): unknown {
  const code = errorCode(error);
  const hint = postgresHint(code, errorMessage(error));
  if (!hint) return error;
  return Object.assign(
    new UserFacingError(
      'postgres.open',
      `could not open the DATABASE_URL database (${code}: ${errorMessage(error)})`,
      hint,
    ),
    { cause: error },
  );
}

/**
 * The longest an /ask search waits for the database: for a connection (connectionTimeoutMillis)
 * and for each of its queries, which Postgres then cancels (statement_timeout). Without it a
 * locked table or a server gone quiet left the deferred /ask "thinking" for ever. 5 s is 10× the
 * search p99 measured on a loaded machine (478 ms, README "Postgres").
 */
export const SEARCH_WAIT_MS = 5000;

/** Postgres cancelling at statement_timeout, or pg finding no connection within connectionTimeoutMillis. */
export function isPostgresTimeout(error: unknown): boolean {
  return (
    (error as { code?: unknown }).code === '57014' ||
    /timeout exceeded when trying to connect|connection timeout/.test(errorMessage(error))
  );
}

/** A search given up at SEARCH_WAIT_MS, as the member's answer (the address is never included). */
export function searchTimeoutError(error: unknown): UserFacingError {
  return Object.assign(
    new UserFacingError(
      'postgres.timeout',
      `the index database did not answer within ${SEARCH_WAIT_MS / 1000} s`,
      'ask again in a moment; if it keeps happening, a table may be locked by another session or Postgres unreachable: check the database',
    ),
    { cause: error },
  );
}

/**
 * A pool whose waits are bounded: for a connection (connectionTimeoutMillis) and for each query,
 * which the server cancels (statement_timeout). For the paths that must not wait on a locked table
 * (searches, feedback on the answer path); a dropped idle connection does not crash the bot.
 */
export function boundedPool(config: pg.PoolConfig, waitMs: number): pg.Pool {
  const pool = new pg.Pool({ ...config, statement_timeout: waitMs, connectionTimeoutMillis: waitMs });
  pool.on('error', () => undefined);
  return pool;
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
  const settings: pg.PoolConfig = {
    connectionString: target.url,
    max: 4,
    // Idle connections do not keep a CLI run or a test process alive.
    allowExitOnIdle: true,
    // Session settings sent with the connection itself, so no query can run before they apply.
    options: `-c hnsw.iterative_scan=relaxed_order -c hnsw.ef_search=${Math.trunc(target.efSearch)}`,
  };
  const pool = new pg.Pool(settings);
  // The searches' own pool, like feedback's answer-path pool: the limit is a setting of its
  // connections, so a search costs no extra round trips (SET LOCAL would need BEGIN/SET/COMMIT
  // around every search), publishing and migrations on `pool` stay unlimited without having to
  // lift it, and a search waiting on a lock never holds a connection a publish needs.
  const searchPool = boundedPool(settings, SEARCH_WAIT_MS);
  // A dropped idle connection must not crash the bot; the next query opens a new one.
  pool.on('error', () => undefined);
  const database: Database = {
    pool,
    searchPool,
    schema: target.schema,
    table: (name) => `"${target.schema}"."${name}"`,
  };
  try {
    await migrate(database);
  } catch (error) {
    await Promise.all([pool.end(), searchPool.end()]).catch(() => undefined);
    throw openError(error);
  }
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
  await Promise.all(
    all.map(async (found) => {
      const d = await found.catch(() => null);
      await Promise.all([d?.pool.end(), d?.searchPool.end()]);
    }),
  );
}
