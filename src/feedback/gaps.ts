/**
 * The gaps report: questions that were not answered or got a 👎, with near duplicates grouped so
 * a moderator reads "5 × What is the population of Russia?" once instead of five rows. Pure
 * functions over stored questions; grouping uses the embeddings stored with each question (from
 * the same model that answers), so no model runs while a report is built.
 */
import { stringify } from 'csv-stringify/sync';
import { nextTurn } from '../event-loop.ts';
import { VectorIndex } from '../index/vector-index.ts';
import type { QuestionWithVector } from './storage.ts';

/** Cosine at or above which two questions count as the same question (MiniLM paraphrases: ~0.8–0.95). */
export const NEAR_DUPLICATE_COSINE = 0.85;

/** Wordings looked up between two turns of the event loop. */
const YIELD_EVERY = 200;

export interface GapGroup {
  /** The most frequent wording in the group. */
  question: string;
  count: number;
  notAnswered: number;
  downVotes: number;
  lastAskedAt: number;
  members: QuestionWithVector[];
}

/** Case, punctuation and spacing folded: "What's the  population?" = "whats the population". */
export function questionKey(question: string): string {
  return question
    .toLowerCase()
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}\s]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function mostFrequentWording(members: QuestionWithVector[]): string {
  const counts = new Map<string, number>();
  for (const m of members) counts.set(m.question, (counts.get(m.question) ?? 0) + 1);
  let best = members[0]?.question ?? '';
  for (const [text, n] of counts) if (n > (counts.get(best) ?? 0)) best = text;
  return best;
}

/**
 * Groups questions: identical after folding first, then each exact group joins the group whose
 * leading vector is nearest, if within `threshold` cosine, else leads its own. Largest exact
 * groups go first, so leaders are the common wordings. Leaders live in an HNSW index (the
 * project's VectorIndex), so each lookup is logarithmic rather than a scan of every leader
 * (measured: 2,000 wordings × 400 leaders took 0.5 s as a scan). Questions whose vector is
 * missing or of another dimension are grouped by exact wording only.
 */
export async function groupGaps(
  questions: QuestionWithVector[],
  threshold = NEAR_DUPLICATE_COSINE,
): Promise<GapGroup[]> {
  const exact = new Map<string, QuestionWithVector[]>();
  for (const q of questions) {
    const key = questionKey(q.question);
    const list = exact.get(key);
    if (list) list.push(q);
    else exact.set(key, [q]);
  }
  const ordered = [...exact.values()].sort((a, b) => b.length - a.length);
  const dimension = questions.find((q) => q.vector)?.vector?.length ?? 0;
  const leaders =
    dimension > 0
      ? VectorIndex.create(dimension, ordered.length, { m: 16, efConstruction: 100, ef: 12 })
      : null;
  const leaderGroups: QuestionWithVector[][] = [];
  const groups: QuestionWithVector[][] = [];
  for (const [i, members] of ordered.entries()) {
    // Thousands of lookups take a noticeable fraction of a second: let Discord acks through.
    if (i > 0 && i % YIELD_EVERY === 0) await nextTurn();
    const vector = members.find((m) => m.vector?.length === dimension)?.vector ?? null;
    if (!leaders || !vector) {
      groups.push(members);
      continue;
    }
    const [nearest] = leaders.size > 0 ? leaders.search(vector, 1) : [];
    if (nearest && nearest.similarity >= threshold) {
      (leaderGroups[nearest.label] as QuestionWithVector[]).push(...members);
      continue;
    }
    leaders.add(vector, leaderGroups.length);
    leaderGroups.push(members);
    groups.push(members);
  }
  return groups
    .map((members) => ({
      question: mostFrequentWording(members),
      count: members.length,
      notAnswered: members.filter((m) => !m.answered).length,
      downVotes: members.reduce((n, m) => n + m.down, 0),
      lastAskedAt: Math.max(...members.map((m) => m.askedAt)),
      members,
    }))
    .sort((a, b) => b.count - a.count || b.lastAskedAt - a.lastAskedAt);
}

/** Every gap question, one row each, grouped and ranked as in the report. */
export function gapsCsv(groups: GapGroup[]): string {
  const rows = groups.flatMap((group, rank) =>
    group.members.map((q) => ({
      group: rank + 1,
      group_question: group.question,
      group_count: group.count,
      question: q.question,
      answered: q.answered ? 'yes' : 'no',
      top_score: q.topScore === null ? '' : q.topScore.toFixed(2),
      helpful: q.up,
      not_helpful: q.down,
      asked_at: new Date(q.askedAt).toISOString(),
      channel_id: q.channelId,
    })),
  );
  return stringify(rows, {
    header: true,
    columns: [
      'group',
      'group_question',
      'group_count',
      'question',
      'answered',
      'top_score',
      'helpful',
      'not_helpful',
      'asked_at',
      'channel_id',
    ],
    // Spreadsheets run cells that start with = + - @ as formulas; members wrote these questions.
    cast: { string: (value) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value) },
  });
}

/**
 * Discord refuses a bot's file over 10 MiB in a server without boosts, and the whole /gaps reply
 * fails with it: measured, 42,852 gap questions (the 100,000-stored benchmark's) of 90 characters
 * make a 10.2 MiB CSV. The CSV keeps to 8 MiB, leaving room for the rest of the request.
 */
export const CSV_MAX_BYTES = 8 * 1024 * 1024;

/** The leading groups, by rank, whose CSV fits within `maxBytes`: all of them when they fit. */
export function groupsWithinCsv(groups: GapGroup[], maxBytes = CSV_MAX_BYTES): GapGroup[] {
  let bytes = 0;
  for (const [i, group] of groups.entries()) {
    const csv = gapsCsv([group]);
    // The header once, then the group's rows; written alone its rank is 1, in the report i + 1.
    bytes += Buffer.byteLength(i === 0 ? csv : csv.slice(csv.indexOf('\n') + 1));
    bytes += group.members.length * (String(i + 1).length - 1);
    if (bytes > maxBytes) return groups.slice(0, i);
  }
  return groups;
}
