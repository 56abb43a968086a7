/**
 * Feedback as Discord data: the buttons under an answer (custom ids that name a stored question,
 * so a click still works after a restart), and the /gaps and /stats replies. Plain data, no
 * discord.js types; every text is escaped and kept within Discord's limits.
 */
import type { GapGroup } from '../feedback/gaps.ts';
import type { Stats } from '../feedback/stats.ts';
import { COLORS, type EmbedData, escapeWithin, LIMITS, linesWithin, percent, truncate } from './format.ts';

export const FEEDBACK_ACTIONS = ['up', 'down', 'more', 'share'] as const;
export type FeedbackAction = (typeof FEEDBACK_ACTIONS)[number];

const CUSTOM_ID = /^fb:(up|down|more|share):(\d{1,15})$/;

/** `fb:<action>:<question id>` — at most 24 characters, far within Discord's 100. */
export function feedbackCustomId(action: FeedbackAction, questionId: number): string {
  return `fb:${action}:${questionId}`;
}

export function parseFeedbackCustomId(
  customId: string,
): { action: FeedbackAction; questionId: number } | null {
  const match = CUSTOM_ID.exec(customId);
  if (!match) return null;
  return { action: match[1] as FeedbackAction, questionId: Number(match[2]) };
}

export interface ButtonData {
  type: 2;
  style: 1 | 2 | 3 | 4;
  label: string;
  custom_id: string;
  emoji?: { name: string };
}

export interface ActionRowData {
  type: 1;
  components: ButtonData[];
}

const SECONDARY = 2;
const PRIMARY = 1;

/** 👍 Helpful · 👎 Not helpful · More, and Share on a private answer (4 buttons, one row). */
export function feedbackButtons(questionId: number, options: { share: boolean }): ActionRowData[] {
  const button = (action: FeedbackAction, label: string, emoji?: string, style = SECONDARY): ButtonData => ({
    type: 2,
    style: style as ButtonData['style'],
    label,
    custom_id: feedbackCustomId(action, questionId),
    ...(emoji ? { emoji: { name: emoji } } : {}),
  });
  const buttons = [
    button('up', 'Helpful', '👍'),
    button('down', 'Not helpful', '👎'),
    button('more', 'More'),
  ];
  if (options.share) buttons.push(button('share', 'Share', undefined, PRIMARY));
  return [{ type: 1, components: buttons }];
}

export function voteReceipt(value: 1 | -1, previous: 1 | -1 | 0): string {
  const said = value === 1 ? '👍 helpful' : '👎 not helpful';
  if (previous === value) return `You already marked this answer ${said}.`;
  const changed = previous === 0 ? '' : ` (changed from ${previous === 1 ? '👍' : '👎'})`;
  return `Thanks: marked ${said}${changed}. Moderators use this to improve the sources.`;
}

function rate(value: number | null): string {
  return value === null ? '—' : percent(value);
}

/** The /gaps reply: groups ranked by count, as many as fit; the CSV attachment has them all. */
/** `csvQuestions`: how many questions the CSV holds when Discord's file limit left some out. */
export function formatGaps(
  groups: GapGroup[],
  days: number,
  csvName: string,
  csvQuestions?: number,
): EmbedData {
  const total = groups.reduce((n, g) => n + g.count, 0);
  const inCsv =
    csvQuestions === undefined || csvQuestions >= total
      ? `every question in ${csvName}`
      : `${csvName} holds the first ${csvQuestions} (Discord's file size limit)`;
  const footer = `${total} questions in ${groups.length} groups · last ${days} days · ${inCsv}`;
  if (groups.length === 0) {
    return {
      title: `Gaps: none in the last ${days} days`,
      description: 'Every question was answered and no answer got a 👎.',
      color: COLORS.success,
    };
  }
  const lines = groups.map((g, i) => {
    const why = [g.notAnswered ? `${g.notAnswered} not answered` : '', g.downVotes ? `${g.downVotes} 👎` : '']
      .filter(Boolean)
      .join(', ');
    return `${i + 1}. **${g.count} ×** ${escapeWithin(g.question, 200)} — ${why}`;
  });
  return {
    title: `Gaps: questions not answered or marked 👎 (last ${days} days)`,
    description: linesWithin(
      lines,
      LIMITS.embedDescription,
      (left) => `… and ${left} more groups in the CSV`,
    ),
    color: COLORS.progress,
    footer: { text: truncate(footer, LIMITS.embedFooter) },
  };
}

export function formatStats(stats: Stats, chartName: string): EmbedData {
  const top =
    stats.top.map((t, i) => `${i + 1}. ${escapeWithin(t.question, 150)} (${t.count})`).join('\n') || '—';
  return {
    title: `Stats: last ${stats.days} days`,
    color: COLORS.answer,
    fields: [
      { name: 'Questions', value: String(stats.asked), inline: true },
      { name: 'Answered', value: `${rate(stats.answeredRate)} (${stats.answered})`, inline: true },
      {
        name: 'Helpful',
        value: `${rate(stats.helpfulRate)} (👍 ${stats.up} · 👎 ${stats.down})`,
        inline: true,
      },
      { name: 'Top questions', value: truncate(top, LIMITS.embedField) },
    ],
    footer: { text: `Chart: ${chartName}` },
  };
}
