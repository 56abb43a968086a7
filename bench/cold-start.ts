/** Process start → first answer, with the index on disk and the model cached, and with a forced rebuild. */

import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreConfig } from '../src/config.ts';
import { childEnv } from './child-env.ts';
import { median, round } from './stats.ts';

function runChild(env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ readyMs: number; rssMb: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // The compiled child, as `npm start` runs the bot: under tsx, importing transformers.js alone
    // costs about 0.7 s and 160 MB more (tsx transforms its 1.5 MB bundle).
    const child = spawn(process.execPath, [join('dist', 'bench', 'cold-start-child.js'), ...args], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let readyMs = Number.NaN;
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (Number.isNaN(readyMs) && output.includes('READY')) readyMs = performance.now() - started;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const rss = /RSS (\d+)/.exec(output);
      if (code !== 0 || !rss) reject(new Error(`bench: cold-start child exited ${code}`));
      else resolve({ readyMs, rssMb: Number(rss[1]) / 1048576 });
    });
  });
}

/**
 * Alternating: a forced rebuild (no index on disk), then a start that loads the index that
 * rebuild just wrote. So every warm start has an index on disk without a separate child run
 * only to build one (it cost a whole model load and build, about 1.5 s, and measured nothing).
 */
export async function benchColdStart(config: CoreConfig, workDir: string, runs: number) {
  const indexDir = join(workDir, 'cold-index');
  const env = childEnv(config, { INDEX_DIR: indexDir });
  const warm: number[] = [];
  const rss: number[] = [];
  const rebuild: number[] = [];
  for (let i = 0; i < runs; i++) {
    rmSync(indexDir, { recursive: true, force: true });
    rebuild.push((await runChild(env, ['--ready-only'])).readyMs);
    const r = await runChild(env);
    warm.push(r.readyMs);
    rss.push(r.rssMb);
  }
  return {
    coldStartMs: round(median(warm), 0),
    coldStartRebuildMs: round(median(rebuild), 0),
    rssMb: round(median(rss), 1),
  };
}
