/**
 * /gaps [days] — moderators, private: the questions that were not answered or got a 👎, near
 * duplicates grouped ("5 × What is the population of Russia?"), ranked by count, with every
 * question in an attached CSV. What a moderator reads to decide which source to add.
 */
import {
  type ChatInputCommandInteraction,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from 'discord.js';
import { embeddingSpace } from '../src/bot/answer.ts';
import type { BotContext } from '../src/bot/command.ts';
import { formatGaps } from '../src/bot/feedback-format.ts';
import { isModerator } from '../src/bot/permissions.ts';
import { defer, notice, respond } from '../src/bot/respond.ts';
import { gapsCsv, groupGaps } from '../src/feedback/gaps.ts';
import { windowStart } from '../src/feedback/stats.ts';

export const DEFAULT_DAYS = 30;
export const CSV_NAME = 'quarry-gaps.csv';

export const data = new SlashCommandBuilder()
  .setName('gaps')
  .setDescription('Moderators: questions Quarry could not answer or that got 👎, grouped.')
  .setContexts(InteractionContextType.Guild)
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .addIntegerOption((option) =>
    option
      .setName('days')
      .setDescription(`How many days back (default ${DEFAULT_DAYS})`)
      .setMinValue(1)
      .setMaxValue(3650),
  );

export async function execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  if (!isModerator(interaction, context.config.moderatorRoleIds) || !interaction.guildId) {
    await notice(
      interaction,
      'Only moderators (Manage Server permission or a moderator role) can see the gaps.',
    );
    return;
  }
  await defer(interaction, true);
  const days = Math.min(interaction.options.getInteger('days') ?? DEFAULT_DAYS, context.config.retentionDays);
  const space = embeddingSpace(context.quarry.config);
  const questions = context.feedback
    .reports()
    .gapCandidates(interaction.guildId, windowStart(days))
    // Vectors from another model (or dtype) are not comparable: those group by wording only.
    .map((q) => (q.model === space ? q : { ...q, vector: null }));
  const groups = groupGaps(questions);
  await respond(interaction, {
    content: '',
    embeds: [formatGaps(groups, days, CSV_NAME)],
    ...(groups.length ? { files: [{ name: CSV_NAME, data: Buffer.from(gapsCsv(groups)) }] } : {}),
  });
}
