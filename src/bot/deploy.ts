/**
 * `npm run deploy` (optional: `npm start` registers changed commands itself): registers the slash
 * commands from commands/ by bulk overwrite — in GUILD_ID when set (instant), else globally.
 * Overwriting with the same list changes nothing, so running it twice is safe.
 */
import { REST } from 'discord.js';
import { loadBotConfig } from '../config.ts';
import { runEntry } from '../entry.ts';
import { discordStartupError } from './client.ts';
import { loadCommands } from './command-loader.ts';
import { applicationIdOf, commandBodies, commandsRoute, describeScope } from './register.ts';

async function main(): Promise<number> {
  const config = loadBotConfig();
  const applicationId = applicationIdOf(config);
  const body = commandBodies(await loadCommands());
  const rest = new REST(config.restApi ? { api: config.restApi } : {}).setToken(config.token);
  const registered = (await rest.put(commandsRoute(applicationId, config.guildId), { body })) as {
    name: string;
    type?: number;
  }[];
  process.stdout.write(
    `deploy: registered ${registered.length} commands ${describeScope(config.guildId)}: ${registered.map((c) => (c.type === 3 ? `"${c.name}" (message)` : `/${c.name}`)).join(' ')}\n`,
  );
  return 0;
}

runEntry(main, { name: 'deploy', mapError: discordStartupError });
