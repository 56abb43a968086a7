/**
 * Feedback storage on both backends through the one interface the bot uses (FeedbackStorage):
 * what /ask adds by recording its question, what a 👍 click costs, and the database part of
 * /stats and /gaps (the query; aggregation, grouping and the chart are the same code for both) at
 * `count` stored questions — the seeded data of bench/feedback.ts (90 days, 40% not answered,
 * 5% 👎, a 384-d embedding each).
 */
import { computeStats, windowStart } from '../src/feedback/stats.ts';
import type { FeedbackStorage } from '../src/feedback/storage.ts';
import { BENCH_GUILD, benchQuestions, unit } from './feedback.ts';
import { median, percentile, round } from './stats.ts';

/** Writes the benchmark's questions through the interface, `parallel` at a time (as shards would). */
async function fill(store: FeedbackStorage, count: number, now: number, parallel: number): Promise<void> {
  const rows = benchQuestions(count, now);
  let next = 0;
  const worker = async () => {
    for (let row = rows[next++]; row; row = rows[next++]) {
      const id = await store.recordQuestion(row.question);
      if (row.disliked)
        await store.vote({ guildId: BENCH_GUILD, questionId: id, memberId: 'voter', value: -1 });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

async function timed(runs: number, work: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  return samples;
}

const ms = (samples: number[]) => ({
  p50: round(median(samples), 2),
  p99: round(percentile(samples, 99), 2),
});

export async function benchFeedbackStorage(
  store: FeedbackStorage,
  options: { count: number; records: number },
) {
  const now = Date.now();
  const vector = unit(Float32Array.from({ length: 384 }, (_, i) => Math.sin(i)));
  const ids: number[] = [];
  const record = await timed(options.records, async () => {
    ids.push(
      await store.recordQuestion({
        guildId: BENCH_GUILD,
        channelId: '300000000000000003',
        memberId: `member-${ids.length}`,
        question: `How many time zones does Russia have? (${ids.length})`,
        answered: true,
        topScore: 0.68,
        passageIds: ['a', 'b', 'c'],
        vector,
        model: 'bench',
      }),
    );
  });
  let voter = 0;
  const vote = await timed(options.records, async () => {
    const questionId = ids[voter % ids.length] as number;
    await store.vote({ guildId: BENCH_GUILD, questionId, memberId: `voter-${voter++}`, value: 1 });
  });
  // Empty again before the fill: the questions just recorded were asked after `now`.
  await store.prune(0, Date.now() + 1);
  const fillStarted = performance.now();
  await fill(store, options.count, now, 4);
  const fillSeconds = round((performance.now() - fillStarted) / 1000, 1);
  let asked = 0;
  const stats = await timed(10, async () => {
    asked = computeStats(await store.questionsSince(BENCH_GUILD, windowStart(30, now)), 30, now).asked;
  });
  let candidates = 0;
  const gaps = await timed(10, async () => {
    candidates = (await store.gapCandidates(BENCH_GUILD, windowStart(90, now))).length;
  });
  return {
    recordQuestionMs: ms(record),
    voteMs: ms(vote),
    storedQuestions: options.count,
    fillSeconds,
    statsQueryMs: ms(stats),
    statsQuestions: asked,
    gapsQueryMs: ms(gaps),
    gapCandidates: candidates,
  };
}
