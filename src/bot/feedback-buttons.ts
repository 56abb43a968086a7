/**
 * The buttons under an answer. Their custom ids name a stored question (`fb:<action>:<id>`), so
 * a click works after a restart: 👍/👎 record one vote per member (a new click replaces it);
 * More privately shows the passages in full and the next results; Share posts a private answer
 * publicly, "asked by" the member shown without pinging them.
 */
import type { ButtonInteraction } from 'discord.js';
import type { StoredQuestion } from '../feedback/storage.ts';
import type { BotContext } from './command-contract.ts';
import { feedbackButtons, parseFeedbackCustomId, voteReceipt } from './feedback-format.ts';
import { formatAnswer, LIMITS, truncate } from './format.ts';
import { defer, followUp, notice, respond } from './respond.ts';

const UNAVAILABLE = 'feedback: not available right now; the answer itself is unchanged.';

/** Results shown by More beyond the answer's own. */
export const MORE_EXTRA_RESULTS = 3;

/** Handles a feedback button; false when the custom id is not one of ours. */
export async function handleFeedbackButton(
  interaction: ButtonInteraction,
  context: BotContext,
): Promise<boolean> {
  const parsed = parseFeedbackCustomId(interaction.customId);
  if (!parsed) return false;
  const { feedback } = context;
  const guildId = interaction.guildId;
  if (!guildId || !feedback.enabled) {
    await notice(interaction, UNAVAILABLE);
    return true;
  }
  const stored = await feedback.question(guildId, parsed.questionId);
  if (stored === null) {
    await notice(interaction, UNAVAILABLE);
    return true;
  }
  if (!stored) {
    await notice(
      interaction,
      `feedback: that answer is no longer stored (answers are kept ${context.config.retentionDays} days) — ask again with /ask.`,
    );
    return true;
  }
  if (parsed.action === 'up' || parsed.action === 'down') {
    const value = parsed.action === 'up' ? 1 : -1;
    const outcome = await feedback.vote({
      guildId,
      questionId: stored.id,
      memberId: interaction.user.id,
      value,
    });
    await notice(
      interaction,
      outcome
        ? voteReceipt(value, outcome.previous)
        : 'feedback: your vote could not be saved; please try later.',
    );
    return true;
  }
  if (parsed.action === 'more') await showMore(interaction, stored, context);
  else await share(interaction, stored, context);
  return true;
}

/**
 * Two private messages: the answer's passages with the whole of each passage's room (Discord's
 * 6,000 characters shared by fewer embeds), then the next results.
 */
async function showMore(interaction: ButtonInteraction, stored: StoredQuestion, context: BotContext) {
  await defer(interaction, true);
  const { topK } = context.quarry.config;
  // After an answer, the next results are shown whatever their relevance (each shows its own);
  // after "not in the sources", the usual threshold stands and the closest passage is shown.
  // The server's own sources and the shared ones, as /ask answered it.
  const answer = await context.knowledgeBases.ask(stored.guildId, stored.question, {
    k: topK + MORE_EXTRA_RESULTS,
    ...(stored.answered ? { minRelevance: 0, supportShare: 0 } : {}),
  });
  if (!answer.answered) {
    await respond(interaction, formatAnswer(answer, { showNearest: true }));
    return;
  }
  const passages = formatAnswer({ ...answer, results: answer.results.slice(0, topK) });
  await respond(interaction, {
    ...passages,
    content: truncate(`${passages.content} (in full)`, LIMITS.content),
  });
  const next = answer.results.slice(topK);
  if (next.length === 0) return;
  const more = formatAnswer({ ...answer, results: next });
  await followUp(
    interaction,
    {
      ...more,
      content: truncate(`The next ${next.length} results, each with its relevance:`, LIMITS.content),
    },
    { ephemeral: true },
  );
}

async function share(interaction: ButtonInteraction, stored: StoredQuestion, context: BotContext) {
  if (context.feedback.memberHash(interaction.user.id) !== stored.memberHash) {
    await notice(interaction, 'feedback: only the member who asked can share this answer.');
    return;
  }
  await defer(interaction, false);
  const answer = await context.knowledgeBases.ask(stored.guildId, stored.question);
  const message = formatAnswer(answer, { showNearest: true });
  // A mention renders the name; allowedMentions { parse: [] } (set by respond) means no ping.
  const content = truncate(`Asked by <@${interaction.user.id}>: ${message.content}`, LIMITS.content);
  // Votes on the shared copy count for the same stored question (it is not asked twice).
  await respond(interaction, {
    ...message,
    content,
    components: feedbackButtons(stored.id, { share: false }),
  });
}
