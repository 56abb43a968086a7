/**
 * Routes interactions to command modules: runs the guards a command declares, then the command;
 * a failure is reported once, by reportFailure (failure.ts).
 */
import type { Interaction } from 'discord.js';
import { log } from '../log.ts';
import type { BotContext, Command } from './command-contract.ts';
import { reportFailure } from './failure.ts';
import { notice } from './respond.ts';

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
    if (!interaction.isChatInputCommand()) return;
    const command = commands.get(interaction.commandName);
    try {
      if (!command) throw new Error(`no handler for /${interaction.commandName}; run npm run deploy`);
      for (const guard of command.guards ?? []) {
        const refusal = guard(interaction, context);
        if (refusal) {
          log.debug(`bot: /${interaction.commandName} refused (${refusal.code})`);
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
