/**
 * The feedback store, gaps grouping, stats and chart, without Discord. The store suite runs on
 * both backends: SQLite here, Postgres in test/feedback.postgres.test.ts (one suite, two
 * backends); what only the SQLite file has (WAL, damaged files, locks) is tested here only.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { formatGaps } from '../src/bot/feedback-format.ts';
import { isUserFacing } from '../src/errors.ts';
import { renderStatsChart } from '../src/feedback/chart.ts';
import { Feedback, type FeedbackLocation, STORAGE_WAIT_MS } from '../src/feedback/feedback.ts';
import { CSV_MAX_BYTES, gapsCsv, groupGaps, groupsWithinCsv } from '../src/feedback/gaps.ts';
import { computeStats } from '../src/feedback/stats.ts';
import {
  DAY_MS,
  type FeedbackStorage,
  type NewQuestion,
  type QuestionWithVector,
} from '../src/feedback/storage.ts';
import { FeedbackStore } from '../src/feedback/store.ts';
import { PostgresFeedbackStore, REPORT_WAIT_MS } from '../src/storage/postgres/feedback.ts';
import { closeDatabases, database as database_ } from '../src/storage/postgres/pool.ts';
import { captureLogs, pngSize, postgresBackend, ROOT, tempDir } from './helpers.ts';

const GUILD = '200000000000000002';
const OTHER_GUILD = '200000000000000099';
const MEMBER = '400000000000000004';

/** One empty feedback database of the backend under test, and what the tests need to look inside. */
interface TestDatabase {
  location: FeedbackLocation;
  open(): Promise<FeedbackStorage>;
  /** Every stored value as text, to check what was written. */
  contents(): Promise<string>;
  votes(): Promise<number>;
}

const onPostgres = process.env.QUARRY_TEST_BACKEND === 'postgres';
const BACKEND = onPostgres ? 'Postgres' : 'SQLite';
const SAME_ON_BOTH = 'no storage involved: run once, in test/feedback.test.ts';

function newSqliteDatabase(): TestDatabase {
  const path = join(tempDir('quarry-feedback-'), 'data', 'feedback.db');
  return {
    location: { feedbackDb: path },
    open: async () => FeedbackStore.open(path),
    async contents() {
      const folder = join(path, '..');
      return readdirSync(folder)
        .map((file) => readFileSync(join(folder, file)).toString('latin1'))
        .join('\n');
    },
    async votes() {
      const db = new Database(path, { readonly: true });
      const { n } = db.prepare('SELECT COUNT(*) AS n FROM votes').get() as { n: number };
      db.close();
      return n;
    },
  };
}

function newPostgresDatabase(): TestDatabase {
  const env = postgresBackend();
  const url = env.DATABASE_URL as string;
  const schema = env.DATABASE_SCHEMA as string;
  const query = async (sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    location: { feedbackDb: '/nonexistent/unused.db', databaseUrl: url, databaseSchema: schema },
    open: () => PostgresFeedbackStore.open({ url, schema, efSearch: 64 }),
    async contents() {
      const tables = await query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema}'`,
      );
      const texts = [];
      for (const { table_name } of tables)
        texts.push(...(await query(`SELECT row_to_json(t)::text AS row FROM "${schema}"."${table_name}" t`)));
      return texts.map((r) => r.row).join('\n');
    },
    async votes() {
      const [row] = await query(`SELECT COUNT(*)::int AS n FROM "${schema}".votes`);
      return row.n;
    },
  };
}

const newDatabase = onPostgres ? newPostgresDatabase : newSqliteDatabase;
if (onPostgres) after(() => closeDatabases());

async function newStore(): Promise<{ store: FeedbackStorage; database: TestDatabase }> {
  const database = newDatabase();
  return { store: await database.open(), database };
}

const QUESTION: NewQuestion = {
  guildId: GUILD,
  channelId: '300000000000000003',
  memberId: MEMBER,
  question: 'What is the population of Russia?',
  answered: true,
  topScore: 0.7,
  passageIds: ['p1', 'p2'],
};

