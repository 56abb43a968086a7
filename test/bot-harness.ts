/**
 * The real bot with a real discord.js client against the local stand-in of Discord, answering
 * from a real index (fixture model unless a config is given). Shared by the bot tests and the
 * burst benchmark, with helpers to read what a member would see.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Bot, startBot } from '../src/bot/client.ts';
import { loadCommands } from '../src/bot/command-loader.ts';
import { type BotConfig, type CoreConfig, loadBotConfig } from '../src/config.ts';
import { Quarry } from '../src/quarry.ts';
import {
  MODERATOR_ROLE_ID,
  OWNER_ID,
  type RecordedCall,
  type StandIn,
  startDiscordStandIn,
} from './discord-stand-in.ts';
import { tempDir, testConfig } from './helpers.ts';

export interface MessageBody {
  type?: number;
  content?: string;
  flags?: number;
  allowed_mentions?: unknown;
  embeds?: { title?: string; description?: string; footer?: { text: string } }[];
  components?: { type: number; components: { type: number; custom_id: string; label: string }[] }[];
}

export const isCallback = (call: RecordedCall) => call.path.endsWith('/callback');
/** The reply a member ends up seeing: an edit of the deferred reply, or an immediate reply. */
export const isFinalReply = (call: RecordedCall) =>
  call.method === 'PATCH' || (isCallback(call) && call.body?.type === 4);
/** The message of a call: `data` of an interaction callback, the body of a webhook edit. */
export const messageBody = (call: RecordedCall): MessageBody =>
  ((isCallback(call) ? call.body?.data : call.body) ?? {}) as MessageBody;
export const messageText = (call: RecordedCall) => JSON.stringify(messageBody(call));

export interface TestBot {
  discord: StandIn;
  bot: Bot;
  quarry: Quarry;
  config: CoreConfig;
  stop(): Promise<void>;
}

export async function startTestBot(options: {
  token: string;
  extraSources?: Record<string, string>;
  config?: CoreConfig;
  bot?: Partial<BotConfig>;
  open?: boolean;
}): Promise<TestBot> {
  const discord = await startDiscordStandIn();
  const config = options.config ?? testConfig();
  for (const [name, text] of Object.entries(options.extraSources ?? {}))
    writeFileSync(join(config.sourcesDir, name), text);
  const quarry = new Quarry(config);
  if (options.open !== false) await quarry.open();
  const botConfig: BotConfig = {
    ...loadBotConfig({
      DISCORD_TOKEN: options.token,
      MODERATOR_ROLE_IDS: MODERATOR_ROLE_ID,
      BOT_OWNER_IDS: OWNER_ID,
      ASK_COOLDOWN_SECONDS: '0',
      FEEDBACK_DB: join(tempDir('quarry-feedback-'), 'feedback.db'),
    }),
    restApi: discord.restApi,
    ...options.bot,
  };
  // A bot that fails to start must not leave the stand-in listening (the test file would never exit).
  const bot = await startBot({ config: botConfig, quarry, commands: await loadCommands() }).catch(
    async (error) => {
      await discord.close();
      throw error;
    },
  );
  return {
    discord,
    bot,
    quarry,
    config,
    async stop() {
      await bot.stop();
      await discord.close();
    },
  };
}
