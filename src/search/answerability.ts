/**
 * Does the best passage answer the question, or is it only about the same thing? Similarity
 * cannot tell: "What is the population of Russia?" is close to every paragraph about Russia.
 * No reader model (SQuAD 2.0 reader, cross-encoder) is reachable through the registries, so four
 * checks that need no model beyond the embedder's tokenizer (README "Retrieval"), measured with
 * scripts/tune-retrieval.ts --crossfold (threshold chosen on one half, measured on the other):
 * - rare focus: the thing asked about ("GDP" in "What is Russia's GDP?") must not be a rare word
 *   the sources never use;
 * - answer type (expected-answer.ts): the question's class — person, organisation, place, money,
 *   share, duration, date, quantity, name, reported speech — must be present in the key sentence
 *   or a neighbouring sentence that shares a word with the question, and an entity must be one the
 *   question does not name ("Who heads Russia's Federal Agency…?" is not answered by a sentence
 *   naming only Russia and the agency). Only the best passage counts: letting a passage within 0.1
 *   answer instead let near-misses through (cross-fold near-miss abstain 0.55 vs 0.62).
 * - focus (focus-grounding.ts): what a "how many X" / "what is the X of" / "what did X say" /
 *   "who is X" question asks about must be said there too ("population", "time zones", "envoy");
 * - subject: a name the question gives must be named there ("China" in "How many time zones does
 *   China have?"), under any of its names (entity-aliases.ts), and not only as "than China".
 * Measured and not shipped: the same check on the key sentence alone (near-miss 0.68 but false
 * abstain 0.23 on the dev set: a wrong key sentence refuses a right passage), and entity grounding
 * for every question in the whole passage without aliases ("Moscow" for "Russia" refused
 * answerable questions); the subject check above is that check narrowed to questions with an
 * answer class and given the aliases.
 */
import type { Span } from '../text/sentences.ts';
import { contentTerms, foldQuotes, toTerm } from '../text/terms.ts';
import { WordNetNouns } from '../text/wordnet.ts';
import { aliasGroupsIn, namesGroup, otherNames } from './entity-aliases.ts';
import {
  answerCues,
  answerSpan,
  type ExpectedAnswer,
  expectedAnswer,
  holdsAnswer,
  isClassHead,
  namesEntity,
  questionEntities,
  questionPeopleAndPlaces,
  tagTokens,
} from './expected-answer.ts';
import { focusTerms, groundsFocus, superlativeTerms } from './focus-grounding.ts';
import { sentenceTerms } from './key-sentences.ts';
import type { PreparedQuestion, ScoredPassage } from './retrieve.ts';

export type AnswerType = 'quantity' | 'date' | 'other';

export interface AnswerCheck {
  answers: boolean;
  type: AnswerType | ExpectedAnswer;
  /** The answer inside the key sentence (absolute offsets), when its class finds one there. */
  span?: Span;
  /** Why it does not answer, or the empty string. */
  reason: string;
}

const QUANTITY_QUESTION =
  /\b(?:how\s+(?:many|much)|what\s+(?:share|percentage|percent|proportion|number|amount|fraction)|hw\s+many)\b/i;
const DATE_QUESTION =
  /\b(?:when|what\s+(?:year|date|day|month)|since\s+when|which\s+(?:year|date|day|month))\b/i;

// Not "one", "most" or "all": "one of the largest producers" states no quantity.
// "Seventeen" and "forty" are numbers too: without the teens and tens, "feeds seventeen puffins"
// failed the quantity check for "how many puffins" and the answer abstained.
const NUMBER_WORDS =
  /\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?:thir|four|fif|six|seven|eigh|nine)teen|(?:twen|thir|for|fif|six|seven|eigh|nine)ty|dozens?|hundreds?|thousands?|millions?|billions?|trillions?|half|third|quarter|fifth|tenth|percent|majority|minority)\b/i;
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

// "When does the ferry leave?" — "at ten" answers it as well as a date does.
const TIME_OF_DAY =
  /\b(?:\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.|h)|noon|midnight|o'clock|morning|afternoon|evening|tonight|at\s+(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve))\b/i;

function hasDate(text: string): boolean {
  return /\b\d{4}\b/.test(text) || MONTHS.test(text) || TIME_OF_DAY.test(text);
}

