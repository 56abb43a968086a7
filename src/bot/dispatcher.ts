/**
 * Routes interactions to command modules. A UserFacingError becomes its message, shown privately;
 * anything else is a bug: the member gets a short apology with an error id, the log gets the
 * details (tokens redacted by the logger).
 */
import { randomBytes } from 'node:crypto';
import type { Interaction, RepliableInteraction } from 'discord.js';
import { isUserFacing } from '../errors.ts';
import { log } from '../log.ts';
import type { BotContext, Command } from './command.ts';
import { handleFeedbackButton } from './feedback-buttons.ts';
import { notice } from './respond.ts';

export function newErrorId(): string {
  return randomBytes(3).toString('hex');
}

/** What the log calls an interaction: `/ask`, `Ask Quarry`, `button fb:up:12`. */
function describe(interaction: RepliableInteraction): string {
  if (interaction.isButton()) return `button ${interaction.customId}`;
  if (interaction.isChatInputCommand()) return `/${interaction.commandName}`;
  return interaction.isCommand() ? interaction.commandName : 'interaction';
}

async function reportFailure(interaction: RepliableInteraction, error: unknown): Promise<void> {
  let text: string;
  if (isUserFacing(error)) {
    text = error.message;
  } else {
    const id = newErrorId();
    log.error(`bot: ${describe(interaction)} failed (error id ${id}):`, error);
    text = `Sorry, something went wrong (error id \`${id}\`). The details are in the bot's log.`;
  }
  try {
    await notice(interaction, text);
  } catch (deliveryError) {
    log.warn(`bot: could not tell the member that ${describe(interaction)} failed:`, deliveryError);
  }
}

export function createDispatcher(commands: ReadonlyMap<string, Command>, context: BotContext) {
  return async (interaction: Interaction): Promise<void> => {
    if (interaction.isAutocomplete()) {
      const command = commands.get(interaction.commandName);
      try {
        await command?.autocomplete?.(interaction, context);
      } catch (error) {
        log.warn(`bot: autocomplete for /${interaction.commandName} failed:`, error);
      }
      return;
    }
    if (interaction.isButton()) {
      try {
        if (!(await handleFeedbackButton(interaction, context)))
          log.warn(`bot: no handler for button ${interaction.customId}`);
      } catch (error) {
        await reportFailure(interaction, error);
      }
      return;
    }
    if (!interaction.isChatInputCommand() && !interaction.isMessageContextMenuCommand()) return;
    const command = commands.get(interaction.commandName);
    if (!command) {
      await reportFailure(
        interaction,
        new Error(`no handler for ${describe(interaction)}; run npm run deploy`),
      );
      return;
    }
    try {
      await command.execute(interaction, context);
    } catch (error) {
      await reportFailure(interaction, error);
    }
  };
}
