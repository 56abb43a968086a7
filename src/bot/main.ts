/**
 * `npm start`: validate the configuration, load (or build) the index before going online so the
 * first /ask is fast, log in, and shut down cleanly on SIGINT/SIGTERM. Index writes are atomic
 * generations, so even a kill mid-reload never leaves a half-written index.
 */
import { loadBotConfig, loadCoreConfig, loadEnvFile } from '../config.ts';
import { isUserFacing } from '../errors.ts';
import { log, registerSecret, setLogLevel } from '../log.ts';
import { terminalProgress } from '../progress.ts';
import { Quarry } from '../quarry.ts';
import { type Bot, startBot } from './client.ts';
import { loadCommands } from './commands.ts';

function fail(error: unknown): never {
  if (isUserFacing(error)) process.stderr.write(`${error.message}\n`);
  else log.error('quarry: failed to start:', error);
  process.exit(1);
}

async function main(): Promise<void> {
  loadEnvFile();
  setLogLevel(process.env.LOG_LEVEL);
  const config = loadBotConfig();
  registerSecret(config.token);
  const quarry = new Quarry(loadCoreConfig());
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
  log.info(
    `discord: logged in as ${bot.client.user?.tag ?? 'unknown'}; commands: ${[...commands.keys()].map((c) => `/${c}`).join(' ')}`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`quarry: ${signal} received, shutting down`);
    await bot.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch(fail);
