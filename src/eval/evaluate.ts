/**
 * Answer quality on a question set. Each question has a kind: answerable (its `expect` lists
 * verbatim substrings of the right passage), off-topic (nothing in the sources is about it) or
 * near-miss (on the article's topic, but the article does not contain the answer). Without a
 * kind, a question with `expect: []` is off-topic and any other is answerable.
 *
 * Reported: hit@1, hit@3, MRR and false-abstain rate on answerable questions; quoteHitAt1, the
 * share of answerable questions whose first result's key sentence (the bold quote) contains an
 * expected substring; the abstain rate on off-topic and, separately, on near-miss questions.
 * A result is a hit when its passage contains an expected substring (case, whitespace and
 * typographic quotes folded).
 */
import { readFile } from 'node:fs/promises';
import { UserFacingError } from '../errors.ts';
import type { Answer, AskOptions, Quarry } from '../quarry.ts';
import { foldQuotes } from '../text/terms.ts';

export const QUESTION_KINDS = ['answerable', 'off-topic', 'near-miss'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

export interface EvalQuestion {
  question: string;
  expect: string[];
  kind: QuestionKind;
}

export interface EvalReport {
  hitAt1: number;
  hitAt3: number;
  mrr: number;
  quoteHitAt1: number;
  /** On off-topic questions. */
  abstainRate: number;
  nearMissAbstainRate: number;
  falseAbstainRate: number;
  /** Passages shown per answer given: filler shows up here. */
  resultsPerAnswer: number;
  questions: {
    question: string;
    kind: QuestionKind;
    answered: boolean;
    hitRank: number | null;
    /** Whether the first result's key sentence contains an expected substring. */
    quoteHit: boolean;
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
      const q = parsed as { question?: unknown; expect?: unknown; kind?: unknown };
      if (typeof q.question !== 'string' || !Array.isArray(q.expect)) {
        throw new UserFacingError('eval', `${path}:${number} needs {"question": string, "expect": [string]}`);
      }
      const expect = q.expect.map(String);
      const kind = q.kind ?? (expect.length ? 'answerable' : 'off-topic');
      if (!QUESTION_KINDS.includes(kind as QuestionKind)) {
        throw new UserFacingError(
          'eval',
          `${path}:${number}: "kind" must be one of ${QUESTION_KINDS.join(', ')}`,
        );
      }
      if ((kind === 'answerable') !== expect.length > 0) {
        throw new UserFacingError(
          'eval',
          `${path}:${number}: an answerable question needs "expect" substrings; other kinds need "expect": []`,
        );
      }
      return { question: q.question, expect, kind: kind as QuestionKind };
    });
}

/** Whether a text holds one of the expected substrings (case, whitespace and quotes folded). */
export function containsExpected(text: string, expect: string[]): boolean {
  const folded = foldForMatch(text);
  return expect.some((w) => folded.includes(foldForMatch(w)));
}

export type JudgedQuestion = EvalReport['questions'][number];
/** What judging needs of an answer: the eval, the tuning script and calibration all pass one. */
export type JudgeableAnswer = Pick<Answer, 'answered'> & {
  results: { text: string; quote: string; score: number }[];
};

export function hitRank(answer: JudgeableAnswer, expect: string[]): number | null {
  const index = answer.results.findIndex((r) => containsExpected(r.text, expect));
  return index < 0 ? null : index + 1;
}

/** Whether the first result's key sentence (what the reply shows in bold) holds the answer. */
export function quoteHit(answer: JudgeableAnswer, expect: string[]): boolean {
  const first = answer.results[0];
  return Boolean(first && expect.length && containsExpected(first.quote, expect));
}

export function judge(q: EvalQuestion, answer: JudgeableAnswer): JudgedQuestion {
  const answerable = q.kind === 'answerable';
  return {
    question: q.question,
    kind: q.kind,
    answered: answer.answered,
    hitRank: answerable ? hitRank(answer, q.expect) : null,
    quoteHit: answerable && quoteHit(answer, q.expect),
    results: answer.results.map((r) => ({ text: r.text, quote: r.quote, score: r.score })),
  };
}

export function summarise(rows: JudgedQuestion[]): EvalReport {
  const ratio = (n: number, d: number) => (d ? Math.round((n / d) * 10000) / 10000 : 0);
  const answerable = rows.filter((r) => r.kind === 'answerable');
  const abstainRate = (kind: QuestionKind) => {
    const asked = rows.filter((r) => r.kind === kind);
    return ratio(asked.filter((r) => !r.answered).length, asked.length);
  };
  const answered = rows.filter((r) => r.answered);
  const count = (keep: (r: JudgedQuestion) => boolean) => answerable.filter(keep).length;
  return {
    hitAt1: ratio(
      count((r) => r.hitRank === 1),
      answerable.length,
    ),
    hitAt3: ratio(
      count((r) => r.hitRank !== null && r.hitRank <= 3),
      answerable.length,
    ),
    mrr: ratio(
      answerable.reduce((sum, r) => sum + (r.hitRank ? 1 / r.hitRank : 0), 0),
      answerable.length,
    ),
    quoteHitAt1: ratio(
      count((r) => r.quoteHit),
      answerable.length,
    ),
    abstainRate: abstainRate('off-topic'),
    nearMissAbstainRate: abstainRate('near-miss'),
    falseAbstainRate: ratio(
      count((r) => !r.answered),
      answerable.length,
    ),
    resultsPerAnswer: ratio(
      answered.reduce((sum, r) => sum + r.results.length, 0),
      answered.length,
    ),
    questions: rows,
  };
}

export async function evaluate(
  quarry: Quarry,
  questions: EvalQuestion[],
  options: AskOptions = {},
): Promise<EvalReport> {
  const rows: JudgedQuestion[] = [];
  for (const q of questions) rows.push(judge(q, await quarry.ask(q.question, options)));
  return summarise(rows);
}
