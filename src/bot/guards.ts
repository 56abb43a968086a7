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

export const moderatorOnly: Guard = (interaction, { config }) =>
  isModerator(interaction, config.moderatorRoleIds)
    ? null
    : {
        code: 'guard.moderator-only',
        message: 'Only moderators (Manage Server permission or a moderator role) can reload the sources.',
      };

/** Refused at once instead of after acknowledging; Quarry refuses a second reload anyway. */
export const notWhileReloading: Guard = (_interaction, { quarry }) =>
  quarry.isReloading
    ? { code: 'guard.reloading', message: 'A reload is already running; wait for it to finish.' }
    : null;
