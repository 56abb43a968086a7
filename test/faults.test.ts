/**
 * Faults: kill -9 in the middle of an ingest, a failed write (file-size limit, as a full disk
 * would), a damaged cache folder during /reload. The previous complete index keeps serving.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { syntheticCorpus } from '../bench/ingest.ts';
import { Quarry } from '../src/quarry.ts';
import {
  ARTICLE_PATH,
  articleSources,
  FIXTURE_MODEL,
  ROOT,
  runProcess,
  TSX,
  tempDir,
  testConfig,
} from './helpers.ts';

const cliPath = (name: string) => join(ROOT, 'src', 'cli', `${name}.ts`);

function environment() {
  return {
    ...process.env,
    EMBEDDING_MODEL: FIXTURE_MODEL,
    SOURCES_DIR: articleSources(),
    INDEX_DIR: join(tempDir(), 'index'),
    URL_SOURCES_FILE: join(tempDir(), 'none.json'),
    LOG_LEVEL: 'info',
  };
}

/** Runs a CLI entry point, through bash when `shellPrefix` (e.g. a ulimit) must apply to it. */
function cli(args: string[], env: NodeJS.ProcessEnv, shellPrefix = '') {
  if (!shellPrefix) return runProcess(process.execPath, ['--import', TSX, ...args], { env });
  const command = `${shellPrefix}exec "${process.execPath}" --import "${TSX}" ${args.map((a) => `'${a}'`).join(' ')}`;
  return runProcess('bash', ['-c', command], { env });
}

const current = (indexDir: string) => readFileSync(join(indexDir, 'CURRENT'), 'utf8').trim();

async function askTimeZones(env: NodeJS.ProcessEnv) {
  const out = await cli([cliPath('ask'), '--json', 'How many time zones does Russia have?'], env);
  assert.equal(out.code, 0, out.stderr);
  assert.doesNotMatch(out.stderr, /rebuilding/, 'the last complete index was served as it is');
  const answer = JSON.parse(out.stdout);
  assert.match(answer.results[0].text, /11 time zones/);
  return answer;
}

/** Starts an ingest and kills it with SIGKILL as soon as its progress shows `stage`. */
function killIngestAt(stage: RegExp, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, cliPath('ingest')], { env, cwd: ROOT });
    let seen = '';
    child.stderr.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (stage.test(seen)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(`${signal ?? code}: ${seen}`));
  });
}

describe('kill -9 during npm run ingest', () => {
  for (const stage of [/embedding \d+\/\d+/, /saving/]) {
    it(`at "${stage.source}": the last complete index is served on restart, no partial file is read`, async () => {
      const env = environment();
      assert.equal((await cli([cliPath('ingest')], env)).code, 0);
      const before = current(env.INDEX_DIR);
      writeFileSync(join(env.SOURCES_DIR, 'synthetic.md'), syntheticCorpus(3000, ARTICLE_PATH));
      const outcome = await killIngestAt(stage, env);
      assert.match(outcome, /^SIGKILL/, `the ingest was killed (${outcome.slice(0, 80)})`);
      const after = current(env.INDEX_DIR);
      // Killed before the pointer moved: the old index; after it: the complete new one.
      const manifest = JSON.parse(readFileSync(join(env.INDEX_DIR, after, 'manifest.json'), 'utf8'));
      assert.ok(after === before || manifest.passageCount > 3000, 'CURRENT names a complete index');
      await askTimeZones(env);
      // The killed process left its lock behind; the next ingest takes it over and completes.
      const again = await cli([cliPath('ingest')], env);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /ingest: 2 sources/);
    });
  }
});

describe('a failed write (file-size limit, as with a full disk)', () => {
  it('ingest fails with a clear message and the old index keeps serving', async () => {
    const env = environment();
    assert.equal((await cli([cliPath('ingest')], env)).code, 0);
    const before = current(env.INDEX_DIR);
    writeFileSync(join(env.SOURCES_DIR, 'synthetic.md'), syntheticCorpus(500, ARTICLE_PATH));
    // 64 KiB per file at most; SIGXFSZ ignored so the write fails with EFBIG instead of killing.
    const out = await cli([cliPath('ingest')], env, "trap '' XFSZ; ulimit -f 64; ");
    assert.equal(out.code, 1, out.stderr);
    assert.match(
      out.stderr,
      /^index: could not write the new index .*EFBIG.* — the previous index is still serving/m,
    );
    assert.equal(current(env.INDEX_DIR), before);
    await askTimeZones(env);
  });
});

describe('a storage failure during reload in the bot process', () => {
  it('reports why, keeps the old index, and answers from it', async () => {
    const config = testConfig();
    const quarry = new Quarry(config);
    await quarry.reload();
    const path = join(config.sourcesDir, '000_80816b0a4ae9937f.txt');
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace('They have 11 time zones.', 'They have eleven time zones.'),
    );
    // A file where the cache folder should be: mkdir fails with a real EEXIST/ENOTDIR.
    rmSync(join(config.indexDir, 'embedding-cache'), { recursive: true, force: true });
    writeFileSync(join(config.indexDir, 'embedding-cache'), 'not a folder');
    await assert.rejects(quarry.reload(), {
      name: 'UserFacingError',
      code: 'index.write-failed',
      message: /(EEXIST|ENOTDIR)/,
    });
    const answer = await quarry.ask('How many time zones does Russia have?');
    assert.match(answer.results[0]?.text ?? '', /They have 11 time zones/);
    assert.ok(existsSync(join(config.indexDir, 'CURRENT')));
  });
});

describe('kill -9 during /reload in the bot', () => {
  it('on restart the last complete index is served', async () => {
    const { MODERATOR_ROLE_ID, startDiscordStandIn } = await import('./discord-stand-in.ts');
    const token = 'MTAw.killtest.token-kkkkkkkkkkkkkkkkkkkkkkkkkkkk';
    const discord = await startDiscordStandIn({ acceptToken: token });
    const env = {
      ...environment(),
      DISCORD_TOKEN: token,
      DISCORD_REST_API: discord.restApi,
      MODERATOR_ROLE_IDS: MODERATOR_ROLE_ID,
    };
    const bot = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src', 'bot', 'main.ts')], {
      env,
      cwd: tempDir(),
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        const timer = setTimeout(() => reject(new Error(`bot did not log in: ${seen}`)), 90000);
        bot.stderr.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (/logged in as/.test(seen)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const before = current(env.INDEX_DIR);
      writeFileSync(join(env.SOURCES_DIR, 'synthetic.md'), syntheticCorpus(3000, ARTICLE_PATH));
      const reload = discord.dispatchInteraction({
        name: 'reload',
        member: { id: '400000000000000099', roles: [MODERATOR_ROLE_ID] },
      });
      await discord.waitFor(reload, (c) => /embedding/.test(JSON.stringify(c.body)), 60000);
      bot.kill('SIGKILL');
      await new Promise((resolve) => bot.once('exit', resolve));
      assert.equal(current(env.INDEX_DIR), before, 'the pointer still names the old complete index');
      await askTimeZones(env);
    } finally {
      bot.kill('SIGKILL');
      await discord.close();
    }
  });
});
