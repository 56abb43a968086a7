/** What a command module in commands/ exports, and what it is given to do its work. */
import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  MessageContextMenuCommandInteraction,
  RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import type { BotConfig } from '../config.ts';
import type { Feedback } from '../feedback/feedback.ts';
import type { Quarry } from '../quarry.ts';
import type { Cooldowns } from './cooldowns.ts';

export interface BotContext {
  quarry: Quarry;
  config: BotConfig;
  cooldowns: Cooldowns;
  feedback: Feedback;
}

/** A slash command, or a message command (right-click → Apps) when its data says so. */
export interface Command {
  data: { name: string; toJSON(): RESTPostAPIApplicationCommandsJSONBody };
  execute(
    interaction: ChatInputCommandInteraction | MessageContextMenuCommandInteraction,
    context: BotContext,
  ): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, context: BotContext): Promise<void>;
}

export function isCommand(value: unknown): value is Command {
  const v = value as Partial<Command> | null;
  return Boolean(
    v &&
      typeof v.execute === 'function' &&
      v.data &&
      typeof v.data.name === 'string' &&
      typeof v.data.toJSON === 'function',
  );
}
