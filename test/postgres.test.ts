/**
 * What only the Postgres backend does: several processes serve the same indexes, a reload in
 * one is seen by the others without a restart, servers stay apart, a server's search returns k
 * rows despite sharing one HNSW index, a process killed mid-publish loses nothing, and a search
 * under a locked table is given up in bounded time while a publish waits the lock out.
 * Needs QUARRY_TEST_DATABASE_URL (.ci/run starts a throwaway cluster); skipped without it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import type { CoreConfig } from '../src/config.ts';
import { isUserFacing } from '../src/errors.ts';
import { FeedbackStore } from '../src/feedback/store.ts';
import { Quarry } from '../src/quarry.ts';
import { KnowledgeBases } from '../src/servers/knowledge-bases.ts';
import { PostgresAuditLog } from '../src/storage/postgres/audit.ts';
import { PostgresFeedbackStore } from '../src/storage/postgres/feedback.ts';
import { migrate } from '../src/storage/postgres/migrations.ts';
import { closeDatabases, database as openDatabase, SEARCH_WAIT_MS } from '../src/storage/postgres/pool.ts';
import { captureLogs, ROOT, tempDir, testConfig } from './helpers.ts';

const url = process.env.QUARRY_TEST_DATABASE_URL;
const skip = url ? false : 'QUARRY_TEST_DATABASE_URL is not set (see .ci/run)';
const A = '111111111111111111';
const B = '222222222222222222';
let schemas = 0;

/** Two "processes" (their own folders and caches) on one database schema. */
function twoProcesses(): [CoreConfig, CoreConfig] {
  const schema = `pgtest_${process.pid}_${schemas++}`;
  const first = testConfig({ DATABASE_URL: url ?? '', DATABASE_SCHEMA: schema });
  const second = testConfig({
    DATABASE_URL: url ?? '',
    DATABASE_SCHEMA: schema,
    SOURCES_DIR: tempDir('quarry-empty-sources-'),
    MODEL_CACHE_DIR: first.modelCacheDir,
  });
  return [first, second];
}

/** Server A's puffins source, reloaded by the first of two processes; the second has no files. */
async function puffinsInA() {
  const [first, second] = twoProcesses();
  const bases = new KnowledgeBases(first);
  const sources = join(first.serversDir, A, 'sources');
  mkdirSync(sources, { recursive: true });
  writeFileSync(
    join(sources, 'puffins.txt'),
    'The lighthouse keeper feeds seventeen puffins every morning.\n',
  );
  await bases.forServer(A).reload();
  return { bases, second, question: 'How many puffins does the lighthouse keeper feed?' };
}

after(() => closeDatabases());

