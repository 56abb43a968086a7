/** /stats: questions asked, answered and helpful rates, top questions and per-day counts. */
import { questionKey } from './gaps.ts';
import { DAY_MS, type DayCounts, type StoredQuestion } from './storage.ts';

export interface Stats {
  days: number;
  asked: number;
  answered: number;
  /** answered / asked; null when nothing was asked. */
  answeredRate: number | null;
  up: number;
  down: number;
  /** 👍 / (👍 + 👎); null without votes. */
  helpfulRate: number | null;
  top: { question: string; count: number }[];
  daily: DayCounts[];
}

export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** The first moment of a `days`-day window that ends today (UTC days, today included). */
export function windowStart(days: number, now = Date.now()): number {
  return startOfDay(now) - (days - 1) * DAY_MS;
}

export function computeStats(questions: StoredQuestion[], days: number, now = Date.now(), topN = 5): Stats {
  const first = windowStart(days, now);
  const daily: DayCounts[] = Array.from({ length: days }, (_, i) => ({
    day: first + i * DAY_MS,
    asked: 0,
    answered: 0,
    up: 0,
    down: 0,
  }));
  const wordings = new Map<string, { question: string; count: number }>();
  let answered = 0;
  let up = 0;
  let down = 0;
  for (const q of questions) {
    const bucket = daily[Math.floor((q.askedAt - first) / DAY_MS)];
    if (!bucket) continue;
    bucket.asked++;
    if (q.answered) bucket.answered++;
    bucket.up += q.up;
    bucket.down += q.down;
    if (q.answered) answered++;
    up += q.up;
    down += q.down;
    const key = questionKey(q.question);
    const seen = wordings.get(key);
    if (seen) seen.count++;
    else wordings.set(key, { question: q.question, count: 1 });
  }
  const asked = daily.reduce((n, d) => n + d.asked, 0);
  return {
    days,
    asked,
    answered,
    answeredRate: asked ? answered / asked : null,
    up,
    down,
    helpfulRate: up + down ? up / (up + down) : null,
    top: [...wordings.values()].sort((a, b) => b.count - a.count).slice(0, topN),
    daily,
  };
}