function record(store: FeedbackStorage, question: string, extra: Partial<NewQuestion> = {}) {
  return store.recordQuestion({ ...QUESTION, question, ...extra });
}

describe(`feedback store (${BACKEND})`, () => {
  it('stores a question with a salted member hash, never the raw id', async () => {
    const { store, database } = await newStore();
    const vector = Float32Array.from([0.25, -0.5, 0.125]);
    const id = await record(store, 'What is the population of Russia?', { vector, model: 'm#fp32' });
    const stored = await store.question(GUILD, id);
    assert.ok(stored);
    assert.equal(stored.question, 'What is the population of Russia?');
    assert.deepEqual(stored.passageIds, ['p1', 'p2']);
    assert.equal(stored.topScore, 0.7);
    assert.equal(stored.answered, true);
    assert.notEqual(stored.memberHash, MEMBER);
    assert.match(stored.memberHash, /^[0-9a-f]{64}$/);
    await store.close();
    assert.ok(!(await database.contents()).includes(MEMBER), 'the database holds the raw member id');
    // Another database has another salt: hashes cannot be joined across installations.
    const other = (await newStore()).store;
    assert.notEqual(other.memberHash(MEMBER), stored.memberHash);
    await other.close();
  });

  it('gives /gaps the embedding and its model back as stored', async () => {
    const { store } = await newStore();
    const vector = Float32Array.from([0.25, -0.5, 0.125]);
    await record(store, 'Not answered?', { answered: false, vector, model: 'm#fp32' });
    const [gap] = await store.gapCandidates(GUILD, 0);
    assert.deepEqual(gap?.vector, vector);
    assert.equal(gap?.model, 'm#fp32');
    await store.close();
  });

  it('scopes every read and vote by server', async () => {
    const { store } = await newStore();
    const id = await record(store, 'Where is the Arctic?', { answered: false });
    assert.equal(await store.question(OTHER_GUILD, id), undefined);
    assert.equal(
      await store.vote({ guildId: OTHER_GUILD, questionId: id, memberId: MEMBER, value: -1 }),
      null,
    );
    assert.equal((await store.questionsSince(OTHER_GUILD, 0)).length, 0);
    assert.equal((await store.gapCandidates(OTHER_GUILD, 0)).length, 0);
    assert.equal((await store.questionsSince(GUILD, 0)).length, 1);
    assert.equal((await store.question(GUILD, id))?.down, 0, "the other server's vote was not stored");
    await store.close();
  });

  it('one vote per member per answer; a new vote replaces the old one', async () => {
    const { store } = await newStore();
    const id = await record(store, 'Q?');
    const vote = (value: 1 | -1, memberId = MEMBER) =>
      store.vote({ guildId: GUILD, questionId: id, memberId, value });
    assert.deepEqual(await vote(1), { previous: 0 });
    assert.deepEqual(await vote(1), { previous: 1 });
    assert.deepEqual(await vote(-1), { previous: 1 });
    assert.deepEqual(await vote(-1, '400000000000000777'), { previous: 0 });
    const q = await store.question(GUILD, id);
    assert.equal(q?.up, 0);
    assert.equal(q?.down, 2);
    assert.equal(
      await store.vote({ guildId: GUILD, questionId: id + 1000, memberId: MEMBER, value: 1 }),
      null,
    );
    await store.close();
  });

  it('counts every vote of a burst from many members at once', async () => {
    const { store } = await newStore();
    const id = await record(store, 'Busy?');
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        store.vote({ guildId: GUILD, questionId: id, memberId: `member-${i}`, value: i % 3 ? 1 : -1 }),
      ),
    );
    const q = await store.question(GUILD, id);
    assert.deepEqual([q?.up, q?.down], [40, 20]);
    await store.close();
  });

  it('/stats and /gaps read the same counts: questions since a time, gaps = not answered or 👎', async () => {
    const { store } = await newStore();
    const now = Date.now();
    const old = await record(store, 'before the window', { answered: false, askedAt: now - 10 * DAY_MS });
    const answered = await record(store, 'answered', { askedAt: now - 2 * DAY_MS });
    const disliked = await record(store, 'disliked', { askedAt: now - DAY_MS });
    const unanswered = await record(store, 'unanswered', { answered: false, topScore: null, askedAt: now });
    await store.vote({ guildId: GUILD, questionId: answered, memberId: MEMBER, value: 1 });
    await store.vote({ guildId: GUILD, questionId: disliked, memberId: MEMBER, value: -1 });
    await store.vote({ guildId: GUILD, questionId: disliked, memberId: 'another', value: 1 });
    const since = now - 5 * DAY_MS;
    const recent = await store.questionsSince(GUILD, since);
    assert.deepEqual(
      recent.map((q) => [q.id, q.up, q.down]),
      [
        [answered, 1, 0],
        [disliked, 1, 1],
        [unanswered, 0, 0],
      ],
    );
    assert.equal(recent[2]?.topScore, null);
    assert.deepEqual(
      (await store.gapCandidates(GUILD, since)).map((q) => q.id),
      [disliked, unanswered],
    );
    assert.ok((await store.gapCandidates(GUILD, 0)).some((q) => q.id === old));
    await store.close();
  });

  it('prunes questions and their votes older than the retention', async () => {
    const { store, database } = await newStore();
    const now = Date.now();
    const old = await record(store, 'old', { askedAt: now - 91 * DAY_MS });
    await store.vote({ guildId: GUILD, questionId: old, memberId: MEMBER, value: 1 });
    await record(store, 'new', { askedAt: now - 89 * DAY_MS });
    assert.equal(await store.prune(90, now), 1);
    assert.deepEqual(
      (await store.questionsSince(GUILD, 0)).map((q) => q.question),
      ['new'],
    );
    assert.equal(await database.votes(), 0);
    await store.close();
  });

  it('the bot prunes at start-up (then daily) what is older than RETENTION_DAYS', async () => {
    const { store, database } = await newStore();
    await record(store, 'too old', { askedAt: Date.now() - 31 * DAY_MS });
    await record(store, 'recent', { askedAt: Date.now() - 29 * DAY_MS });
    await store.close();
    const feedback = await Feedback.open(database.location);
    assert.equal(feedback.enabled, true);
    await feedback.startRetention(30);
    assert.deepEqual(
      (await feedback.reports().questionsSince(GUILD, 0)).map((q) => q.question),
      ['recent'],
    );
    await feedback.close();
  });

  it('keeps stored data across a reopen (migrations run once, same salt)', async () => {
    const { store, database } = await newStore();
    const id = await record(store, 'persisted?');
    const hash = store.memberHash(MEMBER);
    await store.close();
    const [again, alongside] = await Promise.all([database.open(), database.open()]);
    assert.equal((await again.question(GUILD, id))?.question, 'persisted?');
    assert.equal(again.memberHash(MEMBER), hash, 'same salt after a restart');
    assert.equal(alongside.memberHash(MEMBER), hash, 'same salt for a process opening at the same time');
    await again.close();
    await alongside.close();
  });
});

