/** /ask question:<3–300 chars> [private] — answers by quoting the sources. */
import { type ChatInputCommandInteraction, InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { BotContext } from '../src/bot/command-contract.ts';
import { formatAnswer } from '../src/bot/format.ts';
import { cooldown } from '../src/bot/guards.ts';
import { defer, respond } from '../src/bot/respond.ts';
import { normaliseQuestion } from '../src/quarry.ts';

export const data = new SlashCommandBuilder()
  .setName('ask')
  .setDescription('Ask a question; Quarry answers by quoting the sources word for word.')
  .setContexts(InteractionContextType.Guild)
  .addStringOption((option) =>
    option
      .setName('question')
      .setDescription('Your question about the sources')
      .setRequired(true)
      .setMinLength(3)
      .setMaxLength(300),
  )
  .addBooleanOption((option) => option.setName('private').setDescription('Only you see the answer'));

export const guards = [cooldown];

export async function execute(
  interaction: ChatInputCommandInteraction,
  { quarry, config, cooldowns }: BotContext,
): Promise<void> {
  // Refuse an empty or symbol-only question before acknowledging (throws a user-facing error).
  const question = normaliseQuestion(interaction.options.getString('question', true));
  const ephemeral = interaction.options.getBoolean('private') ?? config.askPrivateByDefault;
  // Acknowledge at once: the first answer may wait for the model to load, and Discord allows 3 s.
  await defer(interaction, ephemeral);
  // Started only now: a question refused as empty costs the member no wait.
  cooldowns.start(interaction.user.id);
  const answer = await quarry.ask(question);
  await respond(interaction, formatAnswer(answer, { showNearest: true }));
}
