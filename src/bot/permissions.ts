/**
 * Who may run moderator commands. Checked on our side on every call, not only through the
 * command's default_member_permissions: a server admin can change which members see and run
 * a command, but not what permissions or roles a member has.
 */
import {
  type ButtonInteraction,
  type CommandInteraction,
  GuildMember,
  PermissionFlagsBits,
} from 'discord.js';

export function isModerator(
  interaction: CommandInteraction | ButtonInteraction,
  moderatorRoleIds: readonly string[],
): boolean {
  if (!interaction.inGuild()) return false;
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return true;
  const member = interaction.member;
  const roles: readonly string[] =
    member instanceof GuildMember ? [...member.roles.cache.keys()] : member.roles;
  return moderatorRoleIds.some((id) => roles.includes(id));
}

/** BOT_OWNER_IDS: the only members who may change the shared sources from Discord. */
export function isOwner(userId: string, ownerIds: readonly string[]): boolean {
  return ownerIds.includes(userId);
}
