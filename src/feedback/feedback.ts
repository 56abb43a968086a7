/**
 * The feedback store as the bot uses it: storage must never stop an answer. Opening, recording
 * and voting catch every storage error; each kind of failure (disk full, locked, read-only,
 * damaged, database unreachable) is logged once with what to fix, and the caller carries on
 * without the feedback (an answer is sent without vote buttons). Reports (/gaps, /stats) get a
 * user-facing error.
 *
 * Where it lives: Postgres when DATABASE_URL is set (one store for every shard and machine, so
 * /stats and /gaps count them all), else the SQLite file FEEDBACK_DB.
 */
import type { BotConfig, CoreConfig } from '../config.ts';
import { errorMessage, isUserFacing, UserFacingError } from '../errors.ts';
import { log } from '../log.ts';
import { PostgresFeedbackStore } from '../storage/postgres/feedback.ts';
import { isPostgresTimeout, postgresHint } from '../storage/postgres/pool.ts';
import { AuditLog } from './audit.ts';
import {
  DAY_MS,
  type FeedbackStorage,
  type NewQuestion,
  type NewVote,
  STORAGE_WAIT_MS,
  type StoredQuestion,
} from './storage.ts';
import { FeedbackStore } from './store.ts';

/** Where feedback is stored: the SQLite file, unless a Postgres address is given. */
export type FeedbackLocation = Pick<BotConfig, 'feedbackDb'> &
  Partial<Pick<CoreConfig, 'databaseUrl' | 'databaseSchema' | 'hnsw'>>;

/** What to do about a storage error, by SQLite, Postgres or system error code. */
export function storageHint(error: unknown): string {
  const code = String((error as { code?: unknown }).code ?? '');
  // Ours; Postgres cancelling at statement_timeout; pg's pool finding no free connection in time.
  if (code === 'FEEDBACK_TIMEOUT' || isPostgresTimeout(error))
    return 'the database did not answer in time (a table locked by another session, or the server unreachable): check Postgres';
  const postgres = postgresHint(code);
  if (postgres) return postgres;
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC') return 'the disk is full: free some space';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return 'another process holds the database: stop it, or point FEEDBACK_DB at another file';
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'EACCES')
    return "make FEEDBACK_DB's folder writable by the bot, or point FEEDBACK_DB elsewhere";
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
    return 'the file is damaged: restart the bot, which moves it aside and starts a new one';
  if (code.startsWith('SQLITE_IOERR')) return 'the disk reported an I/O error: check it and free space';
  return 'see the error above';
}

export { STORAGE_WAIT_MS } from './storage.ts';

/** The value, or a rejection with code FEEDBACK_TIMEOUT when a promise has not settled within `ms`. */
async function withinTime<T>(value: T | Promise<T>, ms: number): Promise<T> {
  if (!(value instanceof Promise)) return value;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'FEEDBACK_TIMEOUT' })),
      ms,
    );
  });
  try {
    return await Promise.race([value, late]);
  } finally {
    clearTimeout(timer);
  }
}

export class Feedback {
  private readonly reported = new Set<string>();
  private retentionTimer: NodeJS.Timeout | undefined;

  private constructor(
    private store: FeedbackStorage | null,
    /** Where feedback lives, for log lines (never the database URL, which may hold a password). */
    readonly location: string,
  ) {}

  /** Never throws: a database that cannot be opened leaves feedback off, with one log line. */
  static async open(where: FeedbackLocation): Promise<Feedback> {
    const postgres = where.databaseUrl
      ? {
          url: where.databaseUrl,
          schema: where.databaseSchema ?? 'quarry',
          efSearch: where.hnsw?.ef ?? 64,
        }
      : null;
    const feedback = new Feedback(null, postgres ? `Postgres schema ${postgres.schema}` : where.feedbackDb);
    try {
      feedback.store = postgres
        ? await PostgresFeedbackStore.open(postgres)
        : FeedbackStore.open(where.feedbackDb);
    } catch (error) {
      feedback.failed('open', error);
    }
    return feedback;
  }

  get enabled(): boolean {
    return this.store !== null;
  }

  /**
   * The sources audit log in the same SQLite database and connection (migration 2 of store.ts);
   * null when the database could not be opened (sources can still be changed, unrecorded) or
   * feedback is in Postgres (the bot then uses the Postgres audit log).
   */
  auditLog(): AuditLog | null {
    return this.store instanceof FeedbackStore ? new AuditLog(this.store) : null;
  }

  private failed(what: string, error: unknown): undefined {
    const code = String((error as { code?: unknown }).code ?? 'unknown');
    const key = `${what}:${code}`;
    if (!this.reported.has(key)) {
      this.reported.add(key);
      // A user-facing error already names its component and says what to do.
      const detail = isUserFacing(error) ? errorMessage(error) : `${code}: ${errorMessage(error)}`;
      const hint = isUserFacing(error) ? '' : ` — ${storageHint(error)}`;
      log.error(
        `feedback: could not ${what} ${this.location} (${detail}); answers go on without feedback${hint}`,
      );
    }
    return undefined;
  }

  /** `waitMs`: give up after that long (the work may still finish later, unseen). */
  private async attempt<T>(
    what: string,
    work: (store: FeedbackStorage) => T | Promise<T>,
    waitMs?: number,
  ): Promise<T | undefined> {
    if (!this.store) return undefined;
    try {
      return await (waitMs === undefined ? work(this.store) : withinTime(work(this.store), waitMs));
    } catch (error) {
      return this.failed(what, error);
    }
  }

  /** The new question's id, or undefined when it could not be stored. */
  recordQuestion(record: NewQuestion): Promise<number | undefined> {
    return this.attempt('write to', (s) => s.recordQuestion(record), STORAGE_WAIT_MS);
  }

  vote(vote: NewVote) {
    return this.attempt('write to', (s) => s.vote(vote), STORAGE_WAIT_MS);
  }

  /**
   * The stored question; undefined when this server has none by that id (expired, or never
   * stored); null when storage failed or gave no answer in time — a click is then told feedback
   * is unavailable, not that its answer is gone and should be asked again.
   */
  async question(guildId: string, id: number): Promise<StoredQuestion | undefined | null> {
    const found = await this.attempt(
      'read',
      async (s) => ({ stored: await s.question(guildId, id) }),
      STORAGE_WAIT_MS,
    );
    return found ? found.stored : null;
  }

  memberHash(memberId: string): string | undefined {
    return this.store?.memberHash(memberId);
  }

  /** For reports: the store, or an error a moderator can act on. */
  reports(): FeedbackStorage {
    if (!this.store) {
      throw new UserFacingError(
        'feedback',
        `the feedback database (${this.location}) could not be opened`,
        "the bot's log says why; fix it and restart",
      );
    }
    return this.store;
  }

  /**
   * Prunes now and then once a day; the timer never keeps the process alive. Resolves when the
   * first prune is done (never rejects). With Postgres every process prunes: deleting what
   * another already deleted is harmless.
   */
  startRetention(days: number): Promise<void> {
    const prune = async () => {
      const removed = await this.attempt('prune', (s) => s.prune(days));
      if (removed) log.info(`feedback: removed ${removed} questions older than ${days} days`);
    };
    this.retentionTimer = setInterval(prune, DAY_MS);
    this.retentionTimer.unref();
    return prune();
  }

  async close(): Promise<void> {
    clearInterval(this.retentionTimer);
    await this.attempt('close', (s) => s.close());
    this.store = null;
  }
}
