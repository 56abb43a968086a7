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
import type { BotContext } from '../src/bot/command.ts';
import { newErrorId } from '../src/bot/dispatcher.ts';
import { COLORS, escapeWithin, LIMITS, truncate } from '../src/bot/format.ts';
import { isModerator } from '../src/bot/permissions.ts';
import { defer, notice, respond } from '../src/bot/respond.ts';
import { errorMessage, isUserFacing } from '../src/errors.ts';
import { log } from '../src/log.ts';
import { describeProgress, type ProgressEvent } from '../src/progress.ts';
import type { ReloadSummary } from '../src/quarry.ts';

export const data = new SlashCommandBuilder()
  .setName('reload')
  .setDescription('Moderators: re-read the sources and rebuild the index.')
  .setContexts(InteractionContextType.Guild)
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .addStringOption((option) =>
    option.setName('source').setDescription('Reload only this source').setAutocomplete(true),
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

export async function execute(
  interaction: ChatInputCommandInteraction,
  { quarry, config }: BotContext,
): Promise<void> {
  if (!isModerator(interaction, config.moderatorRoleIds)) {
    await notice(
      interaction,
      'Only moderators (Manage Server permission or a moderator role) can reload the sources.',
    );
    return;
  }
  if (quarry.isReloading) {
    await notice(interaction, 'A reload is already running; wait for it to finish.');
    return;
  }
  await defer(interaction, true);
  const only = interaction.options.getString('source') ?? undefined;
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
      .catch((error) => log.warn('bot: could not show reload progress:', error));
  };
  const onProgress = (event: ProgressEvent) => {
    const label = describeProgress(event);
    const isNewStage = stages.at(-1)?.split(' ')[0] !== event.stage;
    if (isNewStage) stages.push(label);
    else stages[stages.length - 1] = label;
    if (!isNewStage && Date.now() - lastEdit < PROGRESS_EDIT_INTERVAL_MS) return;
    lastEdit = Date.now();
    show(`Reloading${only ? ` ${escapeWithin(only, 100)}` : ''}… ${stages.join(' → ')}`, COLORS.progress);
  };
  let outcome: { text: string; color: number };
  try {
    const summary = await quarry.reload({ onProgress, ...(only ? { only } : {}) });
    outcome = { text: formatSummary(summary), color: COLORS.success };
  } catch (error) {
    let reason = errorMessage(error);
    if (!isUserFacing(error)) {
      const id = newErrorId();
      log.error(`bot: /reload failed (error id ${id}):`, error);
      reason = `an internal error (error id \`${id}\`); the details are in the bot's log`;
    }
    outcome = {
      text: `**Reload failed**; the previous index is still serving.\nReason: ${escapeWithin(reason, 1500)}`,
      color: COLORS.failure,
    };
  }
  await edits;
  show(outcome.text, outcome.color);
  await edits;
}

export async function autocomplete(
  interaction: AutocompleteInteraction,
  { quarry }: BotContext,
): Promise<void> {
  const typed = interaction.options.getFocused().toLowerCase();
  const { sources } = await quarry.status();
  const choices = sources
    .filter((s) => s.id.toLowerCase().includes(typed) || s.title.toLowerCase().includes(typed))
    .slice(0, 25)
    .map((s) => ({ name: truncate(`${s.title} (${s.id})`, 100), value: s.id.slice(0, 100) }));
  await interaction.respond(choices);
}
