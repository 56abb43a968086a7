/** `npm start` and `npm run deploy` as processes, against the local stand-in of Discord. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { APPLICATION_ID, GUILD_ID, startDiscordStandIn } from './discord-stand-in.ts';
import { articleSources, FIXTURE_MODEL, ROOT, runProcess, runTypeScript, TSX, tempDir } from './helpers.ts';

const TOKEN = 'MTAwMDAwMDAwMDAwMDAwMDAx.GqA1bC.quarry-start-test-token-bbbbbbbbbbbbbbbbbbbbb';

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EMBEDDING_MODEL: FIXTURE_MODEL,
    SOURCES_DIR: articleSources(),
    INDEX_DIR: join(tempDir(), 'index'),
    MODEL_CACHE_DIR: join(tempDir(), 'models'),
    ...extra,
  };
  // The tests must not pick up a developer's real .env values.
  for (const key of ['DISCORD_TOKEN', 'DISCORD_CLIENT_ID', 'GUILD_ID']) if (!(key in extra)) env[key] = '';
  return env;
}

function exec(script: string, env: NodeJS.ProcessEnv) {
  // In an empty folder, so no developer .env is read.
  return runTypeScript(join('src', 'bot', `${script}.ts`), [], { env, cwd: tempDir(), timeoutMs: 60000 });
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in: ${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
}

describe('npm start', () => {
  it('without DISCORD_TOKEN: one line naming it, non-zero exit, within 15 s', async () => {
    const started = Date.now();
    // The real `npm start` (build, then the compiled bot), as a newcomer runs it.
    const out = await runProcess('npm', ['start', '--silent'], { env: baseEnv({}), timeoutMs: 60000 });
    assert.notEqual(out.code, 0);
    assert.ok(Date.now() - started < 15000);
    assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr);
    assert.match(out.stderr, /DISCORD_TOKEN/);
    assert.doesNotMatch(out.stderr, /\s+at /);
  });

  it('with a token Discord rejects: one clear line, exit code 1, token not printed', async () => {
    const discord = await startDiscordStandIn({ acceptToken: TOKEN });
    try {
      const bad = 'MTAwMDAwMDAwMDAwMDAwMDAx.XXXXXX.rejected-token-ccccccccccccccccccccccccccc';
      const out = await exec('main', baseEnv({ DISCORD_TOKEN: bad, DISCORD_REST_API: discord.restApi }));
      assert.equal(out.code, 1);
      assert.match(out.stderr, /^discord: Discord rejected DISCORD_TOKEN \(401 Unauthorized\)/m);
      assert.doesNotMatch(out.stderr, /\s+at /);
      assert.ok(!out.stderr.includes(bad) && !out.stdout.includes(bad));
    } finally {
      await discord.close();
    }
  });

  it('loads the index before going online, logs in, and exits 0 on SIGTERM', async () => {
    const discord = await startDiscordStandIn({ acceptToken: TOKEN });
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src', 'bot', 'main.ts')], {
      cwd: tempDir(),
      env: baseEnv({ DISCORD_TOKEN: TOKEN, DISCORD_REST_API: discord.restApi }),
    });
    try {
      // Generous: the test files run in parallel on two cores.
      const output = await waitForOutput(child, /logged in as/, 90000);
      assert.match(output, /quarry: \d+ passages from 1 sources ready/);
      assert.ok(output.indexOf('passages from') < output.indexOf('logged in as'), 'index ready before login');
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      await discord.close();
    }
  });

  it('a SIGTERM during start-up (Discord not answering yet) exits 0 instead of dying by the signal', async () => {
    // A Discord that accepts connections and never answers: login hangs, so the signal is
    // certain to arrive before the bot is online.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src', 'bot', 'main.ts')], {
      cwd: tempDir(),
      env: baseEnv({ DISCORD_TOKEN: TOKEN, DISCORD_REST_API: `http://127.0.0.1:${port}/api` }),
    });
    try {
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      const output = await waitForOutput(child, /passages from 1 sources ready/, 90000);
      assert.doesNotMatch(output, /logged in as/);
      child.kill('SIGTERM');
      assert.deepEqual(await exited, { code: 0, signal: null });
    } finally {
      child.kill('SIGKILL');
      silent.closeAllConnections();
      silent.close();
    }
  });
});

/** The pids of a process's children (Linux /proc), to signal what `npm start` launched. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

describe('npm start without DISCORD_CLIENT_ID or a deploy step', () => {
  it('registers its commands globally on first start, and only reads them on the next', async () => {
    const discord = await startDiscordStandIn({ acceptToken: TOKEN });
    const indexDir = join(tempDir(), 'index');
    try {
      for (const round of [1, 2]) {
        const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src', 'bot', 'main.ts')], {
          cwd: tempDir(),
          env: baseEnv({ DISCORD_TOKEN: TOKEN, DISCORD_REST_API: discord.restApi, INDEX_DIR: indexDir }),
        });
        try {
          const output = await waitForOutput(child, /discord: commands (registered|up to date)/, 90000);
          assert.match(output, round === 1 ? /commands registered globally/ : /commands up to date globally/);
        } finally {
          child.kill('SIGTERM');
          await new Promise((resolve) => child.on('exit', resolve));
        }
      }
      const route = `/api/v10/applications/${APPLICATION_ID}/commands`;
      assert.equal(
        discord.calls.filter((c) => c.method === 'PUT' && c.path === route).length,
        1,
        'one write',
      );
      assert.equal(discord.calls.filter((c) => c.method === 'GET' && c.path === route).length, 2);
    } finally {
      await discord.close();
    }
  });

  // Docker's CMD ["npm","start"] and some process managers signal npm only; others signal what
  // npm launched. Either way the bot must stop cleanly: the start script execs node, so the
  // launched process is the bot, and npm forwards SIGTERM to it.
  for (const target of ['the process npm start launched', 'npm itself'] as const) {
    it(`under a supervisor: SIGTERM to ${target} stops the bot, exit code 0`, async () => {
      const discord = await startDiscordStandIn({ acceptToken: TOKEN });
      // The real `npm start`: build, then the start script.
      const npm = spawn('npm', ['start', '--silent'], {
        cwd: ROOT,
        env: baseEnv({ DISCORD_TOKEN: TOKEN, DISCORD_REST_API: discord.restApi }),
      });
      let launched: number | undefined;
      try {
        await waitForOutput(npm, /logged in as/, 120000);
        [launched] = childrenOf(npm.pid ?? 0);
        assert.ok(launched, 'npm start launched a process');
        assert.match(readFileSync(`/proc/${launched}/cmdline`, 'utf8'), /^node\0.*dist\/src\/bot\/main\.js/);
        const npmExit = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
        process.kill(target === 'npm itself' ? (npm.pid ?? 0) : launched, 'SIGTERM');
        assert.equal(await npmExit, 0, 'the bot (and so npm start) exited 0');
        assert.ok(!existsSync(`/proc/${launched}`), 'the bot process is gone');
      } finally {
        // On failure, leave no bot behind (that is the bug this guards against).
        for (const pid of [...childrenOf(launched ?? 0), launched ?? 0, npm.pid ?? 0]) {
          try {
            if (pid) process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await discord.close();
      }
    });
  }
});

describe('npm run deploy', () => {
  it('without DISCORD_CLIENT_ID takes the application id from the token', async () => {
    const discord = await startDiscordStandIn({ acceptToken: TOKEN });
    try {
      const out = await exec(
        'deploy',
        baseEnv({ DISCORD_TOKEN: TOKEN, GUILD_ID, DISCORD_REST_API: discord.restApi }),
      );
      assert.equal(out.code, 0, out.stderr);
      assert.equal(
        discord.calls.find((c) => c.method === 'PUT')?.path,
        `/api/v10/applications/${APPLICATION_ID}/guilds/${GUILD_ID}/commands`,
      );
    } finally {
      await discord.close();
    }
  });

  it('registers the three commands in the guild by bulk overwrite; twice changes nothing', async () => {
    const discord = await startDiscordStandIn({ acceptToken: TOKEN });
    try {
      const env = baseEnv({
        DISCORD_TOKEN: TOKEN,
        DISCORD_CLIENT_ID: APPLICATION_ID,
        GUILD_ID,
        DISCORD_REST_API: discord.restApi,
      });
      const first = await exec('deploy', env);
      const second = await exec('deploy', env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(
        first.stdout,
        /registered 6 commands in server .*: "Ask Quarry" \(message\) \/ask \/gaps \/reload \/sources \/stats/,
      );
      const puts = discord.calls.filter((c) => c.method === 'PUT');
      assert.equal(puts.length, 2);
      assert.equal(puts[0]?.path, `/api/v10/applications/${APPLICATION_ID}/guilds/${GUILD_ID}/commands`);
      assert.deepEqual(puts[1]?.body, puts[0]?.body, 'the same list both times');
      const registered = (puts[0]?.body ?? []) as unknown as {
        name: string;
        default_member_permissions: string;
      }[];
      for (const name of ['reload', 'gaps', 'stats']) {
        const command = registered.find((c) => c.name === name);
        assert.equal(
          command?.default_member_permissions,
          String(1 << 5),
          `/${name}: Manage Server by default`,
        );
      }
      assert.equal(
        (registered.find((c) => c.name === 'Ask Quarry') as { type?: number } | undefined)?.type,
        3,
        'a message command',
      );
      assert.equal(second.stdout, first.stdout);
    } finally {
      await discord.close();
    }
  });

  it('without GUILD_ID registers globally', async () => {
    const discord = await startDiscordStandIn();
    try {
      const out = await exec(
        'deploy',
        baseEnv({
          DISCORD_TOKEN: TOKEN,
          DISCORD_CLIENT_ID: APPLICATION_ID,
          DISCORD_REST_API: discord.restApi,
        }),
      );
      assert.equal(out.code, 0, out.stderr);
      assert.equal(
        discord.calls.find((c) => c.method === 'PUT')?.path,
        `/api/v10/applications/${APPLICATION_ID}/commands`,
      );
    } finally {
      await discord.close();
    }
  });
});
