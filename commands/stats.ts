/**
 * /stats [days] — moderators, private: questions asked, answered and helpful rates, top
 * questions, and a PNG chart (questions per day answered vs not, 👍 vs 👎).
 */
import {
  type ChatInputCommandInteraction,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from 'discord.js';
import type { BotContext } from '../src/bot/command.ts';
import { formatStats } from '../src/bot/feedback-format.ts';
import { isModerator } from '../src/bot/permissions.ts';
import { defer, notice, respond } from '../src/bot/respond.ts';
import { renderStatsChart } from '../src/feedback/chart.ts';
import { computeStats, windowStart } from '../src/feedback/stats.ts';

export const DEFAULT_DAYS = 14;
export const CHART_NAME = 'quarry-stats.png';

export const data = new SlashCommandBuilder()
  .setName('stats')
  .setDescription('Moderators: questions, answered and helpful rates, top questions, with a chart.')
  .setContexts(InteractionContextType.Guild)
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .addIntegerOption((option) =>
    option
      .setName('days')
      .setDescription(`How many days back (default ${DEFAULT_DAYS})`)
      .setMinValue(1)
      .setMaxValue(365),
  );

export async function execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  if (!isModerator(interaction, context.config.moderatorRoleIds) || !interaction.guildId) {
    await notice(
      interaction,
      'Only moderators (Manage Server permission or a moderator role) can see the stats.',
    );
    return;
  }
  await defer(interaction, true);
  const days = Math.min(interaction.options.getInteger('days') ?? DEFAULT_DAYS, context.config.retentionDays);
  const now = Date.now();
  const questions = context.feedback.reports().questionsSince(interaction.guildId, windowStart(days, now));
  const stats = computeStats(questions, days, now);
  const chart = renderStatsChart(stats.daily, `Quarry: last ${days} days`);
  await respond(interaction, {
    content: '',
    embeds: [formatStats(stats, CHART_NAME)],
    files: [{ name: CHART_NAME, data: chart }],
  });
}
