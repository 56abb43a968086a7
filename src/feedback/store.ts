/**
 * The feedback database: every question asked and every 👍/👎, in one SQLite file (better-sqlite3,
 * WAL mode, versioned migrations run on open). Every row carries its server id and every query
 * filters by it. Members are stored only as an HMAC of their id under a random salt kept in the
 * file itself, so the raw id never touches the disk and nothing about members leaves the machine.
 *
 * A file that is not a database or fails SQLite's quick check is moved aside (never overwritten)
 * and a fresh one is created, with a warning naming where the old file went.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { log } from '../log.ts';
import {
  DAY_MS,
  type FeedbackStorage,
  hashMember,
  type NewQuestion,
  type NewVote,
  type QuestionRow,
  type QuestionWithVector,
  type StoredQuestion,
  toQuestion,
  toQuestionWithVector,
  type Vote,
  vectorBytes,
} from './storage.ts';

/** Each entry upgrades the schema by one version (PRAGMA user_version); never edit a shipped one. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE questions (
     id INTEGER PRIMARY KEY,
     guild_id TEXT NOT NULL,
     channel_id TEXT NOT NULL,
     member_hash TEXT NOT NULL,
     question TEXT NOT NULL,
     answered INTEGER NOT NULL,
     top_score REAL,
     passage_ids TEXT NOT NULL,
     embedding BLOB,
     model TEXT,
     asked_at INTEGER NOT NULL
   );
   CREATE INDEX questions_by_guild_time ON questions (guild_id, asked_at);
   CREATE TABLE votes (
     question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
     guild_id TEXT NOT NULL,
     member_hash TEXT NOT NULL,
     value INTEGER NOT NULL CHECK (value IN (-1, 1)),
     voted_at INTEGER NOT NULL,
     PRIMARY KEY (question_id, member_hash)
   );
   CREATE INDEX votes_by_guild ON votes (guild_id, question_id);`,
  // 2: who changed which sources (src/feedback/audit.ts). guild_id 'shared' for SOURCES_DIR.
  `CREATE TABLE source_audit (
     id INTEGER PRIMARY KEY,
     guild_id TEXT NOT NULL,
     actor_id TEXT NOT NULL,
     action TEXT NOT NULL,
     source TEXT,
     outcome TEXT NOT NULL,
     detail TEXT,
     at INTEGER NOT NULL
   );
   CREATE INDEX source_audit_by_guild_time ON source_audit (guild_id, at);`,
];

const VOTE_COUNTS = `COALESCE((SELECT SUM(value = 1) FROM votes v WHERE v.question_id = q.id), 0) AS up,
  COALESCE((SELECT SUM(value = -1) FROM votes v WHERE v.question_id = q.id), 0) AS down`;

/** True when SQLite says the file itself is damaged (as opposed to full, locked or read-only). */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || String(code).startsWith('SQLITE_CORRUPT');
}

/**
 * At run time a short busy timeout: better-sqlite3 waits synchronously, and a bot must not freeze
 * on a lock. Opening (WAL switch, migrations, the salt) may wait longer: shards started together
 * on one new file queue behind the first one's migration, and on a loaded machine 200 ms was not
 * always enough (CI: one of four processes failed with "database is locked").
 */
const RUNTIME_BUSY_MS = 200;
const OPENING_BUSY_MS = 5000;

