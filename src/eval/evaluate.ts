/**
 * Retrieval quality on a question set: hit@1, hit@3, MRR, abstain rate on questions whose answer
 * is not in the sources, false-abstain rate on the others. A result is a hit when its passage
 * contains an expected substring (case, whitespace and typographic quotes folded).
 */
import { readFile } from 'node:fs/promises';
import { UserFacingError } from '../errors.ts';
import type { Answer, AskOptions, Quarry } from '../quarry.ts';
import { foldQuotes } from '../text/terms.ts';

export interface EvalQuestion {
  question: string;
  expect: string[];
}

export interface EvalReport {
  hitAt1: number;
  hitAt3: number;
  mrr: number;
  abstainRate: number;
  falseAbstainRate: number;
  questions: {
    question: string;
    answered: boolean;
    hitRank: number | null;
    results: { text: string; quote: string; score: number }[];
  }[];
}

export function foldForMatch(text: string): string {
  return foldQuotes(text)
    .replace(/[‐‑‒–—]/g, '-')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

export async function readQuestions(path: string): Promise<EvalQuestion[]> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch {
    throw new UserFacingError('eval', `cannot read the question file ${path}`);
  }
  return raw
    .split('\n')
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .filter(({ line }) => line && !line.startsWith('//'))
    .map(({ line, number }) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new UserFacingError('eval', `${path}:${number} is not valid JSON`);
      }
      const q = parsed as Partial<EvalQuestion>;
      if (typeof q.question !== 'string' || !Array.isArray(q.expect)) {
        throw new UserFacingError('eval', `${path}:${number} needs {"question": string, "expect": [string]}`);
      }
      return { question: q.question, expect: q.expect.map(String) };
    });
}

export function hitRank(answer: Answer, expect: string[]): number | null {
  const wanted = expect.map(foldForMatch);
  const index = answer.results.findIndex((r) => {
    const text = foldForMatch(r.text);
    return wanted.some((w) => text.includes(w));
  });
  return index < 0 ? null : index + 1;
}

export async function evaluate(
  quarry: Quarry,
  questions: EvalQuestion[],
  options: AskOptions = {},
): Promise<EvalReport> {
  const rows: EvalReport['questions'] = [];
  let answerable = 0;
  let hit1 = 0;
  let hit3 = 0;
  let reciprocal = 0;
  let offTopic = 0;
  let abstained = 0;
  let falseAbstains = 0;
  for (const q of questions) {
    const answer = await quarry.ask(q.question, options);
    const rank = q.expect.length ? hitRank(answer, q.expect) : null;
    if (q.expect.length) {
      answerable++;
      if (rank === 1) hit1++;
      if (rank !== null && rank <= 3) hit3++;
      if (rank !== null) reciprocal += 1 / rank;
      if (!answer.answered) falseAbstains++;
    } else {
      offTopic++;
      if (!answer.answered) abstained++;
    }
    rows.push({
      question: q.question,
      answered: answer.answered,
      hitRank: rank,
      results: answer.results.map((r) => ({ text: r.text, quote: r.quote, score: r.score })),
    });
  }
  const ratio = (n: number, d: number) => (d ? Math.round((n / d) * 10000) / 10000 : 0);
  return {
    hitAt1: ratio(hit1, answerable),
    hitAt3: ratio(hit3, answerable),
    mrr: ratio(reciprocal, answerable),
    abstainRate: ratio(abstained, offTopic),
    falseAbstainRate: ratio(falseAbstains, answerable),
    questions: rows,
  };
}
