/**
 * The feedback store as the bot uses it: storage must never stop an answer. Opening, recording
 * and voting catch every storage error; each kind of failure (disk full, locked, read-only,
 * damaged) is logged once with what to fix, and the caller carries on without the feedback
 * (an answer is sent without vote buttons). Reports (/gaps, /stats) get a user-facing error.
 */
import { errorMessage, UserFacingError } from '../errors.ts';
import { log } from '../log.ts';
import { AuditLog } from './audit.ts';
import { DAY_MS, FeedbackStore, type NewQuestion, type StoredQuestion, type Vote } from './store.ts';

/** What to do about a storage error, by SQLite or system error code. */
export function storageHint(error: unknown): string {
  const code = String((error as { code?: unknown }).code ?? '');
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

export class Feedback {
  private readonly reported = new Set<string>();
  private retentionTimer: NodeJS.Timeout | undefined;

  private constructor(
    private store: FeedbackStore | null,
    readonly path: string,
  ) {}

  /** Never throws: a database that cannot be opened leaves feedback off, with one log line. */
  static open(path: string): Feedback {
    const feedback = new Feedback(null, path);
    try {
      feedback.store = FeedbackStore.open(path);
    } catch (error) {
      feedback.failed('open', error);
    }
    return feedback;
  }

  get enabled(): boolean {
    return this.store !== null;
  }

  /**
   * The sources audit log in the same database and connection (migration 2 of store.ts); null
   * when the database could not be opened: sources can still be changed, unrecorded.
   */
  auditLog(): AuditLog | null {
    return this.store ? new AuditLog(this.store) : null;
  }

  private failed(what: string, error: unknown): undefined {
    const code = String((error as { code?: unknown }).code ?? 'unknown');
    const key = `${what}:${code}`;
    if (!this.reported.has(key)) {
      this.reported.add(key);
      log.error(
        `feedback: could not ${what} ${this.path} (${code}: ${errorMessage(error)}); answers go on without feedback — ${storageHint(error)}`,
      );
    }
    return undefined;
  }

  private attempt<T>(what: string, work: (store: FeedbackStore) => T): T | undefined {
    if (!this.store) return undefined;
    try {
      return work(this.store);
    } catch (error) {
      return this.failed(what, error);
    }
  }

  /** The new question's id, or undefined when it could not be stored. */
  recordQuestion(record: NewQuestion): number | undefined {
    return this.attempt('write to', (s) => s.recordQuestion(record));
  }

  vote(options: { guildId: string; questionId: number; memberId: string; value: Vote }) {
    return this.attempt('write to', (s) => s.vote(options));
  }

  question(guildId: string, id: number): StoredQuestion | undefined {
    return this.attempt('read', (s) => s.question(guildId, id));
  }

  memberHash(memberId: string): string | undefined {
    return this.store?.memberHash(memberId);
  }

  /** For reports: the store, or an error a moderator can act on. */
  reports(): FeedbackStore {
    if (!this.store) {
      throw new UserFacingError(
        'feedback',
        `the feedback database ${this.path} could not be opened`,
        "the bot's log says why; fix it and restart",
      );
    }
    return this.store;
  }

  /** Prunes now and then once a day; the timer never keeps the process alive. */
  startRetention(days: number): void {
    const prune = () => {
      const removed = this.attempt('prune', (s) => s.prune(days));
      if (removed) log.info(`feedback: removed ${removed} questions older than ${days} days`);
    };
    prune();
    this.retentionTimer = setInterval(prune, DAY_MS);
    this.retentionTimer.unref();
  }

  close(): void {
    clearInterval(this.retentionTimer);
    this.attempt('close', (s) => s.close());
    this.store = null;
  }
}
