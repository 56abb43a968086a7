/**
 * Feedback in Postgres (with DATABASE_URL): the questions and votes of every shard and machine in
 * one place, so /stats and /gaps asked through any shard count them all — through the database,
 * with no messages between processes. Same rules as the SQLite store (src/feedback/store.ts):
 * every row carries its server id and every read and vote is scoped by it; members are stored only
 * as an HMAC under a salt kept in the database (one salt for all processes, so a member hashes the
 * same on every shard); retention deletes a question with its votes.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { UserFacingError } from '../../errors.ts';
import {
  DAY_MS,
  type FeedbackStorage,
  hashMember,
  type NewQuestion,
  type NewVote,
  type QuestionRow,
  type QuestionWithVector,
  STORAGE_WAIT_MS,
  type StoredQuestion,
  toQuestion,
  toQuestionWithVector,
  type Vote,
  vectorBytes,
} from '../../feedback/storage.ts';
import { boundedPool, type Database, database, type PostgresTarget } from './pool.ts';

/**
 * The longest /stats or /gaps waits for its query: the server cancels it then (statement_timeout),
 * and the moderator is told why. Without it a locked table kept the report "thinking" until the
 * lock went, holding a connection the index searches share. 10 s is 5× the slowest measured
 * (/gaps at 100,000 stored questions: 1.9 s, most of it reading rows).
 */
export const REPORT_WAIT_MS = 10_000;

const COLUMNS = `q.id, q.guild_id, q.channel_id, q.member_hash, q.question, q.answered, q.top_score,
  q.passage_ids, q.asked_at`;

/**
 * The connections an answer or a click writes and reads through: their own, so a feedback query
 * that waits (a locked table) can never hold the connections the index searches share, and the
 * server cancels it after STORAGE_WAIT_MS (statement_timeout) — the caller has gone on without it
 * by then (src/feedback/feedback.ts), so it must neither keep its connection nor land later (a
 * vote the member was told was not recorded). Before, given-up queries kept waiting on the shared
 * pool of 4, and a fifth locked /ask left every search of a Postgres-served index without a
 * connection until the lock went. Reports and retention use the shared pool, without the limit.
 */
function answerPathPool(url: string): pg.Pool {
  return boundedPool(
    // Two: a vote or a record takes ~0.4 ms, and every shard process opens these besides the shared 4.
    { connectionString: url, max: 2, allowExitOnIdle: true },
    STORAGE_WAIT_MS,
  );
}

export class PostgresFeedbackStore implements FeedbackStorage {
  private constructor(
    private readonly db: Database,
    private readonly salt: string,
    private readonly live: pg.Pool,
  ) {}

  /** Connects (migrating the schema on first use) and reads the salt, creating it if none. */
  static async open(target: PostgresTarget): Promise<PostgresFeedbackStore> {
    const db = await database(target);
    const meta = db.table('feedback_meta');
    // Two processes starting at once: one insert wins, both read the winner's salt.
    await db.pool.query(`INSERT INTO ${meta} (key, value) VALUES ('salt', $1) ON CONFLICT (key) DO NOTHING`, [
      randomBytes(32).toString('hex'),
    ]);
    const { rows } = await db.pool.query<{ value: string }>(`SELECT value FROM ${meta} WHERE key = 'salt'`);
    return new PostgresFeedbackStore(db, (rows[0] as { value: string }).value, answerPathPool(target.url));
  }

  get location(): string {
    return `Postgres schema ${this.db.schema}`;
  }

  private get votes(): string {
    return this.db.table('votes');
  }

  private get questions(): string {
    return this.db.table('questions');
  }

  private voteCounts(): string {
    return `(SELECT COUNT(*) FILTER (WHERE value = 1) FROM ${this.votes} v WHERE v.question_id = q.id) AS up,
      (SELECT COUNT(*) FILTER (WHERE value = -1) FROM ${this.votes} v WHERE v.question_id = q.id) AS down`;
  }

  /**
   * Vote counts and the rest of a query over one server's questions asked since $2: the server's
   * votes aggregated once and joined (measured at 3,300 questions: 22 ms in the database, against
   * 40 ms for two counting subqueries per question).
   */
  private withVotes(): string {
    return `COALESCE(v.up, 0) AS up, COALESCE(v.down, 0) AS down
      FROM ${this.questions} q LEFT JOIN (
        SELECT question_id, COUNT(*) FILTER (WHERE value = 1) AS up, COUNT(*) FILTER (WHERE value = -1) AS down
        FROM ${this.votes} WHERE guild_id = $1 GROUP BY question_id
      ) v ON v.question_id = q.id
      WHERE q.guild_id = $1 AND q.asked_at >= $2`;
  }

