/** Shared test set-up: temporary folders, the fixture model, a config pointing at both. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type CoreConfig, loadCoreConfig } from '../src/config.ts';

export const ROOT = resolve(import.meta.dirname, '..');
export const FIXTURE_MODEL = join(ROOT, 'test', 'fixtures', 'tiny-embedder');
export const ARTICLE_ID = '000_80816b0a4ae9937f.txt';
export const ARTICLE_PATH = join(ROOT, 'data', 'sources', ARTICLE_ID);

const temporaryDirs: string[] = [];
// Removed when the test process exits: a node:test `after` registered inside a hook would run
// as soon as that hook ends.
process.on('exit', () => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder, removed when the test process exits. */
export function tempDir(prefix = 'quarry-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirs.push(dir);
  return dir;
}

/** A sources folder holding a copy of the article. */
export function articleSources(): string {
  const dir = tempDir('quarry-sources-');
  cpSync(ARTICLE_PATH, join(dir, ARTICLE_ID));
  return dir;
}

export function testConfig(overrides: Record<string, string> = {}): CoreConfig {
  return loadCoreConfig({
    EMBEDDING_MODEL: FIXTURE_MODEL,
    SOURCES_DIR: overrides.SOURCES_DIR ?? articleSources(),
    INDEX_DIR: overrides.INDEX_DIR ?? join(tempDir('quarry-index-'), 'index'),
    MODEL_CACHE_DIR: overrides.MODEL_CACHE_DIR ?? join(tempDir('quarry-models-'), 'models'),
    URL_SOURCES_FILE: overrides.URL_SOURCES_FILE ?? join(tempDir('quarry-urls-'), 'none.json'),
    SERVERS_DIR: overrides.SERVERS_DIR ?? join(tempDir('quarry-servers-'), 'servers'),
    ...postgresBackend(),
    ...overrides,
  });
}

let schemas = 0;
/**
 * With QUARRY_TEST_BACKEND=postgres (see test/*.postgres.test.ts), each config gets the test
 * database (QUARRY_TEST_DATABASE_URL) and a schema of its own, so tests do not see each other's
 * indexes.
 */
export function postgresBackend(): Record<string, string> {
  const url = process.env.QUARRY_TEST_DATABASE_URL;
  if (process.env.QUARRY_TEST_BACKEND !== 'postgres' || !url) return {};
  return { DATABASE_URL: url, DATABASE_SCHEMA: `t${process.pid}_${Date.now() % 1e6}_${schemas++}` };
}

/** Records warnings the code logs, so tests can assert a warning was (or was not) given. */
export async function captureLogs<T>(work: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const { setLogSink } = await import('../src/log.ts');
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  try {
    return { result: await work(), lines };
  } finally {
    setLogSink(previous);
  }
}

export interface ProcessOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** tsx resolved from the repo, so processes can run TypeScript from any working folder. */
export const TSX = import.meta.resolve('tsx');

/**
 * Runs a command to completion; a non-zero exit is an outcome, not an exception. `input` is
 * written to its stdin, which is then closed.
 */
export async function runProcess(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string },
): Promise<ProcessOutcome> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { env: options.env, cwd: options.cwd ?? ROOT, timeout: options.timeoutMs ?? 120000 },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs a TypeScript entry point of the repo (e.g. src/cli/ask.ts) with node and tsx. */
export function runTypeScript(
  entry: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<ProcessOutcome> {
  return runProcess(process.execPath, ['--import', TSX, join(ROOT, entry), ...args], options);
}

/** Checks the PNG signature and returns the IHDR width and height. */
export function pngSize(png: Buffer): { width: number; height: number } {
  assert.deepEqual(
    [...png.subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    'PNG signature',
  );
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/**
 * Options that run a child process without root's power to read and write anything, so a test
 * of an unreadable folder or an unwritable INDEX_DIR can really fail. Root drops to `nobody`
 * (65534); any other user already lacks that power. The folders the child must reach are made
 * world-readable by the caller.
 */
export function unprivileged(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
}

/**
 * Why an unprivileged child cannot run from this checkout, or false when it can. A clone under a
 * folder only its owner may enter (`mktemp -d` makes mode 700) is out of `nobody`'s reach: the
 * child could not even load tsx, so such tests are skipped with this reason instead of failing
 * for a reason that has nothing to do with what they test.
 */
export const unprivilegedSkip: string | false = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = spawnSync(
    process.execPath,
    ['-e', `require('node:fs').accessSync(${JSON.stringify(join(ROOT, 'package.json'))})`],
    { uid: 65534, gid: 65534 },
  );
  return probe.status === 0
    ? false
    : `user nobody cannot reach ${ROOT} (a parent folder is not world-searchable), so a test that drops root's power cannot run here`;
})();

/** Runs an ES module snippet under tsx as an unprivileged user; resolves with its outcome. */
export async function runUnprivileged(
  code: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProcessOutcome> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, '--input-type=module', '-e', code],
      { env: { ...env, HOME: tmpdir() }, cwd: ROOT, timeout: 120000, ...unprivileged() },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/**
 * Counts onnxruntime model runs (every embedding model call, on this thread) while `work` runs:
 * onnxruntime-node's sessions are onnxruntime-common's InferenceSession (the CommonJS build,
 * which is the one onnxruntime-node loads).
 */
export async function countModelRuns(work: () => Promise<unknown>): Promise<number> {
  const { createRequire } = await import('node:module');
  const { InferenceSession } = createRequire(import.meta.url)('onnxruntime-common') as {
    InferenceSession: { prototype: { run: (...args: unknown[]) => Promise<unknown> } };
  };
  const run = InferenceSession.prototype.run;
  let runs = 0;
  InferenceSession.prototype.run = function (this: unknown, ...args: unknown[]) {
    runs++;
    return run.apply(this, args);
  };
  try {
    await work();
    return runs;
  } finally {
    InferenceSession.prototype.run = run;
  }
}
