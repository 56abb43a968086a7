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

function containsExpected(text: string, expect: string[]): boolean {
  const folded = foldForMatch(text);
  return expect.some((w) => folded.includes(foldForMatch(w)));
}

export function hitRank(answer: Answer, expect: string[]): number | null {
  const index = answer.results.findIndex((r) => containsExpected(r.text, expect));
  return index < 0 ? null : index + 1;
}

/** Whether the first result's key sentence (what the reply shows in bold) holds the answer. */
export function quoteHit(answer: Answer, expect: string[]): boolean {
  const first = answer.results[0];
  return Boolean(first && expect.length && containsExpected(first.quote, expect));
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
  let quoteHits = 0;
  let reciprocal = 0;
  let falseAbstains = 0;
  const unanswerable = { 'off-topic': { asked: 0, abstained: 0 }, 'near-miss': { asked: 0, abstained: 0 } };
  for (const q of questions) {
    const answer = await quarry.ask(q.question, options);
    const rank = q.kind === 'answerable' ? hitRank(answer, q.expect) : null;
    const quote = q.kind === 'answerable' && quoteHit(answer, q.expect);
    if (q.kind === 'answerable') {
      answerable++;
      if (rank === 1) hit1++;
      if (rank !== null && rank <= 3) hit3++;
      if (rank !== null) reciprocal += 1 / rank;
      if (quote) quoteHits++;
      if (!answer.answered) falseAbstains++;
    } else {
      unanswerable[q.kind].asked++;
      if (!answer.answered) unanswerable[q.kind].abstained++;
    }
    rows.push({
      question: q.question,
      kind: q.kind,
      answered: answer.answered,
      hitRank: rank,
      quoteHit: quote,
      results: answer.results.map((r) => ({ text: r.text, quote: r.quote, score: r.score })),
    });
  }
  const ratio = (n: number, d: number) => (d ? Math.round((n / d) * 10000) / 10000 : 0);
  return {
    hitAt1: ratio(hit1, answerable),
    hitAt3: ratio(hit3, answerable),
    mrr: ratio(reciprocal, answerable),
    quoteHitAt1: ratio(quoteHits, answerable),
    abstainRate: ratio(unanswerable['off-topic'].abstained, unanswerable['off-topic'].asked),
    nearMissAbstainRate: ratio(unanswerable['near-miss'].abstained, unanswerable['near-miss'].asked),
    falseAbstainRate: ratio(falseAbstains, answerable),
    questions: rows,
  };
}
