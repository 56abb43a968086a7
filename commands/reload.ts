/**
 * /reload [source] [shared] — moderators only, and only their server's sources (the shared ones:
 * BOT_OWNER_IDS). Re-reads the sources, embeds what changed, builds the new
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
import { isOwner } from '../src/bot/permissions.ts';
import { progressReply } from '../src/bot/progress-reply.ts';
import { defer, notice } from '../src/bot/respond.ts';
import { baseFor, maySourcesChange, notWhileChanging, recordChange } from '../src/bot/scope.ts';

export const data = new SlashCommandBuilder()
  .setName('reload')
  .setDescription('Moderators: re-read the sources and rebuild the index.')
  .setContexts(InteractionContextType.Guild)
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .addStringOption((option) =>
    option.setName('source').setDescription('Reload only this source').setAutocomplete(true),
  )
  .addBooleanOption((option) =>
    option.setName('shared').setDescription("Bot owners: reload the shared sources instead of this server's"),
  );

// Moderators reload their own server's sources; only BOT_OWNER_IDS the shared ones.
export const guards = [maySourcesChange, notWhileChanging];

/** Discord shows at most this many autocomplete choices. */
const MAX_CHOICES = 25;

export async function execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  const base = baseFor(interaction, context, interaction.options.getBoolean('shared') ?? false);
  if (!(await base.hasContent())) {
    await notice(interaction, 'This server has no sources of its own yet; add one with `/sources add`.');
    return;
  }
  await defer(interaction, true);
  const only = interaction.options.getString('source') ?? undefined;
  const progress = progressReply(interaction, (stages) => formatReloadProgress(only, stages));
  const record = { base, actorId: interaction.user.id, action: 'reload' as const, source: only ?? null };
  let outcome: ReturnType<typeof formatReloadSummary>;
  try {
    const summary = await base.reload({ onProgress: progress.onProgress, ...(only ? { only } : {}) });
    recordChange(context, {
      ...record,
      outcome: 'ok',
      detail: `${summary.passages} passages, ${summary.added} added`,
    });
    outcome = formatReloadSummary(summary);
  } catch (error) {
    const reason = explainFailure('reload', error);
    recordChange(context, { ...record, outcome: 'failed', detail: reason });
    outcome = formatReloadFailure(reason);
  }
  await progress.finish(outcome);
}

export async function autocomplete(
  interaction: AutocompleteInteraction,
  { knowledgeBases, config }: BotContext,
): Promise<void> {
  const typed = interaction.options.getFocused().toLowerCase();
  // `shared: true` from a bot owner: the shared sources (what that reload would act on).
  // Otherwise this server's sources only: another server's names are not even suggested.
  const shared = interaction.options.getBoolean('shared') ?? false;
  const base =
    shared && isOwner(interaction.user.id, config.ownerIds)
      ? knowledgeBases.shared
      : interaction.guildId
        ? knowledgeBases.forServer(interaction.guildId)
        : null;
  if (!base) return interaction.respond([]);
  const sources = await base.list();
  const choices = sources
    .filter((s) => s.id.toLowerCase().includes(typed) || s.title.toLowerCase().includes(typed))
    .slice(0, MAX_CHOICES)
    .map((s) => ({ name: truncate(`${s.title} (${s.id})`, SHOWN.name), value: s.id.slice(0, SHOWN.name) }));
  await interaction.respond(choices);
}
