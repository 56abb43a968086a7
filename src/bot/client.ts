/**
 * The Discord client: Guilds intent only (no privileged intents), mentions disabled at the client
 * level too, interactions routed through the dispatcher. Login failures become one clear line.
 */
import { Client, DiscordAPIError, Events, GatewayIntentBits, RESTEvents } from 'discord.js';
import type { BotConfig } from '../config.ts';
import { errorMessage, UserFacingError } from '../errors.ts';
import type { SourcesAudit } from '../feedback/audit.ts';
import { Feedback } from '../feedback/feedback.ts';
import { log } from '../log.ts';
import type { Quarry } from '../quarry.ts';
import { KnowledgeBases } from '../servers/knowledge-bases.ts';
import { PostgresAuditLog } from '../storage/postgres/audit.ts';
import type { Command } from './command-contract.ts';
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

/**
 * One log line per connection event an operator should see: the gateway lost (and
 * reconnecting), lost for good, a session Discord invalidated, a resume; and each REST answer
 * that was a 429 or a 5xx (discord.js waits or retries by itself, so these are otherwise
 * invisible). Lines go through the logger, which redacts tokens in URLs.
 */
export function logConnectionEvents(client: Client): void {
  client.on(Events.ShardReconnecting, () => log.warn('discord: gateway connection lost; reconnecting'));
  // Emitted only for close codes discord.js will not recover from (bad token, intents, …).
  client.on(Events.ShardDisconnect, (event) =>
    log.error(`discord: gateway disconnected (code ${event.code}); not reconnecting`),
  );
  client.on(Events.ShardResume, () => log.info('discord: gateway connection resumed'));
  // discord.js reports an invalid session (opcode 9) only as a debug message.
  client.on(Events.Debug, (message) => {
    const invalid = /Invalid session; will attempt to resume: (true|false)/.exec(message);
    if (invalid) {
      log.warn(
        `discord: gateway session invalidated; ${invalid[1] === 'true' ? 'resuming' : 'identifying anew'}`,
      );
    }
  });
  client.rest.on(RESTEvents.Response, (request, response) => {
    if (response.status === 429 || response.status >= 500) {
      const what = response.status === 429 ? 'rate limited (429)' : `server error (${response.status})`;
      log.warn(`discord: ${what} on ${request.method.toUpperCase()} ${request.path}; discord.js retries`);
    }
  });
}

export async function startBot(options: {
  config: BotConfig;
  quarry: Quarry;
  commands: Map<string, Command>;
  knowledgeBases?: KnowledgeBases;
  /** Default: Postgres with DATABASE_URL, else the feedback database's audit table. */
  audit?: SourcesAudit | null;
  /** Default: opened from DATABASE_URL or config.feedbackDb (and closed on stop). */
  feedback?: Feedback;
}): Promise<Bot> {
  const { config, quarry, commands } = options;
  // Postgres with DATABASE_URL (every shard and machine counts in /stats and /gaps), else the file.
  const feedback =
    options.feedback ?? (await Feedback.open({ ...quarry.config, feedbackDb: config.feedbackDb }));
  void feedback.startRetention(config.retentionDays);
  // discord.js parses SHARDS as JSON whenever it is set (its shard processes get "[0]"): a blank
  // `SHARDS=`, which Quarry reads as unsharded, stopped it with "Unexpected end of JSON input".
  if (process.env.SHARDS?.trim() === '') delete process.env.SHARDS;
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
    knowledgeBases: options.knowledgeBases ?? new KnowledgeBases(quarry.config, quarry),
    audit:
      options.audit !== undefined
        ? options.audit
        : quarry.config.databaseUrl
          ? new PostgresAuditLog(quarry.config)
          : feedback.auditLog(),
    cooldowns: new Cooldowns(config.askCooldownSeconds),
    feedback,
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
  logConnectionEvents(client);

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  try {
    await client.login(config.token);
  } catch (error) {
    await client.destroy();
    await feedback.close();
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
      await feedback.close();
    },
  };
}
