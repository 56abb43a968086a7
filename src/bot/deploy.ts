/**
 * `npm run deploy`: registers the slash commands from commands/ by bulk overwrite — in GUILD_ID
 * when set (instant), else globally. Overwriting with the same list changes nothing, so running
 * it twice is safe.
 */
import { REST, Routes } from 'discord.js';
import { loadBotConfig, loadEnvFile } from '../config.ts';
import { isUserFacing, UserFacingError } from '../errors.ts';
import { log, registerSecret, setLogLevel } from '../log.ts';
import { discordStartupError } from './client.ts';
import { loadCommands } from './command-loader.ts';

async function main(): Promise<void> {
  loadEnvFile();
  setLogLevel(process.env.LOG_LEVEL);
  const config = loadBotConfig();
  registerSecret(config.token);
  if (!config.clientId) {
    throw new UserFacingError(
      'config',
      'DISCORD_CLIENT_ID is not set',
      'copy the Application ID from the developer portal into .env',
    );
  }
  const commands = await loadCommands();
  const body = [...commands.values()].map((c) => c.data.toJSON());
  const rest = new REST(config.restApi ? { api: config.restApi } : {}).setToken(config.token);
  const route = config.guildId
    ? Routes.applicationGuildCommands(config.clientId, config.guildId)
    : Routes.applicationCommands(config.clientId);
  const registered = (await rest.put(route, { body })) as { name: string; type?: number }[];
  const where = config.guildId
    ? `in server ${config.guildId}`
    : 'globally (other servers may take a moment to show them)';
  process.stdout.write(
    `deploy: registered ${registered.length} commands ${where}: ${registered.map((c) => (c.type === 3 ? `"${c.name}" (message)` : `/${c.name}`)).join(' ')}\n`,
  );
}

main().catch((raw: unknown) => {
  const error = discordStartupError(raw);
  if (isUserFacing(error)) process.stderr.write(`${error.message}\n`);
  else log.error('deploy: failed:', error);
  process.exit(1);
});
