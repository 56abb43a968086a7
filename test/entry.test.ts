/**
 * The entry wrapper: `.env` is loaded before anything reads the environment (LOG_FILE and
 * LOG_LEVEL from `.env` are honoured, an invalid LOG_LEVEL is an error, not silently dropped),
 * and exit codes are decided in one place.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { articleSources, FIXTURE_MODEL, runTypeScript, tempDir } from './helpers.ts';

/** A folder with only a .env (the CLI reads .env from its working folder). */
function folderWithEnv(lines: Record<string, string>): string {
  const dir = tempDir('quarry-dotenv-');
  writeFileSync(
    join(dir, '.env'),
    Object.entries(lines)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  return dir;
}

/** The test process's own environment, minus the keys the test puts in .env (real variables win). */
function environmentWithout(keys: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of keys) delete env[key];
  return env;
}

describe('entry wrapper', () => {
  it('honours LOG_FILE and LOG_LEVEL set in .env', async () => {
    const logFile = join(tempDir(), 'quarry.log');
    const settings = {
      EMBEDDING_MODEL: FIXTURE_MODEL,
      SOURCES_DIR: articleSources(),
      INDEX_DIR: join(tempDir(), 'index'),
      MODEL_CACHE_DIR: join(tempDir(), 'models'),
      LOG_FILE: logFile,
      LOG_LEVEL: 'debug',
    };
    const out = await runTypeScript(join('src', 'cli', 'ask.ts'), ['How many time zones does Russia have?'], {
      cwd: folderWithEnv(settings),
      env: environmentWithout(Object.keys(settings)),
    });
    assert.equal(out.code, 0, out.stderr);
    // The readable answer has the layout of the bot's reply.
    assert.match(
      out.stdout,
      /^Quoted from the sources for “How many time zones does Russia have\?”:\n\n1\. /,
    );
    assert.match(out.stdout, /\*\*They have __11__ time zones\.\*\*/);
    assert.match(out.stdout, /\nParagraph 3 · relevance \d+% · 000_80816b0a4ae9937f\.txt\n/);
    assert.ok(existsSync(logFile), 'LOG_FILE from .env was written');
    const logged = readFileSync(logFile, 'utf8');
    assert.match(logged, /building it from/, 'info lines');
    assert.match(logged, /embedder: .* ready in \d+ ms/, 'debug lines: LOG_LEVEL=debug from .env applies');
  });

  it('an invalid LOG_LEVEL in .env is one line and exit code 1, not silently ignored', async () => {
    const out = await runTypeScript(join('src', 'cli', 'ask.ts'), ['anything'], {
      cwd: folderWithEnv({ LOG_LEVEL: 'verbose' }),
      env: environmentWithout(['LOG_LEVEL', 'LOG_FILE']),
    });
    assert.equal(out.code, 1);
    assert.equal(
      out.stderr.trim(),
      'config: LOG_LEVEL must be one of debug, info, warn, error, got "verbose"',
    );
  });
});