describe('feedback store: the SQLite file', { skip: onPostgres && 'SQLite only' }, () => {
  function newFile(): { store: FeedbackStore; path: string } {
    const path = join(tempDir('quarry-feedback-'), 'data', 'feedback.db');
    return { store: FeedbackStore.open(path), path };
  }

  it('is in WAL mode at schema version 2', () => {
    const { store } = newFile();
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    // 1: questions and votes; 2: the sources audit log (src/feedback/audit.ts).
    assert.equal(store.db.pragma('user_version', { simple: true }), 2);
    store.close();
  });

  it('checkpoints the WAL into the database on a background thread', async () => {
    const { store, path } = newFile();
    const vector = new Float32Array(384).fill(0.05);
    for (let i = 0; i < 300; i++) await record(store, `q${i}`, { vector });
    const before = statSync(path).size;
    assert.ok(before < 100_000, `${before} bytes: the rows are still in the WAL only`);
    const deadline = Date.now() + 5000;
    while (statSync(path).size === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(statSync(path).size > 300 * 1536, `${statSync(path).size} bytes after the checkpoint`);
    store.close();
  });

  it('moves a damaged file aside with a warning and starts a new database', async () => {
    const dir = tempDir('quarry-feedback-');
    const path = join(dir, 'feedback.db');
    writeFileSync(path, 'this is not a database, just some garbage bytes '.repeat(200));
    const { result: store, lines } = await captureLogs(async () => FeedbackStore.open(path));
    assert.ok(
      lines.some((l) => /feedback: .*damaged.*moved it to .*corrupt-/.test(l)),
      lines.join('\n'),
    );
    const aside = readdirSync(dir).find((f) => f.startsWith('feedback.db.corrupt-'));
    assert.ok(aside, 'the damaged file is kept');
    assert.match(readFileSync(join(dir, aside)).toString(), /garbage bytes/);
    assert.ok((await record(store, 'after recovery')) > 0);
    store.close();
  });

  it('a database that cannot be opened leaves feedback off, logged once with what to fix', async () => {
    const dir = tempDir('quarry-feedback-');
    const path = join(dir, 'feedback.db');
    const store = FeedbackStore.open(path);
    store.close();
    // A second connection holding the write lock: "database is locked" for ours.
    const args = QUESTION;
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    const { lines } = await captureLogs(async () => {
      const feedback = await Feedback.open({ feedbackDb: path });
      assert.equal(await feedback.recordQuestion(args), undefined);
      assert.equal(await feedback.recordQuestion(args), undefined);
      await feedback.close();
    });
    holder.exec('ROLLBACK');
    const errors = lines.filter((l) => l.includes('feedback: could not'));
    // Locked after a successful open: the write fails, is logged once, and later writes recover.
    const feedback = await Feedback.open({ feedbackDb: path });
    assert.equal(feedback.enabled, true);
    holder.exec('BEGIN IMMEDIATE');
    const later = await captureLogs(async () => {
      assert.equal(await feedback.recordQuestion(args), undefined);
      assert.equal(await feedback.recordQuestion(args), undefined);
      holder.exec('ROLLBACK');
      assert.ok(((await feedback.recordQuestion(args)) ?? 0) > 0, 'writes again once the lock is gone');
    });
    holder.close();
    await feedback.close();
    assert.equal(
      later.lines.filter((l) => /could not write to .*SQLITE_BUSY/.test(l)).length,
      1,
      later.lines.join('\n'),
    );
    assert.equal(errors.length, 1, lines.join('\n'));
    assert.match(errors[0] ?? '', /SQLITE_BUSY.*another process holds the database/);
  });

  it('a read-only folder: open fails, feedback is off, with the fix in the log', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('root ignores file permissions');
      return;
    }
    const dir = tempDir('quarry-feedback-');
    chmodSync(dir, 0o500);
    const { lines } = await captureLogs(async () => {
      const feedback = await Feedback.open({ feedbackDb: join(dir, 'sub', 'feedback.db') });
      assert.equal(feedback.enabled, false);
    });
    chmodSync(dir, 0o700);
    assert.ok(
      lines.some((l) => /feedback: could not open/.test(l)),
      lines.join('\n'),
    );
  });

  it('an unreachable Postgres leaves feedback off, logged once with the fix and without the password', async () => {
    const { result: feedback, lines } = await captureLogs(() =>
      Feedback.open({
        feedbackDb: join(tempDir('quarry-feedback-'), 'unused.db'),
        databaseUrl: 'postgres://quarry:s3cret-pw@127.0.0.1:1/quarry',
        databaseSchema: 'quarry',
      }),
    );
    assert.equal(feedback.enabled, false);
    assert.equal(await feedback.recordQuestion({ ...QUESTION }), undefined);
    const errors = lines.filter((l) => l.includes('feedback: could not'));
    assert.equal(errors.length, 1, lines.join('\n'));
    assert.match(
      errors[0] ?? '',
      /could not open Postgres schema quarry \(postgres: could not open the DATABASE_URL database \(ECONNREFUSED.*check that Postgres runs/,
    );
    assert.ok(!lines.join('\n').includes('s3cret-pw'), 'the password was logged');
    assert.throws(
      () => feedback.reports(),
      (e) => isUserFacing(e) && /Postgres schema quarry/.test(e.message),
    );
  });

  it('shards starting at once on one file: every process opens it, with the same salt', async () => {
    // SHARDS=N without DATABASE_URL: N processes open the same new FEEDBACK_DB together.
    const path = join(tempDir('quarry-feedback-'), 'data', 'feedback.db');
    const at = String(Date.now() + 4000);
    const outputs = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', join(ROOT, 'test', 'fixtures', 'open-feedback.ts'), path, at],
          { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
        );
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
        });
        await new Promise((resolve) => child.once('exit', resolve));
        return output.trim();
      }),
    );
    const hash = FeedbackStore.open(path);
    const expected = `opened ${hash.memberHash(MEMBER)}`;
    hash.close();
    assert.deepEqual(outputs, Array(4).fill(expected));
  });

  it('opening waits out another process holding the write lock for a second (a shard migrating)', async () => {
    // Deterministic form of the race above: with the run-time busy timeout (200 ms) at opening, a
    // loaded CI machine saw one of four shards fail with "database is locked".
    await assertOpensBehind(`db.pragma('journal_mode = WAL'); db.exec('BEGIN IMMEDIATE');`);
  });

  it('opening retries when SQLite refuses at once instead of waiting (a shard mid-write on the new file)', async () => {
    // A connection that has read the file and wants to write it while another holds the write
    // lock is told "database is locked" without the busy timeout (waiting could deadlock). CI saw
    // two of four shards fail that way within milliseconds; the old code failed here in ~4 ms.
    await assertOpensBehind(
      `db.exec('CREATE TABLE t (x)'); db.exec('BEGIN'); db.exec('INSERT INTO t VALUES (1)');`,
    );
  });

  it('kill -9 during a burst of votes loses no committed vote', async () => {
    const { store, path } = newFile();
    const id = store.recordQuestion({ ...QUESTION, question: 'burst' });
    store.close();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'test', 'fixtures', 'vote-burst.ts'), path, String(id)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let committed = 0;
    let buffer = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('committed ')) committed = Number(line.slice(10));
        if (committed >= 300 && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const reopened = FeedbackStore.open(path);
    const votes = (reopened.db.prepare('SELECT COUNT(*) AS n FROM votes').get() as { n: number }).n;
    reopened.close();
    assert.ok(committed >= 300);
    assert.ok(votes >= committed, `${votes} votes on disk, ${committed} reported committed`);
  });
});

