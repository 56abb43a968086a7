/**
 * "Ask Quarry" (right-click a message → Apps): answers that message's text as the question,
 * publicly under it. Discord puts the target message in the interaction, so no Message Content
 * intent is needed. Same cooldown, limits (3–300 characters) and escaping as /ask.
 */
import {
  ApplicationCommandType,
  ContextMenuCommandBuilder,
  InteractionContextType,
  type MessageContextMenuCommandInteraction,
} from 'discord.js';
import { askAndAnswer } from '../src/bot/answer.ts';
import type { BotContext } from '../src/bot/command-contract.ts';
import { cooldown } from '../src/bot/guards.ts';
import { notice } from '../src/bot/respond.ts';

export const QUESTION_LIMITS = { min: 3, max: 300 } as const;

export const data = new ContextMenuCommandBuilder()
  .setName('Ask Quarry')
  .setType(ApplicationCommandType.Message)
  .setContexts(InteractionContextType.Guild);

export const guards = [cooldown];

export async function execute(
  interaction: MessageContextMenuCommandInteraction,
  context: BotContext,
): Promise<void> {
  const text = interaction.targetMessage.content.trim();
  if (text.length < QUESTION_LIMITS.min) {
    await notice(
      interaction,
      'ask: that message has no question to ask (it needs at least 3 characters of text).',
    );
    return;
  }
  if (text.length > QUESTION_LIMITS.max) {
    await notice(
      interaction,
      `ask: that message is ${text.length} characters long; Quarry takes questions of up to ${QUESTION_LIMITS.max} — use /ask with the question itself.`,
    );
    return;
  }
  await askAndAnswer(interaction, text, false, context);
}