function openChecked(path: string): Database.Database {
  const db = new Database(path, { timeout: OPENING_BUSY_MS });
  try {
    db.pragma('journal_mode = WAL');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      const error = new Error(`feedback: quick_check says ${String(check)}`) as Error & { code: string };
      error.code = 'SQLITE_CORRUPT';
      throw error;
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * SQLite answers some lock conflicts at once, without waiting out the busy timeout: two
 * connections that both read a new file and then both want to write it (the WAL switch, the
 * migration) would deadlock, so one is told "database is locked" immediately. CI saw two of four
 * shards opening one new file fail that way within a few milliseconds. Opening is therefore retried
 * as a whole until the opening timeout.
 */
function isBusy(error: unknown): boolean {
  return String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY');
}

/** Opening is synchronous (the bot waits for it at start-up), so the pause between tries is too. */
function pauseSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Moves a damaged database (and its WAL and shared-memory files) aside; returns the new name. */
function moveAside(path: string, now: number): string {
  const aside = `${path}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  }
  return aside;
}

/**
 * Checkpoints (copying the WAL into the database, with an fsync) run on a worker thread with its
 * own connection, every second: run inline by SQLite's auto-checkpoint they landed on one write
 * in ~150 and blocked the event loop for 5–100 ms on a busy disk (measured: record p99 11–16 ms,
 * p50 0.05 ms). A PASSIVE checkpoint never blocks the bot's writes.
 */
const CHECKPOINTER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 1000 });
setInterval(() => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} }, workerData.everyMs);
`;

function startCheckpointer(path: string): Worker {
  const worker = new Worker(CHECKPOINTER, {
    eval: true,
    workerData: { path, everyMs: 1000, driver: fileURLToPath(import.meta.resolve('better-sqlite3')) },
  });
  worker.unref();
  // A failing checkpointer only means checkpoints wait for the next start; the WAL stays valid.
  worker.on('error', (error) => log.warn(`feedback: background checkpoints stopped: ${error.message}`));
  return worker;
}

export class FeedbackStore implements FeedbackStorage {
  private readonly salt: string;
  private readonly statements;
  private readonly checkpointer: Worker;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
  ) {
    db.pragma('foreign_keys = ON');
    // WAL + NORMAL: a commit survives a process crash (kill -9); only power loss can drop the
    // last commits, which for votes is an acceptable trade for ~10× cheaper writes.
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 0');
    migrate(db);
    db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)`).run(
      randomBytes(32).toString('hex'),
    );
    this.salt = (db.prepare(`SELECT value FROM meta WHERE key = 'salt'`).get() as { value: string }).value;
    db.pragma(`busy_timeout = ${RUNTIME_BUSY_MS}`);
    this.statements = {
      insertQuestion: db.prepare(
        `INSERT INTO questions (guild_id, channel_id, member_hash, question, answered, top_score,
           passage_ids, embedding, model, asked_at)
         VALUES (@guildId, @channelId, @memberHash, @question, @answered, @topScore, @passageIds,
           @embedding, @model, @askedAt)`,
      ),
      vote: db.prepare(
        `INSERT INTO votes (question_id, guild_id, member_hash, value, voted_at)
         SELECT id, guild_id, @memberHash, @value, @votedAt FROM questions WHERE id = @id AND guild_id = @guildId
         ON CONFLICT (question_id, member_hash) DO UPDATE SET value = excluded.value, voted_at = excluded.voted_at`,
      ),
      previousVote: db.prepare(`SELECT value FROM votes WHERE question_id = ? AND member_hash = ?`),
      question: db.prepare(`SELECT q.*, ${VOTE_COUNTS} FROM questions q WHERE q.id = ? AND q.guild_id = ?`),
      // Votes aggregated once per server and joined, rather than two lookups per question.
      gapCandidates: db.prepare(
        `SELECT q.*, COALESCE(v.up, 0) AS up, COALESCE(v.down, 0) AS down
         FROM questions q LEFT JOIN (
           SELECT question_id, SUM(value = 1) AS up, SUM(value = -1) AS down
           FROM votes WHERE guild_id = @guildId GROUP BY question_id
         ) v ON v.question_id = q.id
         WHERE q.guild_id = @guildId AND q.asked_at >= @since AND (q.answered = 0 OR v.down > 0)
         ORDER BY q.asked_at`,
      ),
      questionsSince: db.prepare(
        `SELECT q.id, q.guild_id, q.channel_id, q.member_hash, q.question, q.answered, q.top_score,
           q.passage_ids, q.asked_at, ${VOTE_COUNTS}
         FROM questions q WHERE q.guild_id = ? AND q.asked_at >= ? ORDER BY asked_at`,
      ),
      prune: db.prepare(`DELETE FROM questions WHERE asked_at < ?`),
    };
    this.checkpointer = startCheckpointer(path);
  }

  /** Opens (creating if needed) the database at `path`; a damaged file is moved aside first. */
  static open(path: string, options: { now?: number } = {}): FeedbackStore {
    mkdirSync(dirname(path), { recursive: true });
    const deadline = Date.now() + OPENING_BUSY_MS;
    for (;;) {
      try {
        return FeedbackStore.openOnce(path, options.now);
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) throw error;
        pauseSync(20 + Math.random() * 80);
      }
    }
  }

  private static openOnce(path: string, now = Date.now()): FeedbackStore {
    let db: Database.Database;
    try {
      db = openChecked(path);
    } catch (error) {
      if (!isCorruption(error)) throw error;
      const aside = moveAside(path, now);
      log.warn(
        `feedback: ${path} is damaged (${(error as Error).message}); moved it to ${aside} and started a new, empty database`,
      );
      db = openChecked(path);
    }
    try {
      return new FeedbackStore(db, path);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  get location(): string {
    return this.path;
  }

  memberHash(memberId: string): string {
    return hashMember(this.salt, memberId);
  }

  recordQuestion(record: NewQuestion): number {
    const result = this.statements.insertQuestion.run({
      guildId: record.guildId,
      channelId: record.channelId,
      memberHash: this.memberHash(record.memberId),
      question: record.question,
      answered: record.answered ? 1 : 0,
      topScore: record.topScore,
      passageIds: JSON.stringify(record.passageIds),
      embedding: vectorBytes(record.vector),
      model: record.model ?? null,
      askedAt: record.askedAt ?? Date.now(),
    });
    return Number(result.lastInsertRowid);
  }

  vote(options: NewVote): { previous: Vote | 0 } | null {
    const memberHash = this.memberHash(options.memberId);
    return this.db.transaction((): { previous: Vote | 0 } | null => {
      const before = this.statements.previousVote.get(options.questionId, memberHash) as
        | { value: Vote }
        | undefined;
      const result = this.statements.vote.run({
        id: options.questionId,
        guildId: options.guildId,
        memberHash,
        value: options.value,
        votedAt: options.at ?? Date.now(),
      });
      if (result.changes === 0) return null;
      return { previous: before?.value ?? 0 };
    })();
  }

  question(guildId: string, id: number): StoredQuestion | undefined {
    const row = this.statements.question.get(id, guildId) as QuestionRow | undefined;
    return row ? toQuestion(row) : undefined;
  }

  gapCandidates(guildId: string, since: number): QuestionWithVector[] {
    return (this.statements.gapCandidates.all({ guildId, since }) as QuestionRow[]).map(toQuestionWithVector);
  }

  questionsSince(guildId: string, since: number): StoredQuestion[] {
    return (this.statements.questionsSince.all(guildId, since) as QuestionRow[]).map(toQuestion);
  }

  prune(days: number, now = Date.now()): number {
    return this.statements.prune.run(now - days * DAY_MS).changes;
  }

  close(): void {
    void this.checkpointer.terminate();
    if (this.db.open) {
      // Fold the WAL back in while we still can: the file is complete on its own afterwards.
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // Locked by another connection: the WAL stays and is replayed on the next open.
      }
      this.db.close();
    }
  }
}

/**
 * The version is read and the upgrade applied under one write lock (BEGIN IMMEDIATE): shards on
 * one machine without DATABASE_URL open the same new file at once, and when each read the version
 * before locking, all saw 0 and all but the first failed on "table meta already exists", leaving
 * feedback off in those shards. The others now wait (busy timeout) and find the schema done.
 */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(
        `feedback: the database has schema version ${version}, newer than this Quarry knows (${MIGRATIONS.length}); upgrade Quarry or point FEEDBACK_DB elsewhere`,
      );
    }
    for (let next = version; next < MIGRATIONS.length; next++) {
      db.exec(MIGRATIONS[next] as string);
      db.pragma(`user_version = ${next + 1}`);
    }
  }).immediate();
}
