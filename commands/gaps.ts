/**
 * /gaps [days] — moderators, private: the questions that were not answered or got a 👎, near
 * duplicates grouped ("5 × What is the population of Russia?"), ranked by count, with every
 * question in an attached CSV. What a moderator reads to decide which source to add.
 */
import type { ChatInputCommandInteraction } from 'discord.js';
import { embeddingSpace } from '../src/bot/answer.ts';
import type { BotContext } from '../src/bot/command-contract.ts';
import { formatGaps } from '../src/bot/feedback-format.ts';
import { reportCommand, reportGuards, startReport } from '../src/bot/report-command.ts';
import { respond } from '../src/bot/respond.ts';
import { gapsCsv, groupGaps, groupsWithinCsv } from '../src/feedback/gaps.ts';
import { windowStart } from '../src/feedback/stats.ts';

export const DEFAULT_DAYS = 30;
export const CSV_NAME = 'quarry-gaps.csv';

export const data = reportCommand(
  'gaps',
  'Moderators: questions Quarry could not answer or that got 👎, grouped.',
  DEFAULT_DAYS,
);

export const guards = reportGuards;

export async function execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  const report = await startReport(interaction, context, DEFAULT_DAYS);
  if (!report) return;
  const space = embeddingSpace(context.quarry.config);
  const candidates = await context.feedback.reports().gapCandidates(report.guildId, windowStart(report.days));
  // Vectors from another model (or dtype) are not comparable: those group by wording only.
  const questions = candidates.map((q) => (q.model === space ? q : { ...q, vector: null }));
  const groups = await groupGaps(questions);
  // Within Discord's file size limit: an oversized file fails the whole reply.
  const inCsv = groupsWithinCsv(groups);
  const csvQuestions = inCsv.reduce((n, g) => n + g.members.length, 0);
  await respond(interaction, {
    content: '',
    embeds: [formatGaps(groups, report.days, CSV_NAME, csvQuestions)],
    ...(inCsv.length ? { files: [{ name: CSV_NAME, data: Buffer.from(gapsCsv(inCsv)) }] } : {}),
  });
}
