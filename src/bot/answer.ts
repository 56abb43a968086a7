/**
 * Answering a question in Discord, shared by /ask and the "Ask Quarry" message command (both
 * declare the cooldown guard): acknowledging within Discord's 3 s, the answer, and recording it
 * for feedback. A question that cannot be stored is still answered, only without the buttons.
 */
import type { ChatInputCommandInteraction, MessageContextMenuCommandInteraction } from 'discord.js';
import type { CoreConfig } from '../config.ts';
import { type Answer, normaliseQuestion } from '../quarry.ts';
import type { BotContext } from './command-contract.ts';
import { feedbackButtons } from './feedback-format.ts';
import { formatAnswer } from './format.ts';
import { defer, respond } from './respond.ts';

/** Which embedding space a stored question vector lives in; /gaps compares only like with like. */
export function embeddingSpace(config: Pick<CoreConfig, 'embeddingModel' | 'embeddingDtype'>): string {
  return `${config.embeddingModel}#${config.embeddingDtype}`;
}

/** Stores the question and its outcome; the id names it in the buttons' custom ids. */
export async function recordAnswer(
  interaction: { guildId: string | null; channelId: string | null; user: { id: string } },
  answer: Answer,
  { feedback, quarry }: Pick<BotContext, 'feedback' | 'quarry'>,
): Promise<number | undefined> {
  if (!interaction.guildId) return undefined;
  return feedback.recordQuestion({
    guildId: interaction.guildId,
    channelId: interaction.channelId ?? '',
    memberId: interaction.user.id,
    question: answer.question,
    answered: answer.answered,
    topScore: answer.results[0]?.score ?? answer.nearest?.score ?? null,
    passageIds: answer.results.map((r) => r.passageId),
    ...(answer.queryVector ? { vector: answer.queryVector } : {}),
    model: embeddingSpace(quarry.config),
  });
}

export async function askAndAnswer(
  interaction: ChatInputCommandInteraction | MessageContextMenuCommandInteraction,
  rawQuestion: string,
  ephemeral: boolean,
  context: BotContext,
): Promise<void> {
  const { knowledgeBases, cooldowns } = context;
  // Refuse an empty or symbol-only question before acknowledging (throws a user-facing error).
  const question = normaliseQuestion(rawQuestion);
  // Acknowledge at once: the first answer may wait for the model to load, and Discord allows 3 s.
  await defer(interaction, ephemeral);
  // Started only now: a question refused as empty costs the member no wait.
  cooldowns.start(interaction.user.id);
  // This server's sources and the shared ones; never another server's.
  const answer = await knowledgeBases.ask(interaction.guildId, question);
  const questionId = await recordAnswer(interaction, answer, context);
  const message = formatAnswer(answer, { showNearest: true });
  await respond(
    interaction,
    questionId === undefined
      ? message
      : { ...message, components: feedbackButtons(questionId, { share: ephemeral }) },
  );
}
