/** `npm run setup`: the token (and optional server) asked for once, written to .env. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'dotenv';
import { loadBotConfig, loadCoreConfig } from '../src/config.ts';
import { ROOT, TSX, tempDir } from './helpers.ts';

const TOKEN = 'MTAwMDAwMDAwMDAwMDAwMDAx.GqA1bC.quarry-setup-test-token-dddddddddddddddddddddd';

function setup(cwd: string, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src', 'cli', 'setup.ts')], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('npm run setup', () => {
  it('writes .env from .env.example with the token and server, private to the user', async () => {
    const dir = tempDir();
    const out = await setup(dir, `${TOKEN}\n200000000000000002\n`);
    assert.equal(out.code, 0, out.stderr);
    const env = parse(readFileSync(join(dir, '.env')));
    assert.equal(loadBotConfig(env).token, TOKEN);
    assert.equal(loadBotConfig(env).guildId, '200000000000000002');
    assert.deepEqual(loadCoreConfig(env), loadCoreConfig({}), 'every other setting stays at its default');
    assert.equal(statSync(join(dir, '.env')).mode & 0o077, 0, 'not readable by others');
    assert.match(out.stdout, /client_id=100000000000000001/);
  });

  it('keeps the other lines of an existing .env and replaces the token', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), 'TOP_K=5\nDISCORD_TOKEN=old\n');
    const out = await setup(dir, `${TOKEN}\n\n`);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(readFileSync(join(dir, '.env'), 'utf8'), `TOP_K=5\nDISCORD_TOKEN=${TOKEN}\n`);
  });

  it('a token without the bot id in it is one line and exit code 1', async () => {
    const out = await setup(tempDir(), 'not-a-token\n\n');
    assert.equal(out.code, 1);
    assert.match(out.stderr, /config: cannot read the application id from DISCORD_TOKEN/);
  });
});
