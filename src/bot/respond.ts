/**
 * Sending replies the one right way: every message carries `allowedMentions: { parse: [] }`
 * (quoted text must never ping anyone), and the call fits the interaction's state — reply when
 * not yet acknowledged, edit the original when deferred or replied — so no "already
 * acknowledged" error can happen.
 */
import { MessageFlags, type RepliableInteraction } from 'discord.js';
import type { ActionRowData } from './feedback-format.ts';
import type { MessageData } from './format.ts';

export const NO_MENTIONS = { parse: [] as [] };

/** A message with, optionally, buttons and attached files. */
export interface ReplyData extends MessageData {
  components?: ActionRowData[];
  files?: { name: string; data: Buffer }[];
}

function payload(message: ReplyData) {
  return {
    content: message.content,
    embeds: message.embeds,
    allowedMentions: NO_MENTIONS,
    ...(message.components ? { components: message.components } : {}),
    ...(message.files ? { files: message.files.map((f) => ({ attachment: f.data, name: f.name })) } : {}),
  };
}

export async function respond(
  interaction: RepliableInteraction,
  message: ReplyData,
  options: { ephemeral?: boolean } = {},
): Promise<void> {
  if (interaction.deferred || interaction.replied) {
    await interaction.editReply(payload(message));
    return;
  }
  await interaction.reply({
    ...payload(message),
    ...(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
  });
}

/** A short private notice (cooldown, refusal, error). */
export function notice(interaction: RepliableInteraction, text: string): Promise<void> {
  return respond(interaction, { content: text, embeds: [] }, { ephemeral: true });
}

export async function defer(interaction: RepliableInteraction, ephemeral: boolean): Promise<void> {
  if (interaction.deferred || interaction.replied) return;
  await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
}
