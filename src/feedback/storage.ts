/**
 * What the bot stores for feedback — every question asked and every 👍/👎 — and the one interface
 * both backends implement: the SQLite file (store.ts, the default) and Postgres
 * (src/storage/postgres/feedback.ts, with DATABASE_URL, shared by every shard and machine so
 * /stats and /gaps count them all). better-sqlite3 answers synchronously and pg does not, so
 * every method may return a promise and callers always await.
 */
import { createHmac } from 'node:crypto';

export const DAY_MS = 86_400_000;

/**
 * The longest an answer or a button click waits for feedback storage before going on without it:
 * better-sqlite3 gives up on a lock after its 200 ms busy timeout, but a Postgres query waits as
 * long as a lock is held or an unreachable server keeps the connection open, and a click must be
 * acknowledged within Discord's 3 s (a click reads the question, then writes the vote).
 */
export const STORAGE_WAIT_MS = 1000;

export type Vote = 1 | -1;

export type MaybePromise<T> = T | Promise<T>;

export interface NewQuestion {
  guildId: string;
  channelId: string;
  /** The raw Discord user id: hashed before it is stored. */
  memberId: string;
  question: string;
  answered: boolean;
  topScore: number | null;
  passageIds: string[];
  /** The question's embedding, so /gaps can group near duplicates without the model. */
  vector?: Float32Array;
  model?: string;
  askedAt?: number;
}

export interface StoredQuestion {
  id: number;
  guildId: string;
  channelId: string;
  memberHash: string;
  question: string;
  answered: boolean;
  topScore: number | null;
  passageIds: string[];
  askedAt: number;
  up: number;
  down: number;
}

export interface QuestionWithVector extends StoredQuestion {
  vector: Float32Array | null;
  model: string | null;
}

export interface DayCounts {
  /** Start of the UTC day, ms since the epoch. */
  day: number;
  asked: number;
  answered: number;
  up: number;
  down: number;
}

export interface NewVote {
  guildId: string;
  questionId: number;
  memberId: string;
  value: Vote;
  at?: number;
}

/**
 * Every row carries its server id and every read and vote is scoped by it. Members are stored
 * only as an HMAC of their id under a random salt kept in the database itself.
 */
export interface FeedbackStorage {
  /** Where the data lives, for log lines: a file path, or "Postgres schema …" (never the URL). */
  readonly location: string;
  /** A member id as stored: HMAC-SHA256 under this database's salt. */
  memberHash(memberId: string): string;
  /** The new question's id (it names the question in the buttons' custom ids). */
  recordQuestion(record: NewQuestion): MaybePromise<number>;
  /**
   * One vote per member per answer; voting again replaces the earlier vote. Returns the vote it
   * replaced (0 if none), or null when the question does not exist in this server.
   */
  vote(vote: NewVote): MaybePromise<{ previous: Vote | 0 } | null>;
  question(guildId: string, id: number): MaybePromise<StoredQuestion | undefined>;
  /** Questions since `since` that were not answered or got at least one 👎, with embeddings. */
  gapCandidates(guildId: string, since: number): MaybePromise<QuestionWithVector[]>;
  /** Every question since `since`, oldest first, with its vote counts. */
  questionsSince(guildId: string, since: number): MaybePromise<StoredQuestion[]>;
  /** Deletes questions (and their votes) asked before now − `days`; returns how many. */
  prune(days: number, now?: number): MaybePromise<number>;
  close(): MaybePromise<void>;
}

/** A question row as either database returns it (Postgres: bigint as string, boolean, counts as strings). */
export interface QuestionRow {
  id: number | string;
  guild_id: string;
  channel_id: string;
  member_hash: string;
  question: string;
  answered: number | boolean;
  top_score: number | null;
  /** JSON array of passage ids. */
  passage_ids: string;
  asked_at: number | string;
  up: number | string;
  down: number | string;
  embedding?: Buffer | null;
  model?: string | null;
}

export function toQuestion(row: QuestionRow): StoredQuestion {
  return {
    id: Number(row.id),
    guildId: row.guild_id,
    channelId: row.channel_id,
    memberHash: row.member_hash,
    question: row.question,
    answered: row.answered === 1 || row.answered === true,
    topScore: row.top_score,
    passageIds: JSON.parse(row.passage_ids) as string[],
    askedAt: Number(row.asked_at),
    up: Number(row.up),
    down: Number(row.down),
  };
}

export function toQuestionWithVector(row: QuestionRow): QuestionWithVector {
  return { ...toQuestion(row), vector: toVector(row.embedding), model: row.model ?? null };
}

/** A vector as both databases store it: its float32 bytes. */
export function vectorBytes(vector: Float32Array | undefined): Buffer | null {
  return vector ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength) : null;
}

function toVector(blob: Buffer | null | undefined): Float32Array | null {
  if (!blob || blob.byteLength % 4 !== 0) return null;
  // Copy: the Buffer may be a view into a shared pool with an unaligned offset.
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}

/** HMAC-SHA256 of a member id under a database's salt: what both databases store for a member. */
export function hashMember(salt: string, memberId: string): string {
  return createHmac('sha256', salt).update(memberId).digest('hex');
}
