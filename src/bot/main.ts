/**
 * `npm start`: validate the configuration, load (or build) the index before going online so the
 * first /ask is fast, log in, and shut down cleanly on SIGINT/SIGTERM. Index writes are atomic
 * generations, so even a kill mid-reload never leaves a half-written index.
 */
import { loadBotConfig, loadCoreConfig } from '../config.ts';
import { runEntry } from '../entry.ts';
import { errorMessage } from '../errors.ts';
import { log } from '../log.ts';
import { terminalProgress } from '../progress.ts';
import { Quarry } from '../quarry.ts';
import { type Bot, discordStartupError, startBot } from './client.ts';
import { loadCommands } from './command-loader.ts';
import { describeScope, syncCommands } from './register.ts';
import { runShards, shardPlan, stopShards } from './shards.ts';

/**
 * Signal handlers go in before any start-up work: a SIGTERM that lands between "logged in" and the
 * handler being installed would otherwise kill the process by the default action (no drain, no
 * exit code). A stop requested during start-up exits at once: nothing is running yet, and index
 * writes are atomic generations (a lock left behind is taken over as stale).
 */
function handleStopSignals(): { setBot(bot: Pick<Bot, 'stop'>): void } {
  let bot: Pick<Bot, 'stop'> | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`quarry: ${signal} received, ${bot ? 'shutting down' : 'stopping during start-up'}`);
    await bot?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  return {
    setBot(started) {
      bot = started;
    },
  };
}

async function main(): Promise<void> {
  const stopSignals = handleStopSignals();
  const config = loadBotConfig();
  const plan = shardPlan(process.env);
  // Checked here too under shards: a mistake stops `npm start` at once, not each shard in turn.
  const coreConfig = loadCoreConfig();
  if (plan) {
    // SHARDS set: this process only runs and watches the shard processes (src/bot/shards.ts),
    // until one stops on a configuration problem (then exit code 1, like the unsharded bot).
    const script = process.argv[1] ?? '';
    return runShards(plan, {
      token: config.token,
      restApi: config.restApi,
      script,
      started: (manager) => stopSignals.setBot({ stop: () => stopShards(manager) }),
    });
  }
  const quarry = new Quarry(coreConfig);
  const commands = await loadCommands();

  const progress = terminalProgress();
  const started = performance.now();
  const snapshot = await quarry.open(progress);
  progress.end();
  log.info(
    `quarry: ${snapshot.passages.length} passages from ${snapshot.manifest.sources.length} sources ready ` +
      `in ${Math.round(performance.now() - started)} ms (${snapshot.manifest.model.id})`,
  );

  const bot: Bot = await startBot({ config, quarry, commands });
  stopSignals.setBot(bot);
  log.info(
    `discord: logged in as ${bot.client.user?.tag ?? 'unknown'}; commands: ${[...commands.keys()].map((c) => (c.includes(' ') ? `"${c}"` : `/${c}`)).join(' ')}`,
  );
  // Under shards, one process registers (the one running shard 0): the commands are global.
  if (!bot.client.shard || bot.client.shard.ids.includes(0)) {
    await registerCommands(bot, config.guildId, commands);
  }
}

/**
 * Registers the commands when Discord's list differs from ours, under the application id Discord
 * gave at login. A failure is a warning: commands registered earlier keep working.
 */
async function registerCommands(
  bot: Bot,
  guildId: string | undefined,
  commands: Awaited<ReturnType<typeof loadCommands>>,
): Promise<void> {
  const applicationId = bot.client.application?.id;
  if (!applicationId) return;
  try {
    const changed = await syncCommands(bot.client.rest, applicationId, guildId, commands);
    log.info(`discord: commands ${changed ? 'registered' : 'up to date'} ${describeScope(guildId)}`);
  } catch (error) {
    log.warn(
      `discord: could not register the commands ${describeScope(guildId)} (${errorMessage(error)}); ` +
        'invite the bot with the applications.commands scope, or run npm run deploy',
    );
  }
}

runEntry(main, { name: 'quarry', mapError: discordStartupError });
