/**
 * Does the best passage answer the question, or is it only about the same thing? Similarity
 * cannot tell: "What is the population of Russia?" is close to every paragraph about Russia.
 * Without a reader model, an answer-type check that needs none (README "Answerability"),
 * measured on the tuning half with scripts/tune-retrieval.ts: "how many / how much / what share"
 * needs a quantity in the best passage, "when / what year / what date" a date. (A grounding check
 * — abstain when a question word never occurs in the sources — was measured and dropped: members'
 * own words, "cozy", "grab", "headline", refused half the answerable questions.)
 */
import type { PreparedQuestion, ScoredPassage } from './retrieve.ts';

export type AnswerType = 'quantity' | 'date' | 'other';

export interface AnswerCheck {
  answers: boolean;
  type: AnswerType;
  /** Why it does not answer, or the empty string. */
  reason: string;
}

const QUANTITY_QUESTION =
  /\b(?:how\s+(?:many|much)|what\s+(?:share|percentage|percent|proportion|number|amount|fraction)|hw\s+many)\b/i;
const DATE_QUESTION =
  /\b(?:when|what\s+(?:year|date|day|month)|since\s+when|which\s+(?:year|date|day|month))\b/i;

// Not "one", "most" or "all": "one of the largest producers" states no quantity.
const NUMBER_WORDS =
  /\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?|millions?|billions?|trillions?|half|third|quarter|fifth|tenth|percent|majority|minority)\b/i;
const MONTHS =
  /\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|yesterday|today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|month|year|since|until|after|before)\b/i;

export function expectedAnswerType(question: string): AnswerType {
  if (QUANTITY_QUESTION.test(question)) return 'quantity';
  if (DATE_QUESTION.test(question)) return 'date';
  return 'other';
}

function hasQuantity(text: string): boolean {
  return /\d/.test(text) || NUMBER_WORDS.test(text);
}

function hasDate(text: string): boolean {
  return /\b\d{4}\b/.test(text) || MONTHS.test(text);
}

/** Whether a text holds the kind of answer asked for ("other" fits anything). */
export function fitsAnswerType(text: string, type: AnswerType): boolean {
  if (type === 'quantity') return hasQuantity(text);
  if (type === 'date') return hasDate(text);
  return true;
}

export interface AnswerCheckOptions {
  /**
   * When the best passage lacks the answer type, a passage within this much relevance of it that
   * has one answers instead; when none does, Quarry abstains.
   */
  typeMargin: number;
}

/** Chosen with scripts/tune-retrieval.ts on the tuning half. */
export const ANSWER_CHECK: AnswerCheckOptions = { typeMargin: 0.1 };

export function checkAnswer(prepared: PreparedQuestion, passage: ScoredPassage): AnswerCheck {
  const type = prepared.answerType;
  if (fitsAnswerType(passage.passage.text, type)) return { answers: true, type, reason: '' };
  return { answers: false, type, reason: `no ${type} in the passage` };
}
