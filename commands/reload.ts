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
import type { BotContext } from '../src/bot/command.ts';
import { newErrorId } from '../src/bot/dispatcher.ts';
import { COLORS, escapeWithin, LIMITS, truncate } from '../src/bot/format.ts';
import { defer, notice, respond } from '../src/bot/respond.ts';
import { baseFor, recordChange } from '../src/bot/scope.ts';
import { errorMessage, isUserFacing } from '../src/errors.ts';
import { log } from '../src/log.ts';
import { describeProgress, type ProgressEvent } from '../src/progress.ts';
import type { ReloadSummary } from '../src/quarry.ts';
import type { KnowledgeBase } from '../src/servers/knowledge-base.ts';

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

/** Edits are throttled: Discord rate-limits them, and a member cannot read faster anyway. */
const PROGRESS_EDIT_INTERVAL_MS = 1000;

export function formatSummary(summary: ReloadSummary): string {
  const lines = [
    `**Reloaded** ${summary.sources} source${summary.sources === 1 ? '' : 's'}, ${summary.passages} passages ` +
      `(${summary.added} added, ${summary.removed} removed, ${summary.unchanged} unchanged) in ${summary.seconds.toFixed(1)} s.`,
  ];
  for (const s of summary.skipped)
    lines.push(`Skipped ${escapeWithin(s.id, 100)}: ${escapeWithin(s.reason, 200)}`);
  for (const w of summary.warnings) lines.push(`Note: ${escapeWithin(w, 200)}`);
  return truncate(lines.join('\n'), LIMITS.embedDescription);
}

/** Shows a long job's stages by editing the private reply, throttled (Discord rate-limits edits). */
export function progressReply(interaction: ChatInputCommandInteraction, label: string) {
  const stages: string[] = [];
  let lastEdit = 0;
  let edits = Promise.resolve();
  const show = (text: string, color: number) => {
    edits = edits
      .then(() =>
        respond(interaction, {
          content: '',
          embeds: [{ description: truncate(text, LIMITS.embedDescription), color }],
        }),
      )
      .catch((error) => log.warn('bot: could not show progress:', error));
  };
  const onProgress = (event: ProgressEvent) => {
    const stageLabel = describeProgress(event);
    const isNewStage = stages.at(-1)?.split(' ')[0] !== event.stage;
    if (isNewStage) stages.push(stageLabel);
    else stages[stages.length - 1] = stageLabel;
    if (!isNewStage && Date.now() - lastEdit < PROGRESS_EDIT_INTERVAL_MS) return;
    lastEdit = Date.now();
    show(`${label}… ${stages.join(' → ')}`, COLORS.progress);
  };
  return {
    onProgress,
    /** Shows the outcome after any progress edit still on its way. */
    async finish(text: string, color: number) {
      await edits;
      show(text, color);
      await edits;
    },
  };
}

/** The reason to show for a failure: the user-facing message, or an error id for a bug. */
export function failureReason(error: unknown, what: string): string {
  if (isUserFacing(error)) return errorMessage(error);
  const id = newErrorId();
  log.error(`bot: ${what} failed (error id ${id}):`, error);
  return `an internal error (error id \`${id}\`); the details are in the bot's log`;
}

export async function execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  const shared = interaction.options.getBoolean('shared') ?? false;
  // Moderators reload their own server's sources; only BOT_OWNER_IDS touch the shared ones.
  let base: KnowledgeBase;
  try {
    base = baseFor(interaction, context, shared);
  } catch (error) {
    if (!isUserFacing(error)) throw error;
    await notice(
      interaction,
      shared
        ? 'Only the bot owners (BOT_OWNER_IDS) can reload the shared sources.'
        : 'Only moderators (Manage Server permission or a moderator role) can reload the sources.',
    );
    return;
  }
  if (base.busy) {
    await notice(interaction, 'A reload is already running; wait for it to finish.');
    return;
  }
  if (!(await base.hasContent())) {
    await notice(interaction, 'This server has no sources of its own yet; add one with `/sources add`.');
    return;
  }
  await defer(interaction, true);
  const only = interaction.options.getString('source') ?? undefined;
  const progress = progressReply(interaction, `Reloading${only ? ` ${escapeWithin(only, 100)}` : ''}`);
  const record = { base, actorId: interaction.user.id, action: 'reload' as const, source: only ?? null };
  try {
    const summary = await base.reload({ onProgress: progress.onProgress, ...(only ? { only } : {}) });
    recordChange(context, {
      ...record,
      outcome: 'ok',
      detail: `${summary.passages} passages, ${summary.added} added`,
    });
    await progress.finish(formatSummary(summary), COLORS.success);
  } catch (error) {
    const reason = failureReason(error, '/reload');
    recordChange(context, { ...record, outcome: 'failed', detail: reason });
    await progress.finish(
      `**Reload failed**; the previous index is still serving.\nReason: ${escapeWithin(reason, 1500)}`,
      COLORS.failure,
    );
  }
}

export async function autocomplete(
  interaction: AutocompleteInteraction,
  { knowledgeBases }: BotContext,
): Promise<void> {
  const typed = interaction.options.getFocused().toLowerCase();
  if (!interaction.guildId) return interaction.respond([]);
  const sources = await knowledgeBases.forServer(interaction.guildId).list();
  const choices = sources
    .filter((s) => s.id.toLowerCase().includes(typed) || s.title.toLowerCase().includes(typed))
    .slice(0, 25)
    .map((s) => ({ name: truncate(`${s.title} (${s.id})`, 100), value: s.id.slice(0, 100) }));
  await interaction.respond(choices);
}
