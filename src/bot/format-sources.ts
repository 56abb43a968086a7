/**
 * The replies of /sources add, remove, show and log as plain data, within Discord's limits for
 * any input (titles, file names, cleaned text and audit details come from members and sources:
 * always escaped, never a mention).
 */
import type { AuditEntry } from '../feedback/audit.ts';
import type { ReloadSummary } from '../quarry.ts';
import type { AddOutcome, ShownSource } from '../servers/knowledge-base.ts';
import { COLORS, escapeWithin, LIMITS, linesWithin, type MessageData, SHOWN, truncate } from './format.ts';

/**
 * A source name in backticks: it never closes the code span, and an "@" is followed by a
 * zero-width space (a refused add logs the raw attachment name or URL).
 */
export function codeName(id: string): string {
  return `\`${truncate(id, SHOWN.name).replace(/`/g, "'").replace(/@/g, '@\u200b')}\``;
}

function statusMessage(description: string, color: number): MessageData {
  return { content: '', embeds: [{ description: truncate(description, LIMITS.embedDescription), color }] };
}

/** Lines that fit `max` characters, with "… and N more" when they do not all fit. */
export function fitLines(lines: readonly string[], max: number = LIMITS.embedDescription): string {
  return linesWithin(lines, max, (remaining) => `… and ${remaining} more`);
}

export function formatAddProgress(name: string, stages: readonly string[]): MessageData {
  return statusMessage(`Adding ${escapeWithin(name, SHOWN.name)}… ${stages.join(' → ')}`, COLORS.progress);
}

/** "12 passages from 3 pages, 2 boilerplate lines removed": the reply and the audit detail. */
export function describeAdded(added: AddOutcome): string {
  const lines = added.removedLines === 1 ? 'line' : 'lines';
  return (
    `${added.passages} passages${added.pages ? ` from ${added.pages} pages` : ''}, ` +
    `${added.removedLines} boilerplate ${lines} removed`
  );
}

export function formatAdded(added: AddOutcome): MessageData {
  return statusMessage(
    `**Added** ${escapeWithin(added.title, SHOWN.title)} as ${codeName(added.id)}: ${describeAdded(added)}.\n` +
      `Members can ask about it now. \`/sources show\` shows what they will be quoted.`,
    COLORS.success,
  );
}

export function formatAddFailed(reason: string): MessageData {
  return statusMessage(
    `**Not added**; nothing changed.\nReason: ${escapeWithin(reason, SHOWN.failure)}`,
    COLORS.failure,
  );
}

export function formatRemoveQuestion(
  id: string,
  listed: { title: string; passages: number } | undefined,
  shared: boolean,
): string {
  const what = listed ? ` (${escapeWithin(listed.title, SHOWN.title)}, ${listed.passages} passages)` : '';
  return (
    `Remove ${codeName(id)}${what} from ${shared ? 'the shared sources' : "this server's sources"}? ` +
    'Members will no longer be quoted from it.'
  );
}

export function formatRemoved(id: string, summary: ReloadSummary): string {
  const s = summary.sources === 1 ? '' : 's';
  return `**Removed** ${codeName(id)}. ${summary.sources} source${s} and ${summary.passages} passages remain here.`;
}

export function formatNotRemoved(reason: string): string {
  return `**Not removed**; nothing changed.\nReason: ${escapeWithin(reason, SHOWN.failure)}`;
}

/** Characters of cleaned text /sources show quotes. */
export const PREVIEW_CHARS = 1200;
const REMOVED_LINES_SHOWN = 8;

export function formatShownSource(shown: ShownSource, scope: 'server' | 'shared'): MessageData {
  const { preview, meta } = shown;
  const removed = preview.removedLines.slice(0, REMOVED_LINES_SHOWN).map((l) => `• ${escapeWithin(l, 120)}`);
  if (preview.removedLines.length > REMOVED_LINES_SHOWN)
    removed.push(`… and ${preview.removedLines.length - REMOVED_LINES_SHOWN} more`);
  const origin = meta?.url ?? meta?.origin;
  const facts = [
    `${shown.passages} passages`,
    ...(preview.pages ? [`${preview.pages} pages`] : []),
    scope === 'shared' ? 'shared source' : 'this server',
    ...(origin ? [`from ${origin}`] : []),
  ];
  const more = preview.text.length > PREVIEW_CHARS ? '\n…' : '';
  const n = preview.removedLines.length;
  return {
    content: '',
    embeds: [
      {
        title: escapeWithin(`${preview.title} (${shown.id})`, LIMITS.embedTitle),
        description: truncate(
          `${escapeWithin(facts.join(' · '), 400)}\n\n**Cleaned text, as members will be quoted:**\n` +
            `${escapeWithin(preview.text.slice(0, PREVIEW_CHARS), PREVIEW_CHARS + 400)}${more}`,
          LIMITS.embedDescription,
        ),
        color: COLORS.answer,
        fields: [
          {
            name: `Removed by cleaning (${n} line${n === 1 ? '' : 's'})`,
            value: truncate(removed.join('\n') || 'nothing', LIMITS.embedField),
          },
        ],
      },
    ],
  };
}

export function formatAuditLog(entries: readonly AuditEntry[], shared: boolean): MessageData {
  const lines = entries.map(
    (e) =>
      // A user mention shows the name; allowedMentions {parse: []} keeps it from pinging.
      `<t:${Math.floor(e.at / 1000)}:f> <@${e.actorId}> **${e.action}**` +
      (e.source ? ` ${codeName(e.source)}` : '') +
      ` — ${e.outcome}${e.detail ? `: ${escapeWithin(e.detail, SHOWN.reason)}` : ''}`,
  );
  return {
    content: '',
    embeds: [
      {
        title: `Sources audit log${shared ? ' (shared)' : ''}`,
        description: fitLines(lines) || 'Nothing has been added, removed or reloaded yet.',
        color: COLORS.answer,
      },
    ],
  };
}
