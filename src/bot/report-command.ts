/**
 * What /gaps and /stats share: a moderator-only slash command with an optional `days` option,
 * answered privately. The moderator check is repeated on every call (see permissions.ts).
 */
import {
  type ChatInputCommandInteraction,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from 'discord.js';
import type { BotContext } from './command.ts';
import { isModerator } from './permissions.ts';
import { defer, notice } from './respond.ts';

export function reportCommand(name: string, description: string, defaultDays: number) {
  return new SlashCommandBuilder()
    .setName(name)
    .setDescription(description)
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addIntegerOption((option) =>
      option
        .setName('days')
        .setDescription(`How many days back (default ${defaultDays})`)
        .setMinValue(1)
        .setMaxValue(3650),
    );
}

/**
 * Refuses a non-moderator; otherwise acknowledges privately and returns the server and the
 * number of days asked for (never more than are kept).
 */
export async function startReport(
  interaction: ChatInputCommandInteraction,
  context: BotContext,
  defaultDays: number,
): Promise<{ guildId: string; days: number } | null> {
  if (!interaction.guildId || !isModerator(interaction, context.config.moderatorRoleIds)) {
    await notice(
      interaction,
      `Only moderators (Manage Server permission or a moderator role) can use /${interaction.commandName}.`,
    );
    return null;
  }
  await defer(interaction, true);
  const days = Math.min(interaction.options.getInteger('days') ?? defaultDays, context.config.retentionDays);
  return { guildId: interaction.guildId, days };
}
