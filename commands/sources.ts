/** /sources — what Quarry quotes from: each source, its passages, when it was loaded, the model. */
import {
  type ChatInputCommandInteraction,
  InteractionContextType,
  SlashCommandBuilder,
  TimestampStyles,
  time,
} from 'discord.js';
import type { BotContext } from '../src/bot/command.ts';
import { COLORS, escapeWithin, LIMITS, truncate } from '../src/bot/format.ts';
import { defer, respond } from '../src/bot/respond.ts';

export const data = new SlashCommandBuilder()
  .setName('sources')
  .setDescription('List the sources Quarry quotes from.')
  .setContexts(InteractionContextType.Guild);

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

export async function execute(
  interaction: ChatInputCommandInteraction,
  { quarry }: BotContext,
): Promise<void> {
  await defer(interaction, true);
  const status = await quarry.status();
  const lines: string[] = [];
  let length = 0;
  for (const [i, s] of status.sources.entries()) {
    const line =
      `• **${escapeWithin(s.title, 200)}** — \`${truncate(s.id, 100).replace(/`/g, "'")}\` · ${s.passages} passages · loaded ` +
      time(new Date(s.loadedAt), TimestampStyles.RelativeTime);
    const more = `… and ${status.sources.length - i} more`;
    if (length + line.length + 1 > LIMITS.embedDescription - more.length - 1) {
      lines.push(more);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  await respond(interaction, {
    content: '',
    embeds: [
      {
        title: `Sources (${status.sources.length})`,
        description: lines.join('\n') || 'No sources are loaded.',
        color: COLORS.answer,
        fields: [
          { name: 'Model', value: truncate(status.model, LIMITS.embedField), inline: true },
          { name: 'Passages', value: String(status.passages), inline: true },
          {
            name: 'Index',
            value: `${formatBytes(status.bytes)}, built ${time(new Date(status.builtAt), TimestampStyles.RelativeTime)}`,
            inline: true,
          },
        ],
      },
    ],
  });
}