describe('Postgres backend', { skip }, () => {
  it('another process answers from the shared index and sees a reload without a restart', async () => {
    const [first, second] = twoProcesses();
    const one = new Quarry(first);
    const two = new Quarry(second);
    assert.equal((await one.ask('How many time zones does Russia have?')).answered, true);
    // The second process has no source file at all: its answer can only come from Postgres.
    const before = await two.ask('How many time zones does Russia have?');
    assert.match(before.results[0]?.text ?? '', /11 time zones/);
    const status = await two.status();
    assert.equal(status.sources.length, 1);
    assert.ok(status.bytes > 0, '/sources shows the index size in the database');
    const question = 'How many puffins does the lighthouse keeper feed?';
    assert.equal((await two.ask(question)).answered, false);

    writeFileSync(
      join(first.sourcesDir, 'puffins.txt'),
      'The lighthouse keeper feeds seventeen puffins every morning.\n',
    );
    await one.reload();
    const afterReload = await two.ask(question);
    assert.match(afterReload.results[0]?.text ?? '', /seventeen puffins/);
  });

  it('a source added in server A is answered in A by another process, never in B', async () => {
    const { question, second } = await puffinsInA();
    const shardOne = new KnowledgeBases(second);
    const inA = await shardOne.ask(A, question);
    assert.match(inA.results[0]?.text ?? '', /seventeen puffins/);
    assert.equal(inA.results[0]?.scope, 'server');
    const inB = await shardOne.ask(B, question, { minRelevance: 0 });
    for (const r of inB.results) assert.doesNotMatch(r.text, /puffins/);
  });

  it("/reload on a machine without the server's source files is refused; the index keeps serving", async () => {
    const { question, bases: machineOne, second } = await puffinsInA();
    const machineTwo = new KnowledgeBases(second);
    // Before: machine two found no files, published "no sources" and dropped A's index everywhere.
    await assert.rejects(
      machineTwo.forServer(A).reload(),
      (e) => isUserFacing(e) && e.code === 'reload.sources-elsewhere',
    );
    for (const machine of [machineOne, new KnowledgeBases(second)]) {
      assert.match((await machine.ask(A, question)).results[0]?.text ?? '', /seventeen puffins/);
    }
    // A server with nothing anywhere still reloads to "nothing", as before.
    assert.equal((await machineTwo.forServer(B).reload()).passages, 0);
  });

  it("/reload or /sources remove on a machine with only some of the server's files is refused; nothing is dropped", async () => {
    const { question, bases: machineOne, second } = await puffinsInA();
    const machineTwo = new KnowledgeBases(second);
    // After a reshard: A's next source was added through machine two (the puffins stay served).
    const gannets = join(second.serversDir, A, 'sources');
    mkdirSync(gannets, { recursive: true });
    writeFileSync(join(gannets, 'gannets.txt'), 'The cliff holds nine hundred gannet nests.\n');
    await machineTwo.forServer(A).reload({ only: 'gannets.txt' });
    // Before: each published an index of machine two's files alone, dropping the puffins everywhere.
    await assert.rejects(
      machineTwo.forServer(A).reload(),
      (e) => isUserFacing(e) && e.code === 'reload.sources-elsewhere' && /puffins\.txt/.test(e.message),
    );
    await assert.rejects(
      machineTwo.forServer(A).remove('gannets.txt'),
      (e) => isUserFacing(e) && e.code === 'reload.sources-elsewhere',
    );
    for (const machine of [machineOne, new KnowledgeBases(second)]) {
      assert.match((await machine.ask(A, question)).results[0]?.text ?? '', /seventeen puffins/);
      const gannetsAnswer = await machine.ask(A, 'How many gannet nests are on the cliff?');
      assert.match(gannetsAnswer.results[0]?.text ?? '', /nine hundred gannet/);
    }
    // Re-reading one source keeps the others: still allowed where its file is.
    assert.equal((await machineOne.forServer(A).reload({ only: 'puffins.txt' })).unchanged > 0, true);
  });

  it('the sources audit log is shared: an entry recorded by one process is listed by another, per server', async () => {
    const [first, second] = twoProcesses();
    const one = new PostgresAuditLog(first);
    const two = new PostgresAuditLog(second);
    await one.record({
      guildId: A,
      actorId: '400000000000000301',
      action: 'add',
      source: 'puffins.txt',
      outcome: 'ok',
      detail: '1 passage',
    });
    await one.record({
      guildId: B,
      actorId: '400000000000000302',
      action: 'reload',
      source: null,
      outcome: 'failed',
      detail: 'x'.repeat(600),
    });
    const inA = await two.recent(A);
    assert.equal(inA.length, 1);
    assert.equal(inA[0]?.source, 'puffins.txt');
    assert.equal(inA[0]?.actorId, '400000000000000301');
    const inB = await two.recent(B);
    assert.equal(inB[0]?.detail?.length, 500);
  });

  it('processes starting at once on an empty database migrate it once: the extension, the schema and every table', async () => {
    // A database of its own, without even the vector extension, as on a first deployment.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const name = `quarry_migrate_${process.pid}`;
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    const empty = new URL(url ?? '');
    empty.pathname = `/${name}`;
    // Four connections starting together, as four shard processes would (each its own pool).
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: empty.href, max: 1 }));
    try {
      const results = await Promise.allSettled(
        pools.map((pool) =>
          migrate({ pool, searchPool: pool, schema: 'quarry', table: (t) => `"quarry"."${t}"` }),
        ),
      );
      assert.deepEqual(
        results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'migrated')),
        ['migrated', 'migrated', 'migrated', 'migrated'],
      );
      const check = pools[0];
      assert.ok(check);
      const { rows } = await check.query<{ version: number }>(
        'SELECT version FROM quarry.migrations ORDER BY version',
      );
      assert.deepEqual(
        rows.map((r) => r.version),
        [1, 2, 3, 4],
      );
      const tables = await check.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'quarry'",
      );
      assert.equal(Number(tables.rows[0]?.n), 7);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    }
  });

  it('a role with only the schema its owner gave it starts; a role that may not enable pgvector or create the schema is told what to run', async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const name = `quarry_roles_${process.pid}`;
    const role = `quarry_app_${process.pid}`;
    const as = (database: string) => {
      const address = new URL(url ?? '');
      address.username = role;
      address.password = 'app-password';
      address.pathname = `/${database}`;
      return address.href;
    };
    const inDatabase = async (database: string, ...statements: string[]) => {
      const address = new URL(url ?? '');
      address.pathname = `/${database}`;
      const owner = new pg.Client({ connectionString: address.href });
      await owner.connect();
      for (const statement of statements) await owner.query(statement);
      await owner.end();
    };
    const open = (database: string) =>
      openDatabase({ url: as(database), schema: 'quarry', efSearch: 64 }).then(
        () => 'opened',
        (error: unknown) => (isUserFacing(error) ? error.message : `not user-facing: ${String(error)}`),
      );
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'app-password'`);
      // Prepared by the database owner: pgvector enabled, a schema owned by the role, and no
      // CREATE on the database (PUBLIC has none by default).
      await admin.query(`CREATE DATABASE ${name}_prepared`);
      await inDatabase(
        `${name}_prepared`,
        'CREATE EXTENSION vector',
        `CREATE SCHEMA quarry AUTHORIZATION ${role}`,
      );
      assert.equal(await open(`${name}_prepared`), 'opened');
      // Nothing prepared: the role may create schemas but not the (untrusted) extension.
      await admin.query(`CREATE DATABASE ${name}_bare`);
      await admin.query(`GRANT CREATE ON DATABASE ${name}_bare TO ${role}`);
      assert.match(
        await open(`${name}_bare`),
        /^postgres: .*run CREATE EXTENSION vector once in this database/,
      );
      // pgvector enabled but no schema, and no right to create one.
      await admin.query(`CREATE DATABASE ${name}_noschema`);
      await inDatabase(`${name}_noschema`, 'CREATE EXTENSION vector');
      assert.match(await open(`${name}_noschema`), /^postgres: .*CREATE SCHEMA quarry AUTHORIZATION <role>/);
    } finally {
      await closeDatabases();
      for (const suffix of ['prepared', 'bare', 'noschema']) {
        await admin.query(`DROP DATABASE IF EXISTS ${name}_${suffix} WITH (FORCE)`);
      }
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });

  it('after a switch from the SQLite feedback file to Postgres, a button under an old answer names no Postgres question', async () => {
    const asked = {
      guildId: A,
      channelId: '300000000000000003',
      memberId: '400000000000000301',
      answered: true,
      topScore: 0.7,
      passageIds: ['p1'],
    };
    // Before the switch: a private answer, its buttons naming SQLite question 1.
    const file = FeedbackStore.open(join(tempDir(), 'feedback.db'));
    const oldId = file.recordQuestion({ ...asked, question: 'What did I ask before the switch?' });
    file.close();
    // After it: another member's private question in the same server.
    const [config] = twoProcesses();
    const postgres = await PostgresFeedbackStore.open({
      url: url ?? '',
      schema: config.databaseSchema,
      efSearch: 64,
    });
    const newId = await postgres.recordQuestion({
      ...asked,
      memberId: '400000000000000302',
      question: 'A stranger asks something private',
    });
    assert.notEqual(newId, oldId);
    // The old button's click: "no longer stored", never the stranger's question (More would show it).
    assert.equal(await postgres.question(A, oldId), undefined);
    assert.equal(
      await postgres.vote({ guildId: A, questionId: oldId, memberId: '400000000000000301', value: 1 }),
      null,
    );
    assert.equal((await postgres.question(A, newId))?.question, 'A stranger asks something private');
  });

  it('each of 10 servers sharing one HNSW index gets its k nearest passages, not fewer', async () => {
    const [config] = twoProcesses();
    const bases = new KnowledgeBases(config);
    const servers = Array.from({ length: 10 }, (_, i) => `${300000000000000000 + i}`);
    for (const [i, guild] of servers.entries()) {
      const sources = join(config.serversDir, guild, 'sources');
      mkdirSync(sources, { recursive: true });
      const lines = Array.from(
        { length: 60 },
        (_, n) => `Server ${i} fact ${n}: the number ${n * 7 + i} is noted here.`,
      );
      writeFileSync(join(sources, 'facts.txt'), `${lines.join('\n\n')}\n`);
      await bases.forServer(guild).reload();
    }
    const indexes = await bases.shared.quarry.remoteIndexes();
    assert.ok(indexes);
    const embedder = await bases.shared.quarry.embedder();
    let short = 0;
    for (const guild of servers) {
      const quarry = bases.forServer(guild).quarry;
      const snapshot = await quarry.open();
      assert.ok('remote' in snapshot);
      for (const q of ['which number is noted', 'fact twelve', 'server facts']) {
        const [vector] = await embedder.embed([q], 'query');
        assert.ok(vector);
        const found = await indexes.dense(snapshot as never, vector, 50, []);
        if (found.neighbours.length < Math.min(50, snapshot.passages.length)) short++;
      }
    }
    assert.equal(short, 0);
  });

  it('a search under a locked table fails with postgres.timeout in bounded time; a publish waits the lock out', async () => {
    const [first, second] = twoProcesses();
    const one = new Quarry(first);
    const two = new Quarry(second);
    const question = 'How many puffins does the lighthouse keeper feed?';
    await one.ask(question);
    // Loaded before the lock: what follows is the search itself, not the snapshot's first load.
    assert.equal((await two.ask(question)).answered, false);
    writeFileSync(
      join(first.sourcesDir, 'puffins.txt'),
      'The lighthouse keeper feeds seventeen puffins every morning.\n',
    );
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    let publish: Promise<unknown> | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${first.databaseSchema}".passages IN ACCESS EXCLUSIVE MODE`);
      let published = false;
      publish = one.reload().then(() => {
        published = true;
      });
      publish.catch(() => undefined);
      const started = Date.now();
      // On the old code the search waited as long as the lock: this bound makes that a failure, not a hang.
      const hung = new Promise((resolve) => setTimeout(resolve, 3 * SEARCH_WAIT_MS, 'still waiting').unref());
      const { result: outcome, lines } = await captureLogs(() =>
        Promise.race([
          two.ask(question).then(
            () => 'answered',
            (error: unknown) => error,
          ),
          hung,
        ]),
      );
      const waited = Date.now() - started;
      assert.ok(isUserFacing(outcome), `the search under the lock ended with: ${String(outcome)}`);
      assert.equal(outcome.code, 'postgres.timeout');
      assert.match(outcome.message, /did not answer within 5 s — ask again/);
      assert.ok(waited < 2 * SEARCH_WAIT_MS, `given up after ${waited} ms`);
      assert.equal(
        lines.filter((l) => /postgres: the index database did not answer within 5 s/.test(l)).length,
        1,
        lines.join('\n'),
      );
      for (const text of [outcome.message, ...lines]) assert.ok(!text.includes(url ?? '-'), text);
      // Held past the search limit: the publish must still be waiting, not cancelled.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(published, false, 'the publish finished although the table was locked');
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await publish;
    const answer = await two.ask(question);
    assert.match(answer.results[0]?.text ?? '', /seventeen puffins/);
  });

  it('a process killed with SIGKILL mid-publish loses nothing: the other keeps answering the old index', async () => {
    const [first, second] = twoProcesses();
    const one = new Quarry(first);
    const question = 'How many time zones does Russia have?';
    await one.ask(question);
    const indexes = await one.remoteIndexes();
    assert.ok(indexes);
    const generation = await indexes.currentGeneration('shared');
    const snapshot = await one.open();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'test/fixtures/publish-forever.ts'),
        url ?? '',
        second.databaseSchema,
        'shared',
        JSON.stringify(snapshot.manifest),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('publishing')) setTimeout(resolve, 500);
        if (chunk.toString().includes('published')) reject(new Error('the publish finished before the kill'));
      });
      child.on('exit', () => reject(new Error('the child exited early')));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const two = new Quarry(second);
    assert.match((await two.ask(question)).results[0]?.text ?? '', /11 time zones/);
    assert.equal(await indexes.currentGeneration('shared'), generation);
    // Postgres rolls the killed transaction back once it notices the connection is gone.
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      let leftover = -1;
      for (let tries = 0; tries < 50 && leftover !== 0; tries++) {
        const { rows } = await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM "${second.databaseSchema}".passages WHERE generation = 'gen-killed'`,
        );
        leftover = Number(rows[0]?.n);
        if (leftover !== 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(leftover, 0);
    } finally {
      await db.end();
    }
  });
});
