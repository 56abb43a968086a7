/**
 * Turns answers into Discord messages. Every helper here keeps Discord's limits by construction:
 * text is escaped first and measured after, and trimmed in a loop until it fits, so no passage
 * length, number of results or markdown in a source can produce a message Discord rejects.
 * Plain data in, plain data out (no discord.js types), so it is unit-tested directly.
 */
import type { Answer, AnswerResult, ReloadSummary, Status } from '../quarry.ts';

export const LIMITS = {
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  embedField: 1024,
  embedFooter: 2048,
  embedsTotal: 6000,
  embedsPerMessage: 10,
} as const;

export interface EmbedData {
  title?: string;
  url?: string;
  description?: string;
  color?: number;
  footer?: { text: string };
  fields?: { name: string; value: string; inline?: boolean }[];
}

export interface MessageData {
  content: string;
  embeds: EmbedData[];
}

export const COLORS = {
  answer: 0x3b82f6,
  abstain: 0x9ca3af,
  success: 0x22c55e,
  failure: 0xef4444,
  progress: 0xf59e0b,
} as const;

/**
 * Makes source or user text inert: markdown characters are backslash-escaped (no bold, links,
 * code blocks or headings sneak in) and mentions are broken with a zero-width space, on top of
 * allowedMentions, so `@everyone` or `<@&id>` in a source can neither ping nor render as a ping.
 */
