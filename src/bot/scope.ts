/**
 * Which knowledge base a command changes, and whether this member may change it: a server's own
 * sources for its moderators, the shared sources only for BOT_OWNER_IDS. A moderator of one server
 * can only ever be given that server's base: the guild id comes from the interaction, never from
 * an option.
 */
import type { ButtonInteraction, ChatInputCommandInteraction } from 'discord.js';
import { UserFacingError } from '../errors.ts';
import type { AuditAction, AuditOutcome } from '../feedback/audit.ts';
import { log } from '../log.ts';
import type { KnowledgeBase } from '../servers/knowledge-base.ts';
import type { BotContext, Guard } from './command-contract.ts';
import { isModerator, isOwner } from './permissions.ts';

export const SHARED = 'shared';

export function baseFor(
  interaction: ChatInputCommandInteraction | ButtonInteraction,
  context: BotContext,
  shared: boolean,
): KnowledgeBase {
  if (shared) {
    if (!isOwner(interaction.user.id, context.config.ownerIds)) {
      throw new UserFacingError(
        'sources',
        'only the bot owners (BOT_OWNER_IDS) can change the shared sources',
        "change this server's own sources instead",
      );
    }
    return context.knowledgeBases.shared;
  }
  if (!interaction.guildId || !canModerate(interaction, context)) {
    throw new UserFacingError(
      'sources',
      "only moderators (Manage Server permission or a moderator role) can change this server's sources",
    );
  }
  return context.knowledgeBases.forServer(interaction.guildId);
}

/** Subcommands anyone may run; every other subcommand (and /reload) changes or audits sources. */
const READ_ONLY_SUBCOMMANDS = new Set(['list', 'show']);

const wantsShared = (interaction: ChatInputCommandInteraction) =>
  interaction.options.getBoolean('shared') ?? false;

const MODERATORS_ONLY = {
  code: 'guard.moderator-only',
  message: "Only moderators (Manage Server permission or a moderator role) can change this server's sources.",
};

/**
 * Guard: a moderator for this server's sources, a bot owner for the shared ones (`shared: true`).
 * Moderators of one server moderate that server only: Manage Server is no right over what every
 * server reads.
 */
export const maySourcesChange: Guard = (interaction, context) => {
  // Declared by /sources and /reload only (slash commands); refuse anything else rather than guess.
  if (!interaction.isChatInputCommand()) return MODERATORS_ONLY;
  // `/sources` alone is the listing (older clients, the tests' stand-in); `/reload` always changes.
  const sub = interaction.options.getSubcommand(false) ?? 'list';
  if (interaction.commandName === 'sources' && READ_ONLY_SUBCOMMANDS.has(sub)) return null;
  const shared = wantsShared(interaction);
  if (shared ? isOwner(interaction.user.id, context.config.ownerIds) : canModerate(interaction, context))
    return null;
  return shared
    ? {
        code: 'guard.owner-only',
        message: 'Only the bot owners (BOT_OWNER_IDS) can change the shared sources.',
      }
    : MODERATORS_ONLY;
};

/** Guard: one change at a time per knowledge base (Quarry refuses a second reload anyway). */
export const notWhileChanging: Guard = (interaction, context) =>
  interaction.isChatInputCommand() && baseFor(interaction, context, wantsShared(interaction)).busy
    ? { code: 'guard.reloading', message: 'A reload is already running; wait for it to finish.' }
    : null;

function canModerate(
  interaction: ChatInputCommandInteraction | ButtonInteraction,
  context: BotContext,
): boolean {
  return Boolean(interaction.guildId) && isModerator(interaction, context.config.moderatorRoleIds);
}

/** The audit log's name for a base: its guild id, or "shared". */
export function auditKey(base: KnowledgeBase): string {
  return base.scope.kind === 'shared' ? SHARED : base.scope.guildId;
}

export function recordChange(
  context: BotContext,
  entry: {
    base: KnowledgeBase;
    actorId: string;
    action: AuditAction;
    source: string | null;
    outcome: AuditOutcome;
    detail: string | null;
  },
): void {
  try {
    context.audit?.record({
      guildId: auditKey(entry.base),
      actorId: entry.actorId,
      action: entry.action,
      source: entry.source,
      outcome: entry.outcome,
      detail: entry.detail,
    });
  } catch (error) {
    // The change itself happened (or failed) already; a full disk must not hide that from the member.
    log.error('feedback: could not record a sources change in the audit log:', error);
  }
}
