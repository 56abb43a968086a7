/**
 * The Discord client: Guilds intent only (no privileged intents), mentions disabled at the client
 * level too, interactions routed through the dispatcher. Login failures become one clear line.
 */
import { Client, DiscordAPIError, Events, GatewayIntentBits } from 'discord.js';
import type { BotConfig } from '../config.ts';
import { errorMessage, UserFacingError } from '../errors.ts';
import { log } from '../log.ts';
import type { Quarry } from '../quarry.ts';
import type { Command } from './command.ts';
import { Cooldowns } from './cooldowns.ts';
import { createDispatcher } from './dispatcher.ts';
import { NO_MENTIONS } from './respond.ts';

export interface Bot {
  client: Client;
  /** Stops taking interactions and closes the gateway connection. */
  stop(): Promise<void>;
}

/** Maps what Discord says at login or registration to one actionable line where we can. */
export function discordStartupError(error: unknown): Error {
  const code = (error as { code?: unknown }).code;
  if (code === 'TokenInvalid' || (error instanceof DiscordAPIError && error.status === 401)) {
    return new UserFacingError(
      'discord',
      'Discord rejected DISCORD_TOKEN (401 Unauthorized)',
      'reset the token in the developer portal and put the new one in .env',
    );
  }
  if (code === 'DisallowedIntents') {
    return new UserFacingError(
      'discord',
      'Discord refused the gateway intents',
      'Quarry needs only the Guilds intent; check the bot settings',
    );
  }
  if (typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET)$/.test(code)) {
    return new UserFacingError('discord', `cannot reach Discord (${code})`, 'check the network connection');
  }
  return error instanceof Error ? error : new Error(errorMessage(error));
}

export async function startBot(options: {
  config: BotConfig;
  quarry: Quarry;
  commands: Map<string, Command>;
}): Promise<Bot> {
  const { config, quarry, commands } = options;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    allowedMentions: NO_MENTIONS,
    rest: {
      ...(config.restApi ? { api: config.restApi } : {}),
      // Discord does not count interaction endpoints against the global 50 requests/s limit,
      // and they are all this bot calls after login; @discordjs/rest applies the cap to
      // interaction webhook edits anyway, which made a burst of answers queue for seconds.
      // Per-route limits and 429 handling still apply.
      globalRequestsPerSecond: 1000,
    },
  });
  const dispatch = createDispatcher(commands, {
    quarry,
    config,
    cooldowns: new Cooldowns(config.askCooldownSeconds),
  });
  const running = new Set<Promise<void>>();
  let stopping = false;
  client.on(Events.InteractionCreate, (interaction) => {
    if (stopping) return;
    const task = dispatch(interaction).finally(() => running.delete(task));
    running.add(task);
  });
  client.on(Events.Error, (error) => log.error('discord:', error));
  client.on(Events.Warn, (message) => log.warn(`discord: ${message}`));
  client.on(Events.ShardDisconnect, (event) =>
    log.warn(`discord: gateway disconnected (code ${event.code}); reconnecting`),
  );
  client.on(Events.ShardResume, () => log.info('discord: gateway connection resumed'));

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  try {
    await client.login(config.token);
  } catch (error) {
    await client.destroy();
    throw discordStartupError(error);
  }
  await ready;
  return {
    client,
    async stop() {
      stopping = true;
      // Let answers already being written finish, for a few seconds at most.
      await Promise.race([Promise.allSettled([...running]), new Promise((r) => setTimeout(r, 5000))]);
      await client.destroy();
    },
  };
}
