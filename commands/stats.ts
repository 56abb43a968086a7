/**
 * /stats [days] — moderators, private: questions asked, answered and helpful rates, top
 * questions, and a PNG chart (questions per day answered vs not, 👍 vs 👎).
 */
import type { ChatInputCommandInteraction } from 'discord.js';
import type { BotContext } from '../src/bot/command-contract.ts';
import { formatStats } from '../src/bot/feedback-format.ts';
import { reportCommand, reportGuards, startReport } from '../src/bot/report-command.ts';
import { respond } from '../src/bot/respond.ts';
import { renderStatsChart } from '../src/feedback/chart.ts';
import { computeStats, windowStart } from '../src/feedback/stats.ts';

export const DEFAULT_DAYS = 14;
export const CHART_NAME = 'quarry-stats.png';

export const data = reportCommand(
  'stats',
  'Moderators: questions, answered and helpful rates, top questions, with a chart.',
  DEFAULT_DAYS,
);

export const guards = reportGuards;

export async function execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  const report = await startReport(interaction, context, DEFAULT_DAYS);
  if (!report) return;
  const now = Date.now();
  const questions = await context.feedback
    .reports()
    .questionsSince(report.guildId, windowStart(report.days, now));
  const stats = computeStats(questions, report.days, now);
  const chart = renderStatsChart(stats.daily, `Quarry: last ${report.days} days`);
  await respond(interaction, {
    content: '',
    embeds: [formatStats(stats, CHART_NAME)],
    files: [{ name: CHART_NAME, data: chart }],
  });
}
