/** /sources — what Quarry quotes from: each source, its passages, when it was loaded, the model. */
import { type ChatInputCommandInteraction, InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { BotContext } from '../src/bot/command-contract.ts';
import { formatSources } from '../src/bot/format.ts';
import { defer, respond } from '../src/bot/respond.ts';

export const data = new SlashCommandBuilder()
  .setName('sources')
  .setDescription('List the sources Quarry quotes from.')
  .setContexts(InteractionContextType.Guild);

export async function execute(
  interaction: ChatInputCommandInteraction,
  { quarry }: BotContext,
): Promise<void> {
  await defer(interaction, true);
  await respond(interaction, formatSources(await quarry.status()));
}
