/**
 * The gaps report: questions that were not answered or got a 👎, with near duplicates grouped so
 * a moderator reads "5 × What is the population of Russia?" once instead of five rows. Pure
 * functions over stored questions; grouping uses the embeddings stored with each question (from
 * the same model that answers), so no model runs while a report is built.
 */
import { stringify } from 'csv-stringify/sync';
import type { QuestionWithVector } from './store.ts';

/** Cosine at or above which two questions count as the same question (MiniLM paraphrases: ~0.8–0.95). */
export const NEAR_DUPLICATE_COSINE = 0.85;

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

function dot(a: Float32Array, b: Float32Array, offset: number): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[offset + i] as number);
  return sum;
}

function mostFrequentWording(members: QuestionWithVector[]): string {
  const counts = new Map<string, number>();
  for (const m of members) counts.set(m.question, (counts.get(m.question) ?? 0) + 1);
  let best = members[0]?.question ?? '';
  for (const [text, n] of counts) if (n > (counts.get(best) ?? 0)) best = text;
  return best;
}

/**
 * Groups questions: identical after folding first, then each exact group joins the first larger
 * group whose leading vector is within `threshold` cosine (vectors are L2-normalised), else leads
 * its own. Largest exact groups go first, so leaders are the common wordings. Questions whose
 * vector is missing or of another dimension are grouped by exact wording only.
 */
export function groupGaps(questions: QuestionWithVector[], threshold = NEAR_DUPLICATE_COSINE): GapGroup[] {
  const exact = new Map<string, QuestionWithVector[]>();
  for (const q of questions) {
    const key = questionKey(q.question);
    const list = exact.get(key);
    if (list) list.push(q);
    else exact.set(key, [q]);
  }
  const ordered = [...exact.values()].sort((a, b) => b.length - a.length);
  const dimension = questions.find((q) => q.vector)?.vector?.length ?? 0;
  const leaders = new Float32Array(dimension * ordered.length);
  const leaderGroups: QuestionWithVector[][] = [];
  const groups: QuestionWithVector[][] = [];
  for (const members of ordered) {
    const vector = members.find((m) => m.vector?.length === dimension)?.vector ?? null;
    let joined = false;
    if (vector && dimension > 0) {
      for (let g = 0; g < leaderGroups.length; g++) {
        if (dot(vector, leaders, g * dimension) >= threshold) {
          (leaderGroups[g] as QuestionWithVector[]).push(...members);
          joined = true;
          break;
        }
      }
      if (!joined) {
        leaders.set(vector, leaderGroups.length * dimension);
        leaderGroups.push(members);
        groups.push(members);
        joined = true;
      }
    }
    if (!joined) groups.push(members);
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
