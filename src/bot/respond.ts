/**
 * Sending replies the one right way: every message carries `allowedMentions: { parse: [] }`
 * (quoted text must never ping anyone), and the call fits the interaction's state — reply when
 * not yet acknowledged, edit the original when deferred or replied — so no "already
 * acknowledged" error can happen.
 */
import { type ChatInputCommandInteraction, MessageFlags } from 'discord.js';
import type { MessageData } from './format.ts';

export const NO_MENTIONS = { parse: [] as [] };

export async function respond(
  interaction: ChatInputCommandInteraction,
  message: MessageData,
  options: { ephemeral?: boolean } = {},
): Promise<void> {
  const payload = { content: message.content, embeds: message.embeds, allowedMentions: NO_MENTIONS };
  if (interaction.deferred || interaction.replied) {
    await interaction.editReply(payload);
    return;
  }
  await interaction.reply({ ...payload, ...(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
}

/** A short private notice (cooldown, refusal, error). */
export function notice(interaction: ChatInputCommandInteraction, text: string): Promise<void> {
  return respond(interaction, { content: text, embeds: [] }, { ephemeral: true });
}

export async function defer(interaction: ChatInputCommandInteraction, ephemeral: boolean): Promise<void> {
  if (interaction.deferred || interaction.replied) return;
  await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
}