/** Whether a text holds the kind of answer asked for ("other" fits anything). */
export function fitsAnswerType(text: string, type: AnswerType): boolean {
  if (type === 'quantity') return hasQuantity(text);
  if (type === 'date') return hasDate(text);
  return true;
}

/** What the answer check may ask of the sources and of the model's vocabulary. */
export interface Vocabulary {
  /** Whether the sources use this content term (or, unless `exact`, one a typo away from it). */
  knows(term: string, exact?: boolean): boolean;
  /**
   * Whether a word is rare in general English (the model's word-piece vocabulary is ordered by
   * frequency): "tariffs", "lithium", a name like "Kremlin" — not "point", "state" or "gap".
   */
  isRareWord(word: string): boolean;
  /** Whether a source's title names this term: its passages need not name it again. */
  inTitle?(term: string, sourceId: string): boolean;
}

// Words that can follow "what/which/how many" without naming what is asked for.
const NOT_A_FOCUS = new Set(
  `is are was were be been do does did done has have had will would could can should might may must
the a an this that these those it its they them their he she his her we our you your i my me
exactly else about kind kinds sort type types of in on at to for from with by as if so s
percent percentage share proportion number amount fraction year years date day days month months time
happened happen going exact`.split(/\s+/),
);
const WH = /^(?:what|which|whose)$/;
const HOW_MANY = /^(?:many|much)$/;

export interface QuestionFocus {
  /** As written ("Kremlin"), for the rarity test. */
  word: string;
  /** As an index term ("kremlin"), for the sources test. */
  term: string;
}

/**
 * The thing a question asks about ("population" in "What is the population of Russia?", "barrels"
 * in "how many barrels…", "Kremlin" in "What did Kremlin spokesman … say"), or null. Classic QA
 * calls it the question's focus: when the sources never name it, they cannot answer.
 */
