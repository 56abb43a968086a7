/**
 * Guards commands declare (`export const guards = [...]`) and the dispatcher checks before
 * `execute`, so no command repeats a permission or state check and none can forget one.
 */
import type { Guard } from './command-contract.ts';
import { isModerator } from './permissions.ts';

/** Per-member cooldown (the command starts it once it accepts the request). */
export const cooldown: Guard = (interaction, { cooldowns }) => {
  const wait = cooldowns.remaining(interaction.user.id);
  return wait > 0 ? { code: 'guard.cooldown', message: `Please wait ${wait} s before asking again.` } : null;
};

// Guards for changing sources live in scope.ts (maySourcesChange, notWhileChanging): who may
// change sources depends on which knowledge base (this server's, or the shared one) the command
// names. moderatorOnly is for the reports (/gaps, /stats), which are always about this server.
export const moderatorOnly: Guard = (interaction, { config }) =>
  isModerator(interaction, config.moderatorRoleIds)
    ? null
    : {
        code: 'guard.moderator-only',
        message: `Only moderators (Manage Server permission or a moderator role) can use ${interaction.isChatInputCommand() ? `/${interaction.commandName}` : interaction.commandName}.`,
      };
