/**
 * The contract of a slash command module in commands/ (checked when the loader imports it), and
 * what the dispatcher gives it to do its work.
 */
import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { BotConfig } from '../config.ts';
import type { Quarry } from '../quarry.ts';
import type { Cooldowns } from './cooldowns.ts';

export interface BotContext {
  quarry: Quarry;
  config: BotConfig;
  cooldowns: Cooldowns;
}

/** Why a guard stopped a command: a stable code (for logs and tests) and what the member reads. */
export interface Refusal {
  code: string;
  message: string;
}

/**
 * A condition a command declares and the dispatcher checks before `execute` (Sapphire's
 * "precondition"): null lets the command run, a refusal is shown privately instead.
 */
export type Guard = (interaction: ChatInputCommandInteraction, context: BotContext) => Refusal | null;

export interface Command {
  data: { name: string; toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  /** Checked in order; the first refusal wins. */
  guards?: readonly Guard[];
  execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, context: BotContext): Promise<void>;
}

export function isCommand(value: unknown): value is Command {
  const v = value as Partial<Command> | null;
  return Boolean(
    v &&
      typeof v.execute === 'function' &&
      v.data &&
      typeof v.data.name === 'string' &&
      typeof v.data.toJSON === 'function' &&
      (v.guards === undefined ||
        (Array.isArray(v.guards) && v.guards.every((guard) => typeof guard === 'function'))),
  );
}
