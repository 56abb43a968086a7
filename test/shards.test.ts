/**
 * Two shards, one Postgres, end to end: `SHARDS=2` runs the real bot under discord.js's
 * ShardingManager (two shard processes) against the Discord stand-in. A server's source added
 * (`/sources add`) through shard 0 is answered in that server through shard 1; another server never sees it. A
 * shard killed with SIGKILL mid-reload: the other keeps answering, nothing is lost, and the
 * manager respawns it. Votes given through shard 0 count in /stats and /gaps through shard 1, with
 * no feedback file either shard could share. Needs QUARRY_TEST_DATABASE_URL (.ci/run); skipped
 * without it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ShardingManager } from 'discord.js';
import pg from 'pg';
import { parseShardIds, runShards, shardPlan, stopShards } from '../src/bot/shards.ts';
import { isUserFacing } from '../src/errors.ts';
import { isFinalReply, messageBody, messageText, startTestBot } from './bot-harness.ts';
import {
  GUILD_ID,
  type InteractionOptions,
  MANAGE_GUILD,
  OTHER_GUILD_ID,
  type StandIn,
  startAttachmentHost,
  startDiscordStandIn,
} from './discord-stand-in.ts';
import { articleSources, FIXTURE_MODEL, ROOT, TSX, tempDir } from './helpers.ts';

const url = process.env.QUARRY_TEST_DATABASE_URL;
const skip = url ? false : 'QUARRY_TEST_DATABASE_URL is not set (see .ci/run)';
const TOKEN = 'MTAwMDAwMDAwMDAwMDAwMDAx.GqA1bC.quarry-shards-test-token-ddddddddddddddddddddd';
const MODERATOR = { id: '400000000000000201', permissions: MANAGE_GUILD };
const PUFFINS = 'The lighthouse keeper feeds seventeen puffins every morning.\n';
const QUESTION = 'How many puffins does the lighthouse keeper feed?';

/** The shard processes of the manager: pid by shard id (their environment says which). */
function shardProcesses(managerPid: number): Map<number, number> {
  const found = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== managerPid) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const shard = environ.find((v) => v.startsWith('SHARDS='));
      if (shard) found.set(Number(shard.slice('SHARDS='.length)), Number(entry));
    } catch {
      // A process that just exited.
    }
  }
  return found;
}

/** One machine's `npm start`: the bot's entry point with its own working folder, index, model cache and servers. */
interface Machine {
  process: ChildProcess;
  /** Everything it and its shards printed so far. */
  readonly output: string;
  stop(): Promise<void>;
}

