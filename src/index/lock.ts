/**
 * One index writer at a time across processes (the bot and `npm run ingest` may share INDEX_DIR).
 * The lock file holds the owner's pid, created with O_EXCL. A lock left by a process that died
 * (kill -9) is stale and is taken over, atomically: to replace a stale lock of pid X a process
 * must first create the claim file `write.lock.claim-X` with O_EXCL, so of several processes
 * that find the same stale lock at the same moment exactly one removes it; the others wait and
 * then find a live owner. (Reading the pid, then deleting and recreating the lock, let two
 * processes both take a stale lock in 14 of 15 synchronised trials.)
 *
 * An INDEX_DIR that cannot be written is not a crash: the work runs without the lock but is told
 * the index is read-only, so a reload with nothing to write still succeeds and one that must
 * write fails with what to fix.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, UserFacingError } from '../errors.ts';

const LOCK = 'write.lock';
/** A claim older than this was left by a process that died while taking over; it is ignored. */
const CLAIM_EXPIRY_MS = 10_000;
/** An empty lock younger than this is being written by its owner, not left behind. */
const EMPTY_LOCK_GRACE_MS = 2_000;
const ATTEMPTS = 40;
/** Failures that mean "this folder cannot be written", as opposed to bugs. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOSPC', 'EDQUOT']);

export interface IndexLock {
  /** False when INDEX_DIR cannot be written: the work may read the index but not replace it. */
  writable: boolean;
  /** Why the index is read-only (for the error the work raises if it must write after all). */
  reason?: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const code = (error: unknown) => (error as NodeJS.ErrnoException).code ?? '';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createExclusive(path: string, content: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if (code(error) === 'EEXIST') return false;
    throw error;
  }
}

/** How long ago the file was last written; 0 when it does not exist. */
async function ageMs(path: string): Promise<number> {
  return stat(path).then(
    (s) => Date.now() - s.mtimeMs,
    () => 0,
  );
}

async function ownerOf(path: string): Promise<number | null> {
  const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  return Number.isInteger(owner) && owner > 0 ? owner : null;
}

/** Replaces the stale lock of `owner` with ours, if this process wins the claim on it. */
async function takeOver(lock: string, owner: number | null): Promise<boolean> {
  const claim = `${lock}.claim-${owner ?? 'unknown'}`;
  if ((await ageMs(claim)) > CLAIM_EXPIRY_MS) await rm(claim, { force: true });
  if (!(await createExclusive(claim, String(process.pid)))) return false; // Another process is taking over.
  try {
    // Still the same stale lock? (Another process may have replaced it since we read it.)
    if ((await ownerOf(lock)) !== owner) return false;
    await rm(lock, { force: true });
    return await createExclusive(lock, String(process.pid));
  } finally {
    await rm(claim, { force: true });
  }
}

async function acquire(indexDir: string): Promise<void> {
  const lock = join(indexDir, LOCK);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await createExclusive(lock, String(process.pid))) return;
    const owner = await ownerOf(lock);
    if (owner !== null && owner !== process.pid && isAlive(owner)) {
      throw new UserFacingError(
        'index.locked',
        `another Quarry process (pid ${owner}) is rebuilding the index`,
        'try again when it has finished',
      );
    }
    // An empty lock is usually one its new owner is still writing: give it a moment.
    if (owner === null && (await ageMs(lock)) < EMPTY_LOCK_GRACE_MS) {
      await pause(20);
      continue;
    }
    if (await takeOver(lock, owner)) return;
    await pause(10 + Math.random() * 40);
  }
  throw new UserFacingError('index.locked', `could not take the index lock ${lock}`, 'try again');
}

export async function withIndexLock<T>(indexDir: string, work: (lock: IndexLock) => Promise<T>): Promise<T> {
  try {
    await mkdir(indexDir, { recursive: true });
    await acquire(indexDir);
  } catch (error) {
    if (!NOT_WRITABLE.has(code(error))) throw error;
    // Reading needs no lock: generations are immutable and CURRENT is replaced atomically.
    return work({
      writable: false,
      reason: `${indexDir} is not writable (${errorMessage(error)})`,
    });
  }
  try {
    return await work({ writable: true });
  } finally {
    await rm(join(indexDir, LOCK), { force: true });
  }
}

/** The error for work that must write to a read-only INDEX_DIR. */
export function notWritable(lock: IndexLock): UserFacingError {
  return new UserFacingError(
    'index.read-only',
    `cannot write the index: ${lock.reason ?? 'INDEX_DIR is not writable'}`,
    'make INDEX_DIR a writable folder (check its permissions, or point INDEX_DIR elsewhere); the previous index, if any, is still serving',
  );
}
