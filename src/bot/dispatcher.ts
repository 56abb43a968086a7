/**
 * Routes interactions to command modules: runs the guards a command declares, then the command;
 * a failure is reported once, by reportFailure (failure.ts). A button goes to the command its
 * custom id names ("sources:…"), otherwise to the feedback handler (feedback-buttons.ts).
 */
import type { Interaction } from 'discord.js';
import { log } from '../log.ts';
import type { BotContext, Command } from './command-contract.ts';
import { reportFailure } from './failure.ts';
import { handleFeedbackButton } from './feedback-buttons.ts';
import { describeInteraction, notice } from './respond.ts';

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
      // "<command>:…" goes to that command's button handler (e.g. /sources' confirmations);
      // everything else (the "fb:" buttons under answers) to the feedback handler.
      const command = commands.get(interaction.customId.split(':')[0] ?? '');
      if (command?.button) {
        try {
          await command.button(interaction, context);
        } catch (error) {
          log.error(`bot: button ${interaction.customId.split(':').slice(0, 2).join(':')} failed:`, error);
        }
        return;
      }
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
    const name = describeInteraction(interaction);
    try {
      if (!command) throw new Error(`no handler for ${name}; run npm run deploy`);
      for (const guard of command.guards ?? []) {
        const refusal = guard(interaction, context);
        if (refusal) {
          log.debug(`bot: ${name} refused (${refusal.code})`);
          await notice(interaction, refusal.message);
          return;
        }
      }
      await command.execute(interaction, context);
    } catch (error) {
      await reportFailure(interaction, error);
    }
  };
}
