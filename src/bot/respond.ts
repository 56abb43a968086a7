/**
 * Sending replies the one right way: every message carries `allowedMentions: { parse: [] }`
 * (quoted text must never ping anyone), and the call fits the interaction's state — reply when
 * not yet acknowledged, edit the original when deferred or replied — so no "already
 * acknowledged" error can happen. When Discord keeps failing the edit (5xx after discord.js's
 * retries), the message goes out as a follow-up instead, so the member is not left with a
 * reply that says "thinking…" for ever.
 */
import { MessageFlags, type RepliableInteraction } from 'discord.js';
import { errorMessage } from '../errors.ts';
import { log } from '../log.ts';
import type { ActionRowData } from './feedback-format.ts';
import type { MessageData } from './format.ts';

export const NO_MENTIONS = { parse: [] as [] };

/** A message with, optionally, buttons and attached files. */
export interface ReplyData extends MessageData {
  components?: ActionRowData[];
  files?: { name: string; data: Buffer }[];
}

/** What the log calls an interaction: `/ask`, `Ask Quarry`, `button fb:up:12`. */
export function describeInteraction(interaction: RepliableInteraction): string {
  if (interaction.isButton()) return `button ${interaction.customId}`;
  if (interaction.isChatInputCommand()) return `/${interaction.commandName}`;
  return interaction.isCommand() ? interaction.commandName : 'interaction';
}

export interface RespondOptions {
  /** Only the member sees it (a first reply, or a follow-up sent instead of an edit). */
  ephemeral?: boolean;
  /** Send a follow-up when editing fails with a server error (default); off for progress edits. */
  followUpOnServerError?: boolean;
}

/** Discord (or the way to it) failed, as opposed to refusing the request: worth another route. */
function isServerError(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 500;
}

function toPayload(message: ReplyData) {
  return {
    content: message.content,
    embeds: message.embeds,
    allowedMentions: NO_MENTIONS,
    ...(message.components ? { components: message.components } : {}),
    ...(message.files ? { files: message.files.map((f) => ({ attachment: f.data, name: f.name })) } : {}),
  };
}

/** A further message after the reply (the reply must have been sent or deferred). */
export async function followUp(
  interaction: RepliableInteraction,
  message: ReplyData,
  options: { ephemeral?: boolean } = {},
): Promise<void> {
  await interaction.followUp({
    ...toPayload(message),
    ...(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
  });
}

export async function respond(
  interaction: RepliableInteraction,
  message: ReplyData,
  options: RespondOptions = {},
): Promise<void> {
  const payload = toPayload(message);
  if (!(interaction.deferred || interaction.replied)) {
    await interaction.reply({ ...payload, ...(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
    return;
  }
  try {
    await interaction.editReply(payload);
  } catch (error) {
    if (options.followUpOnServerError === false || !isServerError(error)) throw error;
    log.warn(
      `bot: could not edit the reply to ${describeInteraction(interaction)} (${errorMessage(error)}); sending it as a follow-up`,
    );
    // A notice stays private; an answer is as private as the reply it replaces.
    const ephemeral = options.ephemeral ?? interaction.ephemeral ?? false;
    await interaction.followUp({ ...payload, ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
  }
}

/** A short private notice (cooldown, refusal, error). */
export function notice(interaction: RepliableInteraction, text: string): Promise<void> {
  return respond(interaction, { content: text, embeds: [] }, { ephemeral: true });
}

export async function defer(interaction: RepliableInteraction, ephemeral: boolean): Promise<void> {
  if (interaction.deferred || interaction.replied) return;
  await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
}