export function questionFocus(question: string): QuestionFocus | null {
  const words = foldQuotes(question)
    .replace(/'s\b/g, ' s')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  const lower = words.map((w) => w.toLowerCase());
  const start = lower.findIndex(
    (w, i) => WH.test(w) || ((w === 'how' || w === 'hw') && HOW_MANY.test(lower[i + 1] ?? '')),
  );
  if (start < 0) return null;
  const from = start + (lower[start] === 'how' || lower[start] === 'hw' ? 2 : 1);
  for (let i = from; i < Math.min(words.length, from + 6); i++) {
    const word = lower[i] ?? '';
    // "Russia's GDP", "the periodic table's metals": the possessor is context, the possessed
    // thing is asked about.
    const possessor = lower[i + 1] === 's' || (lower[i + 2] === 's' && !NOT_A_FOCUS.has(lower[i + 1] ?? 's'));
    if (NOT_A_FOCUS.has(word) || possessor || superlative(question, word)) continue;
    // "Which outlet…?" names the class asked for, which the answer-type check weighs.
    if (isClassHead(word)) return null;
    const term = toTerm(word);
    return term ? { word: words[i] ?? word, term } : null;
  }
  return null;
}

/**
 * "the hottest water": a superlative ranks the thing asked about, it does not name it (the
 * sources say "water above 40 °C"); tagged only for a word that looks like one.
 */
function superlative(question: string, word: string): boolean {
  return (
    /est$/.test(word) &&
    tagTokens(question).some((t) => t.text.toLowerCase() === word && t.tags.has('Superlative'))
  );
}

export interface AnswerCheckOptions {
  /**
   * When the best passage lacks the answer type, a passage within this much relevance of it that
   * has one answers instead; when none does, Quarry abstains.
   */
  typeMargin: number;
  /** Abstain when the question's focus is a rare word the sources never use. */
  focusCheck: boolean;
  /**
   * Where the answer type is checked, with the question classes of expected-answer.ts (person,
   * place, money, duration, …; an entity must be one the question does not name): the key
   * sentence, the key sentence with its neighbours, or the passage. Absent: the coarse check
   * (quantity / date anywhere in the passage).
   */
  answerScope?: AnswerScope;
  /**
   * Every named thing the question asks about that the sources mention ("China" in "How many
   * time zones does China have?") must be named in this scope of the answering passage.
   */
  groundingScope?: AnswerScope;
  /**
   * The question's focus phrase (focus-grounding.ts: "population", "time zones", "develop … rare
   * earth deposits") must be said in this scope of the answering passage.
   */
  focusScope?: AnswerScope;
  /** Apply groundingScope only to questions with an answer class (not "other"). */
  groundTypedOnly?: boolean;
}

/**
 * quote: the key sentence; near: it and its neighbours that share a content word with the
 * question; related: it and every sentence of the passage that shares one; context: it and its
 * neighbours; passage: the whole passage.
 */
export type AnswerScope = 'quote' | 'near' | 'related' | 'context' | 'passage';

/** Chosen with scripts/tune-retrieval.ts on the tuning half. */
export const ANSWER_CHECK: AnswerCheckOptions = {
  typeMargin: 0,
  focusCheck: true,
  answerScope: 'near',
  focusScope: 'near',
  groundingScope: 'near',
  groundTypedOnly: true,
};

/**
 * Word-piece vocabularies of the BERT family list whole words roughly by frequency (id 1996 is
 * "the"); from this id on a word is rare enough to name something specific ("sanctions" 17147,
 * "lithium" 22157) rather than something any question may say ("point" 2391, "gap" 6578).
 * Chosen with scripts/tune-retrieval.ts on the tuning half.
 */
export const RARE_WORD_ID = 10000;

/**
 * Rarity from a tokenizer: a whole word with a high id, or a capitalised word the vocabulary has
 * to split (a name such as "Kremlin" or "Peskov"; a lower-case split word is more often a typo).
 */
export function rareWordTest(
  wordPieces: (word: string) => number[],
  rareId = RARE_WORD_ID,
): (word: string) => boolean {
  return (word) => {
    const pieces = wordPieces(word.toLowerCase());
    if (pieces.length === 1) return (pieces[0] ?? 0) >= rareId;
    return pieces.length > 1 && /^\p{Lu}/u.test(word);
  };
}

/** The question names something specific that the sources never mention. */
export function focusMissing(prepared: PreparedQuestion, vocabulary: Vocabulary): boolean {
  const focus = prepared.focus;
  if (!focus || vocabulary.knows(focus.term) || !vocabulary.isRareWord(focus.word)) return false;
  return (
    !knownUnderAnotherName(focus.word, vocabulary) &&
    !knownAsRelatedNoun(focus.word, vocabulary) &&
    !inKnownName(prepared.question, focus.word, vocabulary)
  );
}

/** "Volodymyr" in "What did Volodymyr Zelensky do?" when the sources write "Vladimir Zelensky". */
function inKnownName(question: string, word: string, vocabulary: Vocabulary): boolean {
  return questionPeopleAndPlaces(foldQuotes(question)).some(
    (e) => e.text === word && e.name.some((term) => vocabulary.knows(term)),
  );
}

const WORDNET = new WordNetNouns();

/** Reads WordNet's noun index (4.8 MB) now rather than on the first question that needs it. */
export function openWordNet(): void {
  WORDNET.open();
}

/** Whether WordNet's files are open. */
export function wordNetOpened(): boolean {
  return WORDNET.opened;
}

/**
 * "what slice of the deposits…" when the sources say "share": WordNet gives the word's synonyms
 * and the nouns just above and below its senses. Not the embedding's nearest word, which finds
 * "economic" for "GDP" and "sanctions" for "tariffs" (README "When Quarry answers").
 */
function knownAsRelatedNoun(word: string, vocabulary: Vocabulary): boolean {
  return WORDNET.related(word).some((noun) => {
    const terms = contentTerms(noun);
    return noun.length >= 3 && terms.length > 0 && terms.every((t) => vocabulary.knows(t, true));
  });
}

/** "kyiv" when the sources write "Kiev" or "Ukraine": the same place under another name. */
function knownUnderAnotherName(word: string, vocabulary: Vocabulary): boolean {
  return otherNames(word).some((form) => {
    const terms = contentTerms(form);
    return terms.length > 0 && terms.every((t) => vocabulary.knows(t));
  });
}

/**
 * What the sources cannot answer about: the question's rare focus word they never use ("GDP"), or
 * a person or place it names that they never mention under any name ("does greenland have rare
 * earths", "what does india think…"); null when there is none.
 */
export function unmentioned(prepared: PreparedQuestion, vocabulary: Vocabulary): string | null {
  if (focusMissing(prepared, vocabulary)) return prepared.focus?.word ?? null;
  const question = foldQuotes(prepared.question);
  const named = aliasGroupsIn(question).map((g) => question.slice(g.start, g.end));
  const country = named.find((name) => !knownUnderAnotherName(name, vocabulary));
  if (country) return country;
  // Each token compromise tags is bounded by spaces, dashes or punctuation, so its term is one of
  // the question's: when the sources know them all, no person or place can be unknown, and the
  // question need not be tagged (~1 ms for a new question).
  if (contentTerms(question).every((term) => vocabulary.knows(term))) return null;
  const unknown = questionPeopleAndPlaces(question).find(
    (e) =>
      !e.name.some((term) => vocabulary.knows(term)) &&
      !named.some((name) => name.includes(e.text)) &&
      !knownUnderAnotherName(e.text, vocabulary),
  );
  return unknown?.text ?? null;
}

/** The text of a scope: the key sentence, it and its neighbouring sentences, or the passage. */
export function scopeText(
  scored: ScoredPassage,
  scope: AnswerScope,
  questionTerms: ReadonlySet<string> = new Set(),
): string {
  const { passage, quote } = scored;
  if (scope === 'passage') return passage.text;
  if (scope === 'related' || scope === 'near') {
    // "They have 11 time zones." shares no word with "How far is the Moon from Earth?": a number
    // there does not answer it; "These territories hold 70% of Ukraine's reserves" does share one.
    const spans = passage.sentences;
    const inQuote = (s: Span) => s.start < quote.end && quote.start < s.end;
    const adjacent = (i: number) => inQuote(spans[i - 1] ?? quote) || inQuote(spans[i + 1] ?? quote);
    // The sentences' terms as key-sentence scoring cached them: stemming them again on each of a
    // check's several scopes cost ~0.1 ms a question.
    const terms = sentenceTerms(passage);
    const sharesTerm = (i: number) => {
      for (const t of terms[i] ?? []) if (questionTerms.has(t)) return true;
      return false;
    };
    return spans
      .filter((s, i) => inQuote(s) || ((scope === 'related' || adjacent(i)) && sharesTerm(i)))
      .map((s) => passage.text.slice(s.start - passage.start, s.end - passage.start))
      .join(' ');
  }
  let { start, end } = quote;
  if (scope === 'context') {
    const spans = passage.sentences;
    const first = spans.findIndex((s) => s.end > quote.start);
    const last = spans.findLastIndex((s) => s.start < quote.end);
    if (first >= 0) start = Math.min(start, (spans[first - 1] ?? spans[first] ?? quote).start);
    if (last >= 0) end = Math.max(end, (spans[last + 1] ?? spans[last] ?? quote).end);
  }
  return passage.text.slice(start - passage.start, end - passage.start);
}

/** `compute` for a prepared question, computed once per prepared question. */
function perQuestion<T>(compute: (prepared: PreparedQuestion) => T): (prepared: PreparedQuestion) => T {
  const memo = new WeakMap<PreparedQuestion, T>();
  return (prepared) => {
    if (!memo.has(prepared)) memo.set(prepared, compute(prepared));
    return memo.get(prepared) as T;
  };
}

/** The question's focus terms. */
const focusOf = perQuestion((p) => focusTerms(p.question).filter((t) => p.terms.has(t)));

/** The quality a "the most X" question ranks by. */
const superlativesOf = perQuestion((p) => superlativeTerms(p.question));

/** The kind of answer the question wants. */
const expectedOf = perQuestion((p) => expectedAnswer(p.question));

/**
 * The words that bring a neighbouring sentence into the answer's scope: the question's, and for
 * "who heads / chairs…" the titles of whoever does ("Our chairwoman is Priya Natarajan" answers
 * "Who heads the club?" after a sentence about the club).
 */
const scopeTermsOf = perQuestion((p) => {
  const cues = answerCues(expectedOf(p), p.question);
  return cues.length ? new Set([...p.terms, ...cues]) : p.terms;
});

/**
 * The question's named things, only when the grounding check asks: they need compromise to tag
 * the question (~1.4 ms per new question).
 */
const entitiesOf = perQuestion((p) => questionEntities(p.question));

// "bigger than China": the standard of a comparison is not what the sentence is about.
const COMPARISON_FOIL = /\bthan\s+(?:the\s+)?(?:\p{Lu}[\p{L}\p{N}'.-]*\s*)+/gu;
const QUESTION_FOIL =
  /\b(?:than|compared\s+(?:to|with)|relative\s+to|unlike)\s+(?:the\s+)?(?:\p{Lu}[\p{L}\p{N}'.-]*\s*)+/gu;
// "They have 11 time zones.": who "they" are is said earlier in the paragraph.
const PRONOUN_LED = /^\W*(?:they|it|he|she|their|its|his|her|this|these)\b/i;

/** A named thing the question asks about that the sources mention but this text does not. */
export function missingEntity(
  prepared: PreparedQuestion,
  text: string,
  vocabulary: Vocabulary,
  sourceId?: string,
): string | null {
  // "How long does it take to install the AquaPure?": a manual titled "AquaPure 300 water
  // filter" is about it in every passage ("Installation takes about twenty minutes").
  const titled = (term: string) => sourceId !== undefined && (vocabulary.inTitle?.(term, sourceId) ?? false);
  const said = foldQuotes(text).replace(COMPARISON_FOIL, 'than ');
  // "How big is Russia compared to China?" asks about Russia: China there is a foil too.
  const asked = foldQuotes(prepared.question);
  const foils = [...asked.matchAll(QUESTION_FOIL)].map((m) => m[0]);
  const question = asked.replace(QUESTION_FOIL, 'than ');
  // A country by any of its names ("Moscow" for "Russia", "the US" for "Washington"); what the
  // question excludes ("besides China") need not be named.
  const named = aliasGroupsIn(question);
  const groups = named.filter((g) => prepared.lexicalQuery.includes(question.slice(g.start, g.end)));
  for (const group of groups) if (!namesGroup(said, group.label)) return group.label;
  const inGroup = (name: string) => named.some((g) => question.slice(g.start, g.end).includes(name));
  for (const entity of entitiesOf(prepared)) {
    if (!prepared.terms.has(entity.term) || !vocabulary.knows(entity.term) || inGroup(entity.text)) continue;
    if (foils.some((foil) => foil.includes(entity.text)) || titled(entity.term)) continue;
    if (!namesEntity(said, entity)) return entity.text;
  }
  return null;
}

const NUMBER = /\d+(?:[.,]\d+)*/g;
// Members and sources write small numbers either way: "3 guests" for "three guests", "20 minutes"
// for "twenty minutes".
const UNITS =
  'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen'.split(
    ' ',
  );
const TENS = 'twenty thirty forty fifty sixty seventy eighty ninety'.split(' ');
const SPELT_NUMBER = new RegExp(
  String.raw`\b(${TENS.join('|')})(?:[\s-](${UNITS.slice(1, 10).join('|')}))?\b|\b(${UNITS.join('|')})\b`,
  'gi',
);
const spelt = (m: RegExpMatchArray) =>
  m[3]
    ? UNITS.indexOf(m[3].toLowerCase())
    : 20 + 10 * TENS.indexOf((m[1] ?? '').toLowerCase()) + (m[2] ? UNITS.indexOf(m[2].toLowerCase()) : 0);
const digitsIn = (text: string) => [...text.matchAll(NUMBER)].map((m) => m[0].replace(/,/g, ''));
// Only the answering text's spelt numbers count: a question's "one of the…" gives no number.
const numbersIn = (text: string) => [
  ...digitsIn(text),
  ...[...text.matchAll(SPELT_NUMBER)].map((m) => String(spelt(m))),
];
const MONTH_NAMES =
  'january february march april may june july august september october november december'.split(' ');
// "since '22" is 2022; "on 3/18" (or 18/3) is March 18.
const SHORT_YEAR = /'(\d{2})\b/g;
const NUMERIC_DATE = /\b(\d{1,2})\/(\d{1,2})(?:\/\d{2,4})?\b/g;

/** Numbers of the question that a short year or a numeric date says in other words in `text`. */
function saidAsDate(question: string, text: string, said: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  const folded = foldQuotes(question);
  for (const m of folded.matchAll(SHORT_YEAR)) {
    const short = m[1] ?? '';
    if ([...said].some((n) => n.length === 4 && n.endsWith(short))) found.add(short);
  }
  const lower = text.toLowerCase();
  for (const m of folded.matchAll(NUMERIC_DATE)) {
    const [a, b] = [m[1] ?? '', m[2] ?? ''];
    const month = (n: string) => MONTH_NAMES[Number(n) - 1];
    const names = (n: string, day: string) => said.has(day) && lower.includes(month(n) ?? '\u0000');
    if (names(a, b) || names(b, a)) for (const n of [a, b]) found.add(String(Number(n)));
  }
  return found;
}

/**
 * A number the question gives ("how much did the US spend in **2024**", "the **17** elements")
 * that the answering text does not say: it answers about another year or amount. Said in words
 * ("three guests" for "3 guests"), as a short year ("'22") or a numeric date ("3/18") counts.
 */
export function missingNumber(question: string, text: string): string | null {
  const said = new Set(numbersIn(text).map((n) => String(Number(n) || n)));
  const asDate = saidAsDate(question, text, said);
  return (
    digitsIn(question).find((n) => {
      const value = String(Number(n) || n);
      return !said.has(value) && !asDate.has(value);
    }) ?? null
  );
}

export function checkAnswer(
  prepared: PreparedQuestion,
  passage: ScoredPassage,
  options?: AnswerCheckOptions,
  vocabulary?: Vocabulary,
): AnswerCheck {
  if (!options?.answerScope) {
    const type = prepared.answerType;
    const grounded = groundingFailure(prepared, passage, type, options, vocabulary);
    if (grounded) return grounded;
    if (fitsAnswerType(passage.passage.text, type)) return { answers: true, type, reason: '' };
    return { answers: false, type, reason: `no ${type} in the passage` };
  }
  // The class first: it is the cheapest test and its reason the most telling.
  const type = expectedOf(prepared);
  if (!holdsAnswer(scopeText(passage, options.answerScope, scopeTermsOf(prepared)), type, prepared.question))
    return { answers: false, type, reason: `no ${type} in the ${options.answerScope}` };
  const grounded = groundingFailure(prepared, passage, type, options, vocabulary);
  if (grounded) return grounded;
  const found = answerSpan(scopeText(passage, 'quote'), type, prepared.question);
  const at = passage.quote.start;
  return {
    answers: true,
    type,
    reason: '',
    ...(found ? { span: { start: at + found.start, end: at + found.end } } : {}),
  };
}

// "How much water does it filter?" — "2 litres per minute": an amount in a unit of measure answers
// "how much X" without naming X, unless the unit measures something named ("30 tonnes of nickel").
const HOW_MUCH = /\b(?:how|hw)\s+much\b/i;
const MEASURED =
  /\b\d[\d.,]*\s*(?:(?:thousand|million|billion)\s+)?(?:litres?|liters?|ml|gallons?|barrels?|tonnes?|tons?|kg|kilograms?|grams?|ounces?|oz|cubic\s+met(?:er|re)s?|kwh|mwh|gwh|watts?|kw|mw|gb|mb|tb|calories|kcal|cups?)\b(?!\s+of\b)/i;

function measuredInUnits(question: string, text: string): boolean {
  return HOW_MUCH.test(question) && MEASURED.test(text);
}

/**
 * Related, or answers it? The focus must be said (focus-grounding.ts) and the named thing asked
 * about named (missingEntity) where the answer is; the failed check, or null.
 */
function groundingFailure(
  prepared: PreparedQuestion,
  passage: ScoredPassage,
  type: AnswerType | ExpectedAnswer,
  options: AnswerCheckOptions | undefined,
  vocabulary: Vocabulary | undefined,
): AnswerCheck | null {
  if (options?.focusScope) {
    const scope = scopeText(passage, options.focusScope, scopeTermsOf(prepared));
    for (const terms of [focusOf(prepared), superlativesOf(prepared)])
      if (
        !groundsFocus(scope, terms) &&
        !(terms === focusOf(prepared) && measuredInUnits(prepared.question, scope))
      )
        return { answers: false, type, reason: `"${terms.join(' ')}" is not said where it answers` };
  }
  if (options?.focusScope) {
    const number = missingNumber(
      prepared.question,
      scopeText(passage, options.focusScope, scopeTermsOf(prepared)),
    );
    if (number) return { answers: false, type, reason: `"${number}" is not said where it answers` };
  }
  const typed = expectedOf(prepared) !== 'other';
  if (options?.groundingScope && vocabulary && (typed || !options.groundTypedOnly)) {
    // "They have 11 time zones.": who "they" are is said earlier in the paragraph.
    const scope =
      options.groundingScope === 'near' && PRONOUN_LED.test(scopeText(passage, 'quote'))
        ? 'passage'
        : options.groundingScope;
    const missing = missingEntity(
      prepared,
      scopeText(passage, scope, scopeTermsOf(prepared)),
      vocabulary,
      passage.passage.sourceId,
    );
    if (missing) return { answers: false, type, reason: `"${missing}" is not named where it answers` };
  }
  return null;
}
