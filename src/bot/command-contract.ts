/**
 * The contract of a command module in commands/ (checked when the loader imports it), and what
 * the dispatcher gives it to do its work. A module is a slash command, or a message command
 * (right-click a message → Apps) when its `data` is a ContextMenuCommandBuilder.
 */
import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  MessageContextMenuCommandInteraction,
  RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import type { BotConfig } from '../config.ts';
import type { SourcesAudit } from '../feedback/audit.ts';
import type { Feedback } from '../feedback/feedback.ts';
import type { Quarry } from '../quarry.ts';
import type { KnowledgeBases } from '../servers/knowledge-bases.ts';
import type { Cooldowns } from './cooldowns.ts';

export interface BotContext {
  quarry: Quarry;
  config: BotConfig;
  cooldowns: Cooldowns;
  /** The shared and per-server sources; `quarry` is the shared one's. */
  knowledgeBases: KnowledgeBases;
  /** Null when the database cannot be opened: changes still work, unrecorded (logged). */
  audit: SourcesAudit | null;
  feedback: Feedback;
}

/** The interactions a command module runs for. */
export type CommandInteraction = ChatInputCommandInteraction | MessageContextMenuCommandInteraction;

/** Why a guard stopped a command: a stable code (for logs and tests) and what the member reads. */
export interface Refusal {
  code: string;
  message: string;
}

/**
 * A condition a command declares and the dispatcher checks before `execute` (Sapphire's
 * "precondition"): null lets the command run, a refusal is shown privately instead.
 */
export type Guard = (interaction: CommandInteraction, context: BotContext) => Refusal | null;

export interface Command {
  data: { name: string; toJSON(): RESTPostAPIApplicationCommandsJSONBody };
  /** Checked in order; the first refusal wins. */
  guards?: readonly Guard[];
  execute(interaction: CommandInteraction, context: BotContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, context: BotContext): Promise<void>;
  /** Buttons whose custom id starts with "<command name>:". */
  button?(interaction: ButtonInteraction, context: BotContext): Promise<void>;
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
