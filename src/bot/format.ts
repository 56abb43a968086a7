/**
 * Turns answers into Discord messages. Every helper here keeps Discord's limits by construction:
 * text is escaped first and measured after, and trimmed in a loop until it fits, so no passage
 * length, number of results or markdown in a source can produce a message Discord rejects.
 * Plain data in, plain data out (no discord.js types), so it is unit-tested directly.
 */
import type { Answer, AnswerResult } from '../quarry.ts';

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

/** Cuts raw text to at most `max` characters at a word boundary, marking the cut with "…". */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…'.slice(0, max);
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
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
  return `…${space >= 0 && space < keep * 0.4 ? tail.slice(space + 1) : tail}`;
}

function renderQuote(before: string, key: string, after: string): string {
  const bold = (s: string) =>
    s
      .split('\n')
      .map((line) => (line.trim() ? `**${escapeText(line)}**` : line))
      .join('\n');
  const body = escapeText(before) + bold(key) + escapeText(after);
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
export function quoteBlock(text: string, quoteStart: number, quoteEnd: number, max: number): string {
  let before = text.slice(0, quoteStart);
  let key = text.slice(quoteStart, quoteEnd);
  let after = text.slice(quoteEnd);
  let rendered = renderQuote(before, key, after);
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
    rendered = renderQuote(before, key, after);
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
    description: quoteBlock(result.text, result.quoteStart, result.quoteEnd, Math.max(3, room)),
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
