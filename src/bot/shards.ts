/**
 * `SHARDS=auto|N` runs the bot under discord.js's own ShardingManager: this process only spawns
 * and watches one child process per shard (each a complete bot with its own model, cooldowns and
 * reload queue) and respawns a shard that dies. `SHARD_IDS` (e.g. `0-3` or `4,5`) runs only some
 * of the shards here, so the rest can run on another machine with the same `SHARDS` total.
 *
 * Why processes (ShardingManager) and not @discordjs/ws worker sharding: worker sharding moves
 * only the gateway connections into threads, and every interaction is still handled on the one
 * main thread, where embedding the question is CPU-bound work. A process per shard spreads that
 * over cores and machines, and a crash takes down one shard, not all of them. Shards share
 * nothing in memory: with DATABASE_URL they read the same indexes from Postgres.
 */
import type { ChildProcess } from 'node:child_process';
import { REST, Routes, ShardingManager } from 'discord.js';
import { EXIT_USER_ERROR } from '../entry.ts';
import { UserFacingError } from '../errors.ts';
import { log } from '../log.ts';

export interface ShardPlan {
  /** Total shards across every machine; 'auto': what Discord recommends. */
  total: number | 'auto';
  /** The shards this machine runs; 'all': every one. */
  ids: number[] | 'all';
}

/** Null when the bot runs unsharded, or when this process is itself a shard. */
export function shardPlan(env: Record<string, string | undefined>): ShardPlan | null {
  if (env.SHARDING_MANAGER) return null;
  const raw = env.SHARDS?.trim();
  if (!raw) {
    if (env.SHARD_IDS?.trim()) throw new UserFacingError('config', 'SHARD_IDS needs SHARDS (the total)');
    return null;
  }
  if (raw !== 'auto' && !/^[1-9]\d{0,4}$/.test(raw)) {
    throw new UserFacingError('config', `SHARDS must be auto or a number of shards, got "${raw}"`);
  }
  const total = raw === 'auto' ? 'auto' : Number(raw);
  return { total, ids: parseShardIds(env.SHARD_IDS, total) };
}

/** "0-3,6" → [0, 1, 2, 3, 6]; each below the total when the total is known. */
export function parseShardIds(raw: string | undefined, total: number | 'auto'): number[] | 'all' {
  if (!raw?.trim()) return 'all';
  if (total === 'auto') {
    throw new UserFacingError('config', 'SHARD_IDS needs a fixed SHARDS total', 'set SHARDS to a number');
  }
  const ids = new Set<number>();
  const countFromZero = `shard ids count from 0: with SHARDS=${total} they are ${total === 1 ? '0' : `0-${total - 1}`}`;
  for (const part of raw.split(',').map((p) => p.trim())) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range)
      throw new UserFacingError('config', `SHARD_IDS must list shard ids like 0-3,6, got "${part}"`);
    const from = Number(range[1]);
    const to = Number(range[2] ?? range[1]);
    // Checked before expanding, so a typo such as 0-99999999 cannot loop for minutes.
    if (to >= total || from >= total) {
      throw new UserFacingError(
        'config',
        `SHARD_IDS must be below SHARDS (${total}), got "${part}"`,
        countFromZero,
      );
    }
    if (from > to) {
      throw new UserFacingError(
        'config',
        `SHARD_IDS range "${part}" runs backwards`,
        `write it ${to}-${from}`,
      );
    }
    for (let id = from; id <= to; id++) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** Discord's recommended shard count (GET /gateway/bot), through DISCORD_REST_API when set. */
async function recommendedShards(token: string, restApi: string | undefined): Promise<number> {
  const rest = new REST(restApi ? { api: restApi } : {}).setToken(token);
  const { shards } = (await rest.get(Routes.gatewayBot())) as { shards: number };
  return shards;
}

/** Stops every shard of this machine (each gets SIGTERM and shuts down cleanly). */
export function stopShards(manager: ShardingManager): Promise<void> {
  // A stop signal reaches the shards too (same process group): they must not be respawned.
  manager.respawn = false;
  const exits = [...manager.shards.values()].map(
    (shard) =>
      new Promise<void>((resolve) => {
        if (!shard.process || shard.process.exitCode !== null) return resolve();
        shard.process.once('exit', () => resolve());
        shard.kill();
      }),
  );
  return Promise.all(exits).then(() => undefined);
}

/**
 * A shard that exits with code 1 without ever having been ready stopped on a problem only the
 * operator can fix (bad configuration, a database that refuses the login, a sources folder
 * missing: its one line is above in the log). Respawning it would only repeat that line every few
 * seconds for ever, and the manager would never exit with the code 1 that supervisors are told not
 * to restart on (README "Production"). A shard that has been ready is respawned whatever its exit
 * code (Node exits 1 on an uncaught error too; a database down for a while comes back), also
 * while it reconnects (discord.js then marks it not ready).
 */
function stoppedOnConfiguration(everReady: boolean, child: unknown): boolean {
  return !everReady && (child as Partial<ChildProcess> | null)?.exitCode === EXIT_USER_ERROR;
}

/**
 * Spawns this machine's shards (this same script, with the same Node flags), watches them and
 * respawns one that dies. `started` receives the manager as soon as it exists (to stop it on a
 * signal). Settles only when a shard stops on a configuration problem: every shard here is then
 * stopped and the promise rejects with that (exit code 1).
 */
export async function runShards(
  plan: ShardPlan,
  options: {
    token: string;
    restApi: string | undefined;
    script: string;
    started: (manager: ShardingManager) => void;
  },
): Promise<never> {
  const total = plan.total === 'auto' ? await recommendedShards(options.token, options.restApi) : plan.total;
  const manager = new ShardingManager(options.script, {
    totalShards: total,
    shardList: plan.ids === 'all' ? 'auto' : plan.ids,
    token: options.token,
    execArgv: process.execArgv,
    respawn: true,
  });
  let giveUp: (error: UserFacingError) => void = () => undefined;
  const gaveUp = new Promise<never>((_, reject) => {
    giveUp = reject;
  });
  manager.on('shardCreate', (shard) => {
    // The spawn loop may still create a shard after giving up (it waits 5.5 s between shards).
    if (!manager.respawn) {
      shard.once('spawn', () => shard.kill());
      return;
    }
    log.info(`shards: shard ${shard.id} of ${total} starting (process)`);
    let everReady = false;
    shard.on('ready', () => {
      everReady = true;
    });
    shard.on('death', (child) => {
      if (!manager.respawn) return;
      if (!stoppedOnConfiguration(everReady, child)) {
        log.warn(`shards: shard ${shard.id} exited; respawning`);
        return;
      }
      manager.respawn = false;
      const error = new UserFacingError(
        'shards.config',
        `shard ${shard.id} stopped on a problem the line above names; not respawning it, stopping the shards here`,
        'fix it, then start again',
      );
      // discord.js respawns this shard right after this event (it read `respawn` before): stop
      // that one too, once it exists.
      setImmediate(() => void stopShards(manager).then(() => giveUp(error)));
    });
  });
  options.started(manager);
  log.info(`shards: ${plan.ids === 'all' ? `all ${total}` : plan.ids.join(',')} of ${total} on this machine`);
  // discord.js's default 5.5 s between shards respects Discord's identify rate limit; loading the
  // model and index takes a while on a small machine, so no 30 s ready timeout.
  await Promise.race([manager.spawn({ amount: total, timeout: -1 }), gaveUp]);
  return gaveUp;
}