  memberHash(memberId: string): string {
    return hashMember(this.salt, memberId);
  }

  async recordQuestion(record: NewQuestion): Promise<number> {
    const { rows } = await this.live.query<{ id: string }>(
      `INSERT INTO ${this.questions} (guild_id, channel_id, member_hash, question, answered, top_score,
         passage_ids, embedding, model, asked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [
        record.guildId,
        record.channelId,
        this.memberHash(record.memberId),
        record.question,
        record.answered,
        record.topScore,
        JSON.stringify(record.passageIds),
        vectorBytes(record.vector),
        record.model ?? null,
        record.askedAt ?? Date.now(),
      ],
    );
    return Number(rows[0]?.id);
  }

  /**
   * One statement, one round trip: every part of it sees the same snapshot, so `previous` is the
   * vote before this one, and the insert happens only when the question is in this server.
   */
  async vote(vote: NewVote): Promise<{ previous: Vote | 0 } | null> {
    const { rows } = await this.live.query<{ changed: string; previous: number | null }>(
      `WITH previous AS (
         SELECT value FROM ${this.votes} WHERE question_id = $1 AND member_hash = $3
       ), written AS (
         INSERT INTO ${this.votes} (question_id, guild_id, member_hash, value, voted_at)
         SELECT id, guild_id, $3, $4, $5 FROM ${this.questions} WHERE id = $1 AND guild_id = $2
         ON CONFLICT (question_id, member_hash) DO UPDATE SET value = excluded.value, voted_at = excluded.voted_at
         RETURNING 1
       )
       SELECT (SELECT COUNT(*) FROM written) AS changed, (SELECT value FROM previous) AS previous`,
      [vote.questionId, vote.guildId, this.memberHash(vote.memberId), vote.value, vote.at ?? Date.now()],
    );
    const row = rows[0];
    if (!row || Number(row.changed) === 0) return null;
    return { previous: (row.previous ?? 0) as Vote | 0 };
  }

  async question(guildId: string, id: number): Promise<StoredQuestion | undefined> {
    const { rows } = await this.live.query<QuestionRow>(
      `SELECT ${COLUMNS}, ${this.voteCounts()} FROM ${this.questions} q WHERE q.id = $1 AND q.guild_id = $2`,
      [id, guildId],
    );
    return rows[0] ? toQuestion(rows[0]) : undefined;
  }

  async gapCandidates(guildId: string, since: number): Promise<QuestionWithVector[]> {
    const rows = await this.report(
      `SELECT ${COLUMNS}, q.embedding, q.model, ${this.withVotes()}
       AND (NOT q.answered OR v.down > 0) ORDER BY q.asked_at, q.id`,
      [guildId, since],
    );
    return rows.map(toQuestionWithVector);
  }

  async questionsSince(guildId: string, since: number): Promise<StoredQuestion[]> {
    const rows = await this.report(`SELECT ${COLUMNS}, ${this.withVotes()} ORDER BY q.asked_at, q.id`, [
      guildId,
      since,
    ]);
    return rows.map(toQuestion);
  }

  /** A report's query, cancelled by the server after REPORT_WAIT_MS (SET LOCAL: this transaction only). */
  private async report(sql: string, params: unknown[]): Promise<QuestionRow[]> {
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL statement_timeout = ${REPORT_WAIT_MS}`);
      const { rows } = await client.query<QuestionRow>(sql, params);
      await client.query('COMMIT');
      return rows;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if ((error as { code?: unknown }).code !== '57014') throw error;
      throw new UserFacingError(
        'feedback',
        `the database did not answer within ${REPORT_WAIT_MS / 1000} s`,
        'a table may be locked by another session: try again in a while, or check Postgres',
      );
    } finally {
      client.release();
    }
  }

  async prune(days: number, now = Date.now()): Promise<number> {
    const result = await this.db.pool.query(`DELETE FROM ${this.questions} WHERE asked_at < $1`, [
      now - days * DAY_MS,
    ]);
    return result.rowCount ?? 0;
  }

  /** The shared pool is the process's (indexes, audit log): it stays open; the answer path's closes. */
  async close(): Promise<void> {
    await this.live.end();
  }
}