/** `env` adds to or overrides the defaults: Discord at `DISCORD_REST_API`, files in fresh folders. */
function startMachine(env: Record<string, string>): Machine {
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src', 'bot', 'main.ts')], {
    cwd: tempDir(),
    env: {
      ...process.env,
      DISCORD_TOKEN: TOKEN,
      EMBEDDING_MODEL: FIXTURE_MODEL,
      SOURCES_DIR: articleSources(),
      INDEX_DIR: join(tempDir(), 'index'),
      MODEL_CACHE_DIR: join(tempDir(), 'models'),
      SERVERS_DIR: join(tempDir(), 'servers'),
      FEEDBACK_DB: join(tempDir(), 'feedback.db'),
      DATABASE_URL: url ?? '',
      ASK_COOLDOWN_SECONDS: '0',
      ...env,
    },
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c));
  child.stderr?.on('data', (c: Buffer) => (output += c));
  return {
    process: child,
    get output() {
      return output;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

async function waitForShards(discord: StandIn, count: number, output: () => string): Promise<void> {
  const started = Date.now();
  while (discord.connectedShards.length < count) {
    if (Date.now() - started > 90_000) throw new Error(`${count} shards did not connect:\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('SHARDS and SHARD_IDS', () => {
  it('unset: no sharding; inside a shard process: no second manager', () => {
    assert.equal(shardPlan({}), null);
    assert.equal(shardPlan({ SHARDS: '0', SHARDING_MANAGER: 'true' }), null);
  });
  it('a blank SHARDS= (.env.example uncommented) runs unsharded: discord.js no longer stops on parsing it', async () => {
    assert.equal(shardPlan({ SHARDS: ' ' }), null);
    const before = process.env.SHARDS;
    process.env.SHARDS = ' ';
    try {
      // discord.js's Client JSON-parses SHARDS whenever it is set: "Unexpected end of JSON input".
      const test = await startTestBot({ token: TOKEN });
      assert.ok(test.bot.client.isReady(), 'logged in');
      await test.stop();
    } finally {
      if (before === undefined) delete process.env.SHARDS;
      else process.env.SHARDS = before;
    }
  });
  it('says which ids exist when one is out of range, and how to write a backwards range', () => {
    assert.throws(() => parseShardIds('2-4', 4), /"2-4".*count from 0: with SHARDS=4 they are 0-3/);
    assert.throws(() => parseShardIds('1', 1), /with SHARDS=1 they are 0\b/);
    assert.throws(() => parseShardIds('0,3-1', 4), /"3-1" runs backwards — write it 1-3/);
  });
  it('auto or a number, with an optional range of shard ids for this machine', () => {
    assert.deepEqual(shardPlan({ SHARDS: 'auto' }), { total: 'auto', ids: 'all' });
    assert.deepEqual(shardPlan({ SHARDS: '8', SHARD_IDS: '0-2,6' }), { total: 8, ids: [0, 1, 2, 6] });
    assert.deepEqual(parseShardIds(' 3 , 1-2 ', 4), [1, 2, 3]);
  });
  for (const env of [
    { SHARDS: 'two' },
    { SHARDS: '0' },
    { SHARDS: '4', SHARD_IDS: '4' },
    { SHARDS: '4', SHARD_IDS: 'a-b' },
    { SHARDS: 'auto', SHARD_IDS: '0' },
    { SHARD_IDS: '0-1' },
    { SHARDS: '4', SHARD_IDS: '3-1' },
    { SHARDS: '8', SHARD_IDS: '0-99999999' },
  ]) {
    it(`refuses ${JSON.stringify(env)} with a message naming the key`, () => {
      assert.throws(
        () => shardPlan(env),
        (e) => isUserFacing(e) && /SHARD/.test(e.message),
      );
    });
  }
});

/** How many passages of the index Postgres serves for this scope contain the text. */
async function servedPassagesMentioning(schema: string, scope: string, text: string): Promise<number> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${schema}".passages p JOIN "${schema}".kb_current k USING (scope, generation)
        WHERE scope = $1 AND strpos(p.passage::text, $2) > 0`,
      [scope, text],
    );
    return Number(rows[0]?.n);
  } finally {
    await db.end();
  }
}

/** Runs `npm start`'s entry point with this environment until it exits (or fails after 60 s). */
async function startUntilExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const marker = `quarry-shards-${process.pid}-${Math.random()}`;
  const machine = startMachine({
    // Nothing listens there: no shard may get as far as Discord.
    DISCORD_REST_API: 'http://127.0.0.1:1/api',
    DATABASE_URL: '',
    QUARRY_TEST_MARKER: marker,
    ...env,
  });
  const child = machine.process;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const limit = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await exited;
  clearTimeout(limit);
  // No shard process may outlive its manager.
  let left: string[] = [];
  for (let tries = 0; tries < 50; tries++) {
    left = readdirSync('/proc').filter((entry) => {
      try {
        return /^\d+$/.test(entry) && readFileSync(`/proc/${entry}/environ`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    });
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const pid of left) process.kill(Number(pid), 'SIGKILL');
  assert.deepEqual(left, [], `shard processes left running:\n${machine.output}`);
  return { code, output: machine.output };
}

describe('a shard that cannot start', () => {
  it('a configuration mistake stops the manager at once, exit code 1, before any shard starts', async () => {
    const { code, output } = await startUntilExit({ SHARDS: '2', DATABASE_URL: 'mysql://db.example/quarry' });
    assert.equal(code, 1, output);
    assert.match(output, /DATABASE_URL must start with postgres:\/\//);
    assert.doesNotMatch(output, /starting \(process\)/);
  });

  it('a shard stopping on a problem the operator must fix is not respawned: every shard stops, exit code 1', async () => {
    const { code, output } = await startUntilExit({ SHARDS: '2', SOURCES_DIR: join(tempDir(), 'missing') });
    assert.equal(code, 1, output);
    assert.equal(output.match(/cannot read the sources folder/g)?.length, 1, output);
    assert.match(output, /shards: shard 0 stopped on a problem the line above names/);
    assert.doesNotMatch(output, /exited; respawning/);
  });

  it('a shard that has been ready and then exits with code 1 (an uncaught error while reconnecting) is respawned', async () => {
    const log = join(tempDir(), 'starts.log');
    // ShardingManager writes SHARDING_MANAGER (and more) into this process's environment, which
    // every later spawn here would inherit: put it back as it was afterwards.
    const environment = { ...process.env };
    process.env.FAKE_SHARD_LOG = log;
    let manager: ShardingManager | undefined;
    let gaveUp: unknown;
    runShards(
      { total: 1, ids: 'all' },
      {
        token: TOKEN,
        restApi: undefined,
        script: join(ROOT, 'test', 'fixtures', 'fake-shard.ts'),
        started: (started) => {
          manager = started;
        },
      },
    ).catch((error: unknown) => {
      gaveUp = error;
    });
    const starts = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0);
    try {
      const since = Date.now();
      while (starts() < 2 && gaveUp === undefined && Date.now() - since < 30_000) {
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      if (manager) await stopShards(manager);
      for (const key of Object.keys(process.env)) if (!(key in environment)) delete process.env[key];
      Object.assign(process.env, environment);
    }
    assert.equal(gaveUp, undefined, 'the manager gave up on a shard that had been ready');
    assert.equal(starts(), 2);
  });
});

/** Sends interactions through the stand-in and waits for their final reply's text. */
function interactions(stand: () => StandIn) {
  async function interact(options: InteractionOptions, until = isFinalReply) {
    const interaction = stand().dispatchInteraction(options);
    return messageText(await stand().waitFor(interaction, until, 60000));
  }
  const ask = (guildId: string, shard: number) =>
    interact({ name: 'ask', guildId, shard, options: [{ name: 'question', type: 3, value: QUESTION }] });
  return { interact, ask };
}

/**
 * A moderator adds puffins.txt in server A through shard 0; shard 1 answers it in A and not in B,
 * and its /sources log lists the add (the audit log is in Postgres too).
 */
async function sourceAddedThroughShardZero(
  discord: StandIn,
  cdn: Awaited<ReturnType<typeof startAttachmentHost>>,
): Promise<void> {
  const { interact, ask } = interactions(() => discord);
  const attachment = cdn.add('puffins.txt', PUFFINS, 'text/plain; charset=utf-8');
  const added = await interact(
    {
      name: 'sources',
      guildId: GUILD_ID,
      shard: 0,
      member: MODERATOR,
      options: [{ name: 'add', type: 1, options: [{ name: 'file', type: 11, value: attachment.id }] }],
      attachments: [attachment],
    },
    (c) => c.method === 'PATCH' && /Added|Not added/.test(messageText(c)),
  );
  assert.match(added, /Added/);
  assert.match(await ask(GUILD_ID, 1), /(?:__)?seventeen(?:__)? puffins/);
  assert.doesNotMatch(await ask(OTHER_GUILD_ID, 1), /(?:__)?seventeen(?:__)? puffins/);
  const sourcesLog = (guildId: string) =>
    interact({
      name: 'sources',
      guildId,
      shard: 1,
      member: MODERATOR,
      options: [{ name: 'log', type: 1, options: [] }],
    });
  assert.match(await sourcesLog(GUILD_ID), new RegExp(`${MODERATOR.id}.*puffins\\.txt`, 's'));
  // Server B's log has none of it.
  const otherLog = await sourcesLog(OTHER_GUILD_ID);
  assert.doesNotMatch(otherLog, /puffins/);
}

/**
 * After sourceAddedThroughShardZero: an answer in A through shard 0 voted 👍 and 👎 through shard 0;
 * /stats and /gaps through shard 1 count both votes in A, and none in B.
 */
async function votesThroughShardZero(discord: StandIn): Promise<void> {
  const { interact } = interactions(() => discord);
  const asked = await discord.waitFor(
    discord.dispatchInteraction({
      name: 'ask',
      guildId: GUILD_ID,
      shard: 0,
      options: [{ name: 'question', type: 3, value: QUESTION }],
    }),
    isFinalReply,
    60000,
  );
  const upId = (messageBody(asked).components ?? [])
    .flatMap((row) => row.components.map((c) => c.custom_id))
    .find((id) => id.startsWith('fb:up:'));
  assert.ok(upId, `no vote buttons under the answer: ${messageText(asked)}`);
  const click = async (customId: string, memberId: string) =>
    messageText(
      await discord.waitFor(
        discord.dispatchComponent({ customId, shard: 0, member: { id: memberId } }),
        isFinalReply,
        30000,
      ),
    );
  assert.match(await click(upId, '400000000000000301'), /marked 👍 helpful/);
  assert.match(await click(upId.replace(':up:', ':down:'), '400000000000000302'), /not helpful/);
  const report = (name: string, guildId: string) => interact({ name, guildId, shard: 1, member: MODERATOR });
  // Server A: the question asked through shard 1 after the add, and this one; 👍 1 and 👎 1.
  const stats = await report('stats', GUILD_ID);
  assert.match(stats, /"name":"Questions","value":"2"/);
  assert.match(stats, /👍 1 · 👎 1/);
  assert.match(await report('gaps', GUILD_ID), /lighthouse keeper.*1 👎/);
  // Server B asked once, through shard 1, and nobody voted there.
  assert.match(await report('stats', OTHER_GUILD_ID), /"name":"Questions","value":"1".*👍 0 · 👎 0/);
}

describe('two shards on one Postgres', { skip, timeout: 240_000 }, () => {
  let discord: StandIn;
  let cdn: Awaited<ReturnType<typeof startAttachmentHost>>;
  let manager: Machine;
  let serversDir: string;

  before(async () => {
    discord = await startDiscordStandIn({ acceptToken: TOKEN, shards: 2 });
    cdn = await startAttachmentHost();
    serversDir = join(tempDir('quarry-shards-'), 'servers');
    const notAFolder = join(tempDir(), 'a-file');
    writeFileSync(notAFolder, '');
    manager = startMachine({
      DISCORD_REST_API: discord.restApi,
      ATTACHMENT_HOSTS: cdn.host,
      SHARDS: 'auto',
      SERVERS_DIR: serversDir,
      // Not a place a file can be created: feedback (votes, /stats, /gaps) must go to Postgres,
      // as for shards on machines that share no disk.
      FEEDBACK_DB: join(notAFolder, 'feedback.db'),
      DATABASE_SCHEMA: `shards_${process.pid}`,
    });
    await waitForShards(discord, 2, () => manager.output);
  });
  after(async () => {
    await manager?.stop();
    await discord?.close();
    await cdn?.close();
  });

  const { ask, interact } = interactions(() => discord);

  it('recommends two shards and each identifies as [id, 2]', () => {
    assert.deepEqual(discord.connectedShards, [0, 1]);
  });

  it('a source added with /sources add in server A through shard 0 is answered in A through shard 1, never in B; /sources log through shard 1 lists it', () =>
    sourceAddedThroughShardZero(discord, cdn));

  it('votes given through shard 0 are counted by /stats and /gaps asked through shard 1, per server', () =>
    votesThroughShardZero(discord));

  it('shard 0 killed with SIGKILL mid-reload: shard 1 keeps answering, nothing is lost, shard 0 comes back', async () => {
    const sources = join(serversDir, GUILD_ID, 'sources');
    const filler = Array.from(
      { length: 400 },
      (_, i) => `Paragraph ${i} about tides, boats and weather number ${i}.`,
    );
    writeFileSync(join(sources, 'tides.txt'), `${filler.join('\n\n')}\n`);
    const pids = shardProcesses(manager.process.pid ?? -1);
    const shardZero = pids.get(0);
    assert.ok(shardZero, `no shard 0 process among ${[...pids]}`);
    const reloading = discord.dispatchInteraction({
      name: 'reload',
      guildId: GUILD_ID,
      shard: 0,
      member: MODERATOR,
    });
    await discord.waitFor(reloading, (c) => c.path.endsWith('/callback'), 30000);
    const identified = discord.identifies;
    process.kill(shardZero, 'SIGKILL');
    assert.match(await ask(GUILD_ID, 1), /(?:__)?seventeen(?:__)? puffins/);
    // The kill landed mid-reload (tides.txt never reached the served index), and the votes given
    // before it still count.
    assert.equal(await servedPassagesMentioning(`shards_${process.pid}`, GUILD_ID, 'about tides'), 0);
    assert.match(
      await interact({ name: 'stats', guildId: GUILD_ID, shard: 1, member: MODERATOR }),
      /👍 1 · 👎 1/,
    );
    // The manager respawns shard 0, which identifies again.
    await discord.waitForIdentify(identified + 1, 90_000);
    assert.notEqual(shardProcesses(manager.process.pid ?? -1).get(0), shardZero);
    assert.match(await ask(GUILD_ID, 0), /(?:__)?seventeen(?:__)? puffins/);
  });
});

/**
 * Two machines: `SHARDS=2 SHARD_IDS=0` and `SHARDS=2 SHARD_IDS=1`, each with its own working
 * folder, index, servers folder and (writable) feedback file, sharing only DATABASE_URL. Whatever
 * one shard sees of the other's sources, votes and audit entries can only have come through
 * Postgres: a file on one machine is not there on the other.
 */
describe('two machines (SHARD_IDS) sharing only one Postgres', { skip, timeout: 240_000 }, () => {
  let discord: StandIn;
  let cdn: Awaited<ReturnType<typeof startAttachmentHost>>;
  let machines: Machine[] = [];
  const serversDirs = [0, 1].map(() => join(tempDir('quarry-machine-'), 'servers'));

  before(async () => {
    discord = await startDiscordStandIn({ acceptToken: TOKEN, shards: 2 });
    cdn = await startAttachmentHost();
    machines = [0, 1].map((id) =>
      startMachine({
        DISCORD_REST_API: discord.restApi,
        ATTACHMENT_HOSTS: cdn.host,
        SHARDS: '2',
        SHARD_IDS: String(id),
        SERVERS_DIR: serversDirs[id] ?? '',
        DATABASE_SCHEMA: `machines_${process.pid}`,
      }),
    );
    await waitForShards(discord, 2, () => machines.map((m) => m.output).join('\n'));
  });
  after(async () => {
    await Promise.all(machines.map((m) => m.stop()));
    await discord?.close();
    await cdn?.close();
  });

  it('each machine runs only its own shard', () => {
    assert.deepEqual(discord.connectedShards, [0, 1]);
    for (const [id, machine] of machines.entries()) {
      assert.deepEqual([...shardProcesses(machine.process.pid ?? -1).keys()], [id]);
    }
  });

  it('a source added through shard 0 on machine 1 is answered through shard 1 on machine 2, which has no copy of the file; /sources log there lists it', async () => {
    await sourceAddedThroughShardZero(discord, cdn);
    assert.ok(existsSync(join(serversDirs[0] ?? '', GUILD_ID, 'sources', 'puffins.txt')));
    assert.equal(existsSync(join(serversDirs[1] ?? '', GUILD_ID)), false);
  });

  it('votes through shard 0 on machine 1 are counted by /stats and /gaps through shard 1 on machine 2', () =>
    votesThroughShardZero(discord));
});