export function escapeText(text: string): string {
  return text
    .replace(/[\\*_~`|>[\]()<]/g, '\\$&')
    .replace(/^([#-]|\d+\.)/gm, '\\$1')
    .replace(/@(everyone|here)/g, '@\u200b$1');
}

/**
 * Cutting at a word boundary may give up at most this share of the room: past it (one very long
 * word, a URL) the text is cut mid-word rather than shown much shorter than it could be.
 */
const MAX_ROOM_LOST_TO_WORD_BOUNDARY = 0.4;

/**
 * How much of a name or a reason a status line shows. A source id or title: 100, Discord's
 * limit for an autocomplete choice, so /sources and /reload show a name the same way. One
 * skipped source's reason or one warning: 200, one line on a phone. The reason a reload failed:
 * 1,500, the whole message of any error Quarry raises, with room to spare in the embed.
 */
export const SHOWN = { name: 100, title: 200, reason: 200, failure: 1500 } as const;

/** Cuts raw text to at most `max` characters at a word boundary, marking the cut with "…". */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…'.slice(0, max);
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * (1 - MAX_ROOM_LOST_TO_WORD_BOUNDARY) ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** Escapes, then truncates the raw text until the escaped form fits `max`. */
export function escapeWithin(text: string, max: number): string {
  let raw = text;
  let escaped = escapeText(raw);
  while (escaped.length > max) {
    raw = truncate(raw, Math.max(0, raw.length - Math.max(1, escaped.length - max)));
    escaped = escapeText(raw);
    if (raw === '…' && escaped.length > max) return '';
  }
  return escaped;
}

function trimStartAtWord(text: string, keep: number): string {
  if (text.length <= keep) return text;
  if (keep <= 1) return '';
  const tail = text.slice(text.length - (keep - 1));
  const space = tail.indexOf(' ');
  return `…${space >= 0 && space < keep * MAX_ROOM_LOST_TO_WORD_BOUNDARY ? tail.slice(space + 1) : tail}`;
}

/** Where the answer itself sits inside the key sentence (offsets into it). */
interface KeySpan {
  start: number;
  end: number;
}

function renderQuote(before: string, key: string, after: string, span?: KeySpan): string {
  const bold = (s: string) =>
    s
      .split('\n')
      .map((line) => (line.trim() ? `**${escapeText(line)}**` : line))
      .join('\n');
  // The answer is underlined inside the bold sentence (Discord nests __…__ in **…**); in a key
  // sentence that spans lines, or one cut short, it is not marked.
  const marked =
    span && span.start >= 0 && span.start < span.end && span.end <= key.length && !key.includes('\n')
      ? `**${escapeText(key.slice(0, span.start))}__${escapeText(key.slice(span.start, span.end))}__${escapeText(key.slice(span.end))}**`
      : bold(key);
  const body = escapeText(before) + marked + escapeText(after);
  return body
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}

/**
 * A passage as a block quote with its key sentence in bold, within `max` characters. Context
 * around the key sentence is trimmed first (with "…"), the key sentence itself only if it alone
 * is too long.
 */
export function quoteBlock(
  text: string,
  quoteStart: number,
  quoteEnd: number,
  max: number,
  answer?: { start: number; end: number },
): string {
  let before = text.slice(0, quoteStart);
  let key = text.slice(quoteStart, quoteEnd);
  let after = text.slice(quoteEnd);
  const whole = key;
  // Offsets into the key sentence; dropped once the key sentence itself has to be shortened.
  const span = answer ? { start: answer.start - quoteStart, end: answer.end - quoteStart } : undefined;
  const spanIfWhole = () => (key === whole ? span : undefined);
  let rendered = renderQuote(before, key, after, spanIfWhole());
  while (rendered.length > max) {
    const overflow = rendered.length - max;
    if (before.length + after.length > 0) {
      if (before.length >= after.length)
        before = trimStartAtWord(before, Math.max(0, before.length - overflow));
      else after = truncate(after, Math.max(0, after.length - overflow));
      if (before === '…') before = '';
      if (after === '…') after = '';
    } else {
      if (key.length <= 2) return '> …'.slice(0, max);
      key = truncate(key, Math.max(1, key.length - overflow));
    }
    rendered = renderQuote(before, key, after, spanIfWhole());
  }
  return rendered;
}

export function percent(score: number): string {
  return `${Math.round(Math.max(0, Math.min(1, score)) * 100)}%`;
}

function resultEmbed(
  result: AnswerResult,
  index: number,
  budget: number,
  label = `${index + 1}.`,
): EmbedData {
  const title = `${label} ${escapeWithin(result.title, LIMITS.embedTitle - label.length - 1)}`;
  const footer = truncate(
    `${result.page ? `Page ${result.page} · ` : ''}Paragraph ${result.paragraph} · relevance ${percent(result.score)} · ${result.source}`,
    LIMITS.embedFooter,
  );
  const room = Math.min(LIMITS.embedDescription, budget - title.length - footer.length);
  return {
    title,
    ...(result.url ? { url: result.url } : {}),
    description: quoteBlock(
      result.text,
      result.quoteStart,
      result.quoteEnd,
      Math.max(3, room),
      result.answerStart !== undefined && result.answerEnd !== undefined
        ? { start: result.answerStart, end: result.answerEnd }
        : undefined,
    ),
    color: COLORS.answer,
    footer: { text: footer },
  };
}

export function embedsLength(embeds: EmbedData[]): number {
  return embeds.reduce(
    (sum, e) =>
      sum +
      (e.title?.length ?? 0) +
      (e.description?.length ?? 0) +
      (e.footer?.text.length ?? 0) +
      (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0),
    0,
  );
}

/** The reply to /ask: one embed per quoted passage, or a clear "not in the sources". */
export function formatAnswer(answer: Answer, options: { showNearest?: boolean } = {}): MessageData {
  const question = escapeWithin(answer.question, 300);
  if (!answer.answered) {
    const nearest = options.showNearest && answer.nearest ? answer.nearest : null;
    return {
      content: truncate(`**Not in the sources.** Nothing I can quote answers “${question}”.`, LIMITS.content),
      embeds: nearest
        ? [
            {
              ...resultEmbed(nearest, 0, LIMITS.embedsTotal / 2, 'Closest passage (low confidence):'),
              color: COLORS.abstain,
            },
          ]
        : [],
    };
  }
  const results = answer.results.slice(0, LIMITS.embedsPerMessage);
  // Equal shares of the 6,000-character total, less a margin for rounding.
  const budget = Math.floor((LIMITS.embedsTotal - 50) / Math.max(1, results.length));
  return {
    content: truncate(`Quoted from the sources for “${question}”:`, LIMITS.content),
    embeds: results.map((r, i) => resultEmbed(r, i, budget)),
  };
}

/** One embed as a whole message: progress, summaries and failures of long commands. */
function statusMessage(description: string, color: number): MessageData {
  return { content: '', embeds: [{ description: truncate(description, LIMITS.embedDescription), color }] };
}

/** "Reloading [source]… loading → splitting → embedding 120/400" */
export function formatReloadProgress(only: string | undefined, stages: readonly string[]): MessageData {
  const subject = only ? ` ${escapeWithin(only, SHOWN.name)}` : '';
  return statusMessage(`Reloading${subject}… ${stages.join(' → ')}`, COLORS.progress);
}

export function formatReloadSummary(summary: ReloadSummary): MessageData {
  const s = summary.sources === 1 ? '' : 's';
  const lines = [
    `**Reloaded** ${summary.sources} source${s}, ${summary.passages} passages ` +
      `(${summary.added} added, ${summary.removed} removed, ${summary.unchanged} unchanged) in ${summary.seconds.toFixed(1)} s.`,
  ];
  for (const skipped of summary.skipped)
    lines.push(
      `Skipped ${escapeWithin(skipped.id, SHOWN.name)}: ${escapeWithin(skipped.reason, SHOWN.reason)}`,
    );
  for (const warning of summary.warnings) lines.push(`Note: ${escapeWithin(warning, SHOWN.reason)}`);
  return statusMessage(lines.join('\n'), COLORS.success);
}

/** `reason`: what the member may read about the failure (failure.ts explainFailure). */
export function formatReloadFailure(reason: string): MessageData {
  return statusMessage(
    `**Reload failed**; the previous index is still serving.\nReason: ${escapeWithin(reason, SHOWN.failure)}`,
    COLORS.failure,
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

/** Discord's relative timestamp markup ("3 minutes ago", in the member's own language). */
export function relativeTime(iso: string): string {
  return `<t:${Math.floor(new Date(iso).getTime() / 1000)}:R>`;
}

/**
 * As many whole lines as fit in `max` characters, then `more(remaining)` in place of the rest
 * (a list never ends mid-line, and always says how much it left out).
 */
export function linesWithin(
  lines: readonly string[],
  max: number,
  more: (remaining: number) => string,
): string {
  const kept: string[] = [];
  let length = 0;
  for (const [i, line] of lines.entries()) {
    const tail = more(lines.length - i);
    if (length + line.length + 1 > max - tail.length - 1) {
      kept.push(tail);
      break;
    }
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join('\n');
}

/** The reply to /sources: one line per source (as many as fit), the model and the index. */
export function formatSources(status: Status): MessageData {
  const lines = status.sources.map((source) => {
    const id = truncate(source.id, SHOWN.name).replace(/`/g, "'");
    return (
      `• **${escapeWithin(source.title, SHOWN.title)}** — \`${id}\` · ${source.passages} passages · loaded ` +
      relativeTime(source.loadedAt)
    );
  });
  return {
    content: '',
    embeds: [
      {
        title: `Sources (${status.sources.length})`,
        description:
          linesWithin(lines, LIMITS.embedDescription, (left) => `… and ${left} more`) ||
          'No sources are loaded.',
        color: COLORS.answer,
        fields: [
          { name: 'Model', value: truncate(status.model, LIMITS.embedField), inline: true },
          { name: 'Passages', value: String(status.passages), inline: true },
          {
            name: 'Index',
            value: `${formatBytes(status.bytes)}, built ${relativeTime(status.builtAt)}`,
            inline: true,
          },
        ],
      },
    ],
  };
}
