/**
 * Guards commands declare (`export const guards = [...]`) and the dispatcher checks before
 * `execute`, so no command repeats a permission or state check and none can forget one.
 */
import type { Guard } from './command-contract.ts';

/** Per-member cooldown (the command starts it once it accepts the request). */
export const cooldown: Guard = (interaction, { cooldowns }) => {
  const wait = cooldowns.remaining(interaction.user.id);
  return wait > 0 ? { code: 'guard.cooldown', message: `Please wait ${wait} s before asking again.` } : null;
};

// Moderator and reload guards live in scope.ts: who may change sources depends on which
// knowledge base (this server's, or the shared one) the command names.
