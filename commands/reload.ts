/**
 * /reload [source] — moderators only. Re-reads the sources, embeds what changed, builds the new
 * index beside the old one and swaps it in; /ask keeps answering from the old index meanwhile.
 * Progress is shown by editing the private reply.
 */
import {
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from 'discord.js';
import type { BotContext } from '../src/bot/command-contract.ts';
import { explainFailure } from '../src/bot/failure.ts';
import {
  formatReloadFailure,
  formatReloadProgress,
  formatReloadSummary,
  SHOWN,
  truncate,
} from '../src/bot/format.ts';
import { moderatorOnly, notWhileReloading } from '../src/bot/guards.ts';
import { progressReply } from '../src/bot/progress-reply.ts';
import { defer } from '../src/bot/respond.ts';

export const data = new SlashCommandBuilder()
  .setName('reload')
  .setDescription('Moderators: re-read the sources and rebuild the index.')
  .setContexts(InteractionContextType.Guild)
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .addStringOption((option) =>
    option.setName('source').setDescription('Reload only this source').setAutocomplete(true),
  );

export const guards = [moderatorOnly, notWhileReloading];

/** Discord shows at most this many autocomplete choices. */
const MAX_CHOICES = 25;

export async function execute(
  interaction: ChatInputCommandInteraction,
  { quarry }: BotContext,
): Promise<void> {
  await defer(interaction, true);
  const only = interaction.options.getString('source') ?? undefined;
  const progress = progressReply(interaction, (stages) => formatReloadProgress(only, stages));
  let outcome: ReturnType<typeof formatReloadSummary>;
  try {
    const summary = await quarry.reload({ onProgress: progress.onProgress, ...(only ? { only } : {}) });
    outcome = formatReloadSummary(summary);
  } catch (error) {
    outcome = formatReloadFailure(explainFailure('reload', error));
  }
  await progress.finish(outcome);
}

export async function autocomplete(
  interaction: AutocompleteInteraction,
  { quarry }: BotContext,
): Promise<void> {
  const typed = interaction.options.getFocused().toLowerCase();
  const { sources } = await quarry.status();
  const choices = sources
    .filter((s) => s.id.toLowerCase().includes(typed) || s.title.toLowerCase().includes(typed))
    .slice(0, MAX_CHOICES)
    .map((s) => ({ name: truncate(`${s.title} (${s.id})`, SHOWN.name), value: s.id.slice(0, SHOWN.name) }));
  await interaction.respond(choices);
}
