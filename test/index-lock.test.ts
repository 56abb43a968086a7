import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ARTICLE_ID,
  ARTICLE_PATH,
  FIXTURE_MODEL,
  type ProcessOutcome,
  ROOT,
  runProcess,
  runTypeScript,
  TSX,
  tempDir,
  unprivileged,
  unprivilegedSkip,
} from './helpers.ts';

const LOCK_MODULE = join(ROOT, 'src', 'index', 'lock.ts');

/** A pid that certainly belongs to no running process: one that has just exited. */
function deadPid(): number {
  const child = spawnSync('true');
  assert.ok(child.pid);
  return child.pid;
}

/**
 * One contender: for each trial folder, waits until the trial's start time (all contenders wake
 * at the same moment), tries to take the lock, holds it for a while, and reports when it held it.
 */
function contender(dirs: string[], startAt: number, spacingMs: number): Promise<ProcessOutcome> {
  const code = `
    const { withIndexLock } = await import(${JSON.stringify(LOCK_MODULE)});
    const dirs = ${JSON.stringify(dirs)};
    const held = [];
    for (let i = 0; i < dirs.length; i++) {
      const at = ${startAt} + i * ${spacingMs};
      while (Date.now() < at) {} // busy-wait: a timer would wake the contenders milliseconds apart
      try {
        await withIndexLock(dirs[i], async (lock) => {
          const from = Date.now();
          await new Promise((r) => setTimeout(r, 150));
          held.push({ trial: i, from, to: Date.now(), writable: lock?.writable });
        });
      } catch (error) {
        if (!/another Quarry process/.test(String(error))) throw error;
      }
    }
    console.log(JSON.stringify(held));`;
  return runProcess(process.execPath, ['--import', TSX, '--input-type=module', '-e', code], {
    env: process.env,
  });
}

describe('index lock (issue 11, item 8)', () => {
  it('of three processes that find the same stale lock at the same moment, one takes it at a time', async () => {
    const trials = 8;
    const dirs = Array.from({ length: trials }, () => {
      const dir = tempDir('quarry-lock-');
      writeFileSync(join(dir, 'write.lock'), String(deadPid()));
      return dir;
    });
    // Start far enough ahead that every contender has loaded (tsx start-up on a busy machine).
    const startAt = Date.now() + 6000;
    const outcomes = await Promise.all([0, 1, 2].map(() => contender(dirs, startAt, 600)));
    const held: { trial: number; from: number; to: number }[][] = outcomes.map((o) => {
      assert.equal(o.code, 0, o.stderr);
      return JSON.parse(o.stdout);
    });
    let acquired = 0;
    for (let trial = 0; trial < trials; trial++) {
      const spans = held.flatMap((h) => h.filter((x) => x.trial === trial));
      acquired += spans.length > 0 ? 1 : 0;
      for (const a of spans)
        for (const b of spans)
          assert.ok(
            a === b || a.to <= b.from || b.to <= a.from,
            `trial ${trial}: two processes held the lock at once`,
          );
    }
    assert.equal(acquired, trials, 'the stale lock was taken over in every trial');
    for (const dir of dirs) assert.deepEqual(readdirSync(dir), [], 'no lock or claim file left behind');
  });
});

/** Runs a CLI command as a user who cannot write INDEX_DIR (root drops to nobody). */
function cliUnprivileged(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, join(ROOT, 'src', 'cli', `${command}.ts`), ...args],
      { env: { ...process.env, ...env, HOME: tempDir() }, cwd: ROOT, timeout: 120000, ...unprivileged() },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

describe('an INDEX_DIR that cannot be written (issue 11, item 6)', { skip: unprivilegedSkip }, () => {
  it('a valid index is served read-only: ask answers, an ingest with nothing to write succeeds, one that must write says what to fix', async () => {
    const sources = tempDir('quarry-sources-');
    cpSync(ARTICLE_PATH, join(sources, ARTICLE_ID));
    const base = tempDir('quarry-ro-');
    const env = {
      EMBEDDING_MODEL: FIXTURE_MODEL,
      SOURCES_DIR: sources,
      INDEX_DIR: join(base, 'index'),
      MODEL_CACHE_DIR: join(base, 'models'),
      LOG_LEVEL: 'warn',
    };
    const built = await runTypeScript(join('src', 'cli', 'ingest.ts'), [], {
      env: { ...process.env, ...env },
    });
    assert.equal(built.code, 0, built.stderr);
    // Readable by everyone, writable by nobody but its owner (root, or the user running the tests).
    for (const dir of [base, sources, env.INDEX_DIR]) chmodSync(dir, 0o755);
    for (const entry of readdirSync(env.INDEX_DIR, { recursive: true, withFileTypes: true }))
      chmodSync(join(entry.parentPath, entry.name), entry.isDirectory() ? 0o555 : 0o444);
    chmodSync(env.INDEX_DIR, 0o555);

    const ask = await cliUnprivileged('ask', ['--json', 'How many time zones does Russia have?'], env);
    assert.equal(ask.code, 0, ask.stderr);
    assert.match(JSON.parse(ask.stdout).results[0].text, /11 time zones/);

    const unchanged = await cliUnprivileged('ingest', [], env);
    assert.equal(unchanged.code, 0, unchanged.stderr);
    assert.match(unchanged.stdout, /0 added, 0 removed/);

    chmodSync(sources, 0o777);
    writeFileSync(join(sources, 'notes.md'), '# Notes\n\nThe ferry leaves at nine.');
    chmodSync(join(sources, 'notes.md'), 0o644);
    const changed = await cliUnprivileged('ingest', [], env);
    assert.equal(changed.code, 1, changed.stderr);
    assert.match(changed.stderr, /^index: cannot write the index: .* is not writable \(EACCES/m);
    assert.match(changed.stderr, /make INDEX_DIR a writable folder/);
    assert.doesNotMatch(changed.stderr, /\n\s+at /, 'no stack trace');
  });

  it('a file where the INDEX_DIR folder must be: exit 1 with what to fix, no stack', async () => {
    const base = tempDir('quarry-notdir-');
    writeFileSync(join(base, 'file'), 'not a folder');
    const sources = tempDir('quarry-sources-');
    cpSync(ARTICLE_PATH, join(sources, ARTICLE_ID));
    mkdirSync(join(base, 'models'));
    const out = await runTypeScript(join('src', 'cli', 'ingest.ts'), [], {
      env: {
        ...process.env,
        EMBEDDING_MODEL: FIXTURE_MODEL,
        SOURCES_DIR: sources,
        INDEX_DIR: join(base, 'file', 'index'),
        MODEL_CACHE_DIR: join(base, 'models'),
      },
    });
    assert.equal(out.code, 1, out.stderr);
    assert.match(out.stderr, /^index: cannot write the index: .* is not writable \(ENOTDIR/m);
    assert.doesNotMatch(out.stderr, /\n\s+at /);
  });
});
