/**
 * One index writer at a time across processes (the bot and `npm run ingest` may share INDEX_DIR).
 * The lock file holds the owner's pid; a lock left by a process that died (kill -9) is stale and
 * taken over, so a crash never wedges the index.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserFacingError } from '../errors.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withIndexLock<T>(indexDir: string, work: () => Promise<T>): Promise<T> {
  await mkdir(indexDir, { recursive: true });
  const path = join(indexDir, 'write.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new UserFacingError(
          'index',
          `another Quarry process (pid ${owner}) is rebuilding the index`,
          'try again when it has finished',
        );
      }
      await rm(path, { force: true }); // Stale: its owner is gone.
    }
  }
  try {
    return await work();
  } finally {
    await rm(path, { force: true });
  }
}
