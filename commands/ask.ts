/** /ask question:<3–300 chars> [private] — answers by quoting the sources. */
import { type ChatInputCommandInteraction, InteractionContextType, SlashCommandBuilder } from 'discord.js';
import { askAndAnswer } from '../src/bot/answer.ts';
import type { BotContext } from '../src/bot/command-contract.ts';
import { cooldown } from '../src/bot/guards.ts';

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

export async function execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  const ephemeral = interaction.options.getBoolean('private') ?? context.config.askPrivateByDefault;
  await askAndAnswer(interaction, interaction.options.getString('question', true), ephemeral, context);
}
