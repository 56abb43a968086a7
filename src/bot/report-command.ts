/**
 * What /gaps and /stats share: a moderator-only slash command (registered with Manage Server as
 * its default permission; the moderatorOnly guard checks again on every call) with an optional
 * `days` option, answered privately.
 */
import {
  type ChatInputCommandInteraction,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from 'discord.js';
import type { BotContext } from './command-contract.ts';
import { moderatorOnly } from './guards.ts';
import { defer } from './respond.ts';

export const reportGuards = [moderatorOnly];

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
 * Acknowledges privately and returns the server and the number of days asked for (never more
 * than are kept); null outside a server (moderatorOnly refuses that already).
 */
export async function startReport(
  interaction: ChatInputCommandInteraction,
  context: BotContext,
  defaultDays: number,
): Promise<{ guildId: string; days: number } | null> {
  if (!interaction.guildId) return null;
  await defer(interaction, true);
  const days = Math.min(interaction.options.getInteger('days') ?? defaultDays, context.config.retentionDays);
  return { guildId: interaction.guildId, days };
}