describe('feedback store: Postgres', {
  skip: !onPostgres && 'Postgres only: test/feedback.postgres.test.ts',
}, () => {
  it('a locked table: /ask and clicks go on without feedback after 1 s, logged once; writes resume', async () => {
    const database = newDatabase();
    const feedback = await Feedback.open(database.location);
    const id = await feedback.recordQuestion({ ...QUESTION, question: 'before the lock' });
    assert.ok(id);
    const holder = new pg.Client({ connectionString: database.location.databaseUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE "${database.location.databaseSchema}".questions IN ACCESS EXCLUSIVE MODE`);
    const { lines } = await captureLogs(async () => {
      const started = performance.now();
      assert.equal(await feedback.recordQuestion(QUESTION), undefined);
      // Null, not undefined: a click is told storage is unavailable, not that its answer expired.
      assert.equal(await feedback.question(GUILD, id), null);
      assert.equal(await feedback.recordQuestion(QUESTION), undefined);
      const waited = performance.now() - started;
      assert.ok(waited < 3 * STORAGE_WAIT_MS + 1500, `waited ${Math.round(waited)} ms`);
    });
    await holder.query('ROLLBACK');
    await holder.end();
    const writes = lines.filter((l) =>
      /could not write to Postgres schema .*FEEDBACK_TIMEOUT.*did not answer in time/.test(l),
    );
    assert.equal(writes.length, 1, lines.join('\n'));
    assert.ok(((await feedback.recordQuestion(QUESTION)) ?? 0) > id, 'writes again once the lock is gone');
    assert.equal(await feedback.question(GUILD, id + 1000), undefined, 'not stored');
    await feedback.close();
  });

  it('/stats and /gaps under a lock: a user-facing error after REPORT_WAIT_MS, not a reply that never comes', async () => {
    const database = newDatabase();
    const feedback = await Feedback.open(database.location);
    await feedback.recordQuestion({ ...QUESTION, question: 'before the lock', answered: false });
    const holder = new pg.Client({ connectionString: database.location.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(
        `LOCK TABLE "${database.location.databaseSchema}".questions IN ACCESS EXCLUSIVE MODE`,
      );
      for (const report of [
        () => feedback.reports().questionsSince(GUILD, 0),
        () => feedback.reports().gapCandidates(GUILD, 0),
      ]) {
        const outcome = await Promise.race([
          Promise.resolve(report()).then(
            () => 'answered',
            (e) => e,
          ),
          new Promise((resolve) => setTimeout(resolve, REPORT_WAIT_MS + 3000, 'still waiting')),
        ]);
        assert.ok(isUserFacing(outcome), String(outcome));
        assert.match(outcome.message, /feedback: the database did not answer within 10 s/);
      }
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    assert.equal(
      (await feedback.reports().gapCandidates(GUILD, 0)).length,
      1,
      'answers once the lock is gone',
    );
    await feedback.close();
  });

  it('writes given up after 1 s do not hold the connections the indexes share, nor land later', async () => {
    const database = newDatabase();
    const { databaseUrl: url, databaseSchema: schema } = database.location as Required<FeedbackLocation>;
    const feedback = await Feedback.open(database.location);
    const id = await feedback.recordQuestion({ ...QUESTION, question: 'before the lock' });
    assert.ok(id);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${schema}".questions IN ACCESS EXCLUSIVE MODE`);
      // More /asks than the pool has connections, each given up after 1 s.
      const { result: given, lines } = await captureLogs(() =>
        Promise.all(
          Array.from({ length: 6 }, () => feedback.recordQuestion({ ...QUESTION, question: 'locked' })),
        ),
      );
      assert.deepEqual(given, Array(6).fill(undefined));
      // Each line says what to check, whichever timeout came first (the wait, or a free connection).
      assert.ok(lines.length > 0 && lines.every((l) => /did not answer in time/.test(l)), lines.join('\n'));
      // A search of a Postgres-served index uses the process's pool: it must still get a connection.
      const indexes = await database_({ url, schema, efSearch: 64 });
      const answered = await Promise.race([
        indexes.searchPool.query('SELECT 1').then(() => 'answered'),
        new Promise((resolve) => setTimeout(resolve, 2 * STORAGE_WAIT_MS, 'no connection')),
      ]);
      assert.equal(answered, 'answered', 'the pool is held by feedback writes that were given up');
      // The lock outlasts the wait: what was given up must not be written when it goes.
      await new Promise((resolve) => setTimeout(resolve, STORAGE_WAIT_MS));
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    // Those answers went without buttons: their questions are not stored after all.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stored = await feedback.reports().questionsSince(GUILD, 0);
    assert.deepEqual(
      stored.map((q) => q.question),
      ['before the lock'],
    );
    await feedback.close();
  });
});

function gap(
  question: string,
  vector: number[] | null,
  extra: Partial<QuestionWithVector> = {},
): QuestionWithVector {
  const v = vector ? Float32Array.from(vector) : null;
  if (v) {
    const norm = Math.hypot(...v);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
  }
  return {
    id: 0,
    guildId: GUILD,
    channelId: 'c',
    memberHash: 'h',
    question,
    answered: false,
    topScore: 0.1,
    passageIds: [],
    askedAt: 1000,
    up: 0,
    down: 0,
    vector: v,
    model: 'm',
    ...extra,
  };
}

describe('gaps', { skip: onPostgres && SAME_ON_BOTH }, () => {
  it('groups exact and near duplicates, ranked by count, the common wording first', async () => {
    const groups = await groupGaps([
      gap('What is the population of Russia?', [1, 0, 0]),
      gap('what is the population of russia', [1, 0, 0]),
      gap('What is the population of Russia?', [1, 0, 0]),
      gap('How many people live in Russia?', [0.95, 0.2, 0]),
      gap('Who won the 1998 World Cup?', [0, 0, 1]),
      gap('What is the population of Russia?', null),
      gap('Is tea tasty?', [0, 1, 0], { answered: true, down: 2 }),
    ]);
    assert.deepEqual(
      groups.map((g) => [g.count, g.question]),
      [
        [5, 'What is the population of Russia?'],
        [1, 'Who won the 1998 World Cup?'],
        [1, 'Is tea tasty?'],
      ],
    );
    assert.equal(groups[2]?.downVotes, 2);
    assert.equal(groups[2]?.notAnswered, 0);
  });

  it('keeps dissimilar questions apart', async () => {
    const groups = await groupGaps([gap('a', [1, 0]), gap('b', [0, 1]), gap('c', [0.6, 0.8])]);
    assert.equal(groups.length, 3);
  });

  it('the /gaps reply keeps Discord limits for any number of groups and says how many it left out', async () => {
    const many = Array.from({ length: 500 }, (_, i) =>
      gap(`${'Why @everyone **bold** '.repeat(20)} ${i}?`, null),
    );
    const embed = formatGaps(await groupGaps(many), 30, 'quarry-gaps.csv');
    assert.ok((embed.description ?? '').length <= 4096);
    assert.match(embed.description ?? '', /… and \d+ more groups in the CSV$/);
    assert.ok(!(embed.description ?? '').includes('@everyone'), 'mentions broken');
    assert.match(embed.footer?.text ?? '', /^500 questions in 500 groups/);
  });

  it("the /gaps CSV stays within Discord's 10 MiB file limit, and the reply says what it left out", () => {
    // 42,852 gap questions of 90 characters (the 100,000-stored benchmark's count): 10.2 MiB whole.
    const wording =
      'How many people live in the largest city of the region, and how has it changed since 1990?';
    const groups = Array.from({ length: 4286 }, (_, rank) => {
      const members = Array.from({ length: 10 }, () =>
        gap(wording.slice(0, 90), null, { channelId: '300000000000000003' }),
      );
      return {
        question: `${rank} ${wording}`.slice(0, 90),
        count: 10,
        notAnswered: 10,
        downVotes: 0,
        lastAskedAt: 1000,
        members,
      };
    });
    const DISCORD_FILE_LIMIT = 10 * 1024 * 1024;
    assert.ok(
      Buffer.byteLength(gapsCsv(groups)) > DISCORD_FILE_LIMIT,
      'the premise: the whole CSV is too big',
    );
    const kept = groupsWithinCsv(groups);
    const csv = gapsCsv(kept);
    assert.ok(Buffer.byteLength(csv) <= CSV_MAX_BYTES && CSV_MAX_BYTES < DISCORD_FILE_LIMIT);
    assert.ok(kept.length > 3000 && kept.length < groups.length, `${kept.length} groups kept`);
    assert.deepEqual(kept, groups.slice(0, kept.length), 'the leading groups, in rank order');
    assert.ok(Buffer.byteLength(gapsCsv(groups.slice(0, kept.length + 1))) > CSV_MAX_BYTES, 'as many as fit');
    assert.equal(csv.trim().split('\n').length, kept.length * 10 + 1);
    const footer = formatGaps(groups, 90, 'quarry-gaps.csv', kept.length * 10).footer?.text ?? '';
    assert.match(
      footer,
      new RegExp(
        `^42860 questions .* quarry-gaps.csv holds the first ${kept.length * 10} \\(Discord's file size limit\\)`,
      ),
    );
    assert.deepEqual(groupsWithinCsv(groups.slice(0, 5)), groups.slice(0, 5), 'a small report is whole');
  });

  it('writes every question to CSV, quoted, with formula-looking cells defused', async () => {
    const csv = gapsCsv(
      await groupGaps([gap('Is "this", a question?', [1, 0]), gap('=HYPERLINK("x")', [0, 1])]),
    );
    const lines = csv.trim().split('\n');
    assert.equal(
      lines[0],
      'group,group_question,group_count,question,answered,top_score,helpful,not_helpful,asked_at,channel_id',
    );
    assert.equal(lines.length, 3);
    assert.ok(csv.includes('"Is ""this"", a question?"'));
    assert.ok(csv.includes(`"'=HYPERLINK(""x"")"`), csv);
  });
});

describe('stats and chart', { skip: onPostgres && SAME_ON_BOTH }, () => {
  it('counts asked, answered, votes per day and top questions within the window', () => {
    const now = Date.UTC(2026, 10, 27, 12);
    const q = (question: string, daysAgo: number, answered: boolean, up = 0, down = 0) => ({
      ...gap(question, null),
      answered,
      up,
      down,
      askedAt: now - daysAgo * DAY_MS,
    });
    const stats = computeStats(
      [q('A?', 0, true, 2, 0), q('a', 0, false, 0, 1), q('B?', 1, true, 1, 0), q('old', 9, true)],
      7,
      now,
    );
    assert.equal(stats.asked, 3);
    assert.equal(stats.answered, 2);
    assert.equal(stats.answeredRate?.toFixed(3), '0.667');
    assert.equal(stats.helpfulRate, 0.75);
    assert.deepEqual(stats.top[0], { question: 'A?', count: 2 });
    assert.equal(stats.daily.length, 7);
    assert.deepEqual(stats.daily.at(-1), {
      day: Date.UTC(2026, 10, 27),
      asked: 2,
      answered: 1,
      up: 2,
      down: 1,
    });
  });

  it('renders a PNG of sensible size, with text drawn', () => {
    const now = Date.now();
    const stats = computeStats([{ ...gap('x', null), askedAt: now, up: 1 }], 14, now);
    const png = renderStatsChart(stats.daily, 'Quarry — last 14 days');
    const { width, height } = pngSize(png);
    assert.deepEqual({ width, height }, { width: 900, height: 520 });
    assert.ok(png.length > 5000, `${png.length} bytes`);
    if (existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf')) {
      // With text the image holds many more distinct colours (anti-aliased glyphs) and bytes.
      const withoutTitle = renderStatsChart(stats.daily, '');
      assert.ok(png.length > withoutTitle.length, 'the title is drawn');
    }
  });
});

/**
 * Another process takes the write lock on a new file with `lock` (JavaScript run with `db` open),
 * holds it for a second, then commits; FeedbackStore.open must wait it out and migrate.
 */
async function assertOpensBehind(lock: string): Promise<void> {
  const path = join(tempDir('quarry-feedback-'), 'feedback.db');
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const D = require('better-sqlite3'); const db = new D(process.argv[1]);
       ${lock} console.log('locked');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
       db.exec('COMMIT'); db.close();`,
      path,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
  const store = FeedbackStore.open(path);
  try {
    assert.equal(store.memberHash(MEMBER).length, 64, 'opened and migrated once the lock went');
  } finally {
    store.close();
    await new Promise((resolve) => holder.once('exit', resolve));
  }
}
