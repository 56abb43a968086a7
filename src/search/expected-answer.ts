/**
 * What kind of answer a question asks for, and whether a piece of text holds one — the classic
 * question classification of extractive QA (Li & Roth's coarse classes: number, money, share,
 * duration, date, person, organisation, place, name), checked against the text with compromise's
 * part-of-speech and entity tags rather than with hand-written word lists. An answer of an entity
 * type must also be new: in "Who heads Russia's Federal Agency for Mineral Resources?" a sentence
 * that names only Russia and the agency names nobody who heads it.
 *
 * compromise (npm, MIT, no native code, no model download) was chosen over wink-nlp: wink's lite
 * English model recognises numbers, dates, money and durations but not people, places or
 * organisations, which "who / which company / where" need.
 */
import nlp from 'compromise';
import { splitSentences } from '../text/sentences.ts';
import { contentTerms, foldQuotes, oneEdit } from '../text/terms.ts';
import { aliasGroupsIn, namesGroup } from './entity-aliases.ts';

export type ExpectedAnswer =
  | 'quantity'
  | 'money'
  | 'percentage'
  | 'duration'
  | 'date'
  | 'time'
  | 'person'
  | 'organisation'
  | 'place'
  | 'agent'
  | 'name'
  | 'statement'
  | 'other';

// A role noun after "which / what" asks for a person (Li & Roth's HUM:individual heads); an
// institution noun for an organisation; a territory noun for a place.
const PERSON_HEADS =
  'journalists?|reporters?|senators?|politicians?|presidents?|ministers?|spokes(?:man|men|person|woman)|officials?|leaders?|authors?|writers?|envoys?|ambassadors?|lawmakers?|ceos?|chairm[ae]n|governors?|persons?|people|m[ae]n|wom[ae]n';
const ORGANISATION_HEADS =
  'compan(?:y|ies)|firms?|agenc(?:y|ies)|organi[sz]ations?|part(?:y|ies)|banks?|newspapers?|outlets?|sites?|networks?|institutions?';
const PLACE_HEADS =
  'countr(?:y|ies)|regions?|cit(?:y|ies)|states?|provinces?|towns?|places?|continents?|territor(?:y|ies)';
// One word may come between the wh-word and its head ("which Russian company"), but not a verb:
// "what are people starting to realise" asks what, not which people.
const AUXILIARY_WORDS =
  'is|are|was|were|am|be|do|does|did|has|have|had|can|could|will|would|shall|should|may|might|must';
const AUXILIARY = `(?:${AUXILIARY_WORDS})`;
const WHICH = String.raw`^(?:which|what)\s+(?:(?!${AUXILIARY}\b)[\w-]+\s+)?`;

/**
 * Tried in order on the question from its first wh-word on ("What deal … was unresolved when
 * Trump …" asks "what", not "when"); the first rule that matches decides ("how much … cost" is
 * money, not a quantity).
 */
const RULES: readonly [ExpectedAnswer, RegExp][] = [
  // "How much mana do fire spells cost?" names its unit: "twenty mana" answers it, not a currency.
  [
    'quantity',
    new RegExp(
      String.raw`^how\s+much\s+(?!(?:money|cash|dollars|euros|pounds|roubles|rubles|yuan|${AUXILIARY_WORDS})\b)[\w-]+\s+${AUXILIARY}\b[^,?]*\b(?:cost|costs|pay|paid|charge[sd]?)\b`,
    ),
  ],
  [
    'money',
    /^how\s+much\b[^,?]*\b(?:cost|costs|worth|pay|paid|spend|spent|price[sd]?|charge[sd]?)\b|^how\s+(?:much|many)\s+(?:money|dollars|euros|pounds|roubles|rubles|yuan)\b|^what(?:'s|\s+is|\s+was)?\s+(?:the\s+)?(?:price|cost)\b/,
  ],
  // "What share…", and "what is Russia's / its / the share…".
  [
    'percentage',
    /^what(?:'s|\s+is|\s+was|\s+are)?\s+(?:(?:the|its|their|[\w-]+'s)\s+){0,2}(?:share|percentage|percent|proportion|fraction)\b/,
  ],
  ['duration', /^how\s+long\b(?!\s+ago)/],
  // "How much detail do we have?" asks how much is known: "details remain sparse" answers it.
  ['other', /^how\s+much\s+(?:detail|details|info|information|evidence|clarity|certainty)\b/],
  [
    'quantity',
    /^(?:how|hw)\s+(?:many|much|big|large|far|tall|high|old|fast|heavy|deep|wide)\b|^what\s+(?:number|amount|size)\b/,
  ],
  // "What time of day was the call?" asks for a clock time: "March 18" does not answer it.
  ['time', /^what\s+time\b(?!\s+(?:zones?|periods?|frames?|spans?|scales?)\b)/],
  ['date', /^when\b|^(?:what|which)\s+(?:year|date|day|month)\b/],
  // "Who heads the agency?" asks for the person at its head, not for any agent.
  [
    'person',
    /^who\s+(?:heads|headed|chairs|chaired|directs|directed)\b|^who\s+(?:is|was)\s+(?:the\s+)?(?:head|chief|chair|director)\s+of\b/,
  ],
  // "Where does the figure come from?" asks for a source: an agency or a person as much as a place.
  ['agent', /^where\b[^,?]*\b(?:come|comes|came|get|gets|got)\s+(?:\w+\s+)?from\b/],
  ['place', new RegExp(String.raw`^where\b|${WHICH}(?:${PLACE_HEADS})\b`)],
  ['person', new RegExp(String.raw`${WHICH}(?:${PERSON_HEADS})\b`)],
  ['organisation', new RegExp(String.raw`${WHICH}(?:${ORGANISATION_HEADS})\b`)],
  ['name', /^what(?:'s|\s+is|\s+was)\s+(?:the\s+)?name\b|^what\s+is\s+(?:it|this|that)\s+called\b/],
  ['agent', /^who(?:m|se)?\b/],
  [
    'statement',
    /^what\s+(?:did|does|do|has|have)\s+(?:[\w'-]+\s+){1,5}?(?:say|tell|claim|state|announce|argue|write)\b/,
  ],
];

// The person-heads rule above, and the titles such a person goes by.
const HEAD_OF =
  /\bwho\s+(?:heads|headed|chairs|chaired|directs|directed|leads|led|runs|ran)\b|\bwho\s+(?:is|was)\s+(?:the\s+)?(?:head|chief|chair|director|leader|boss)\b/i;
const HEAD_TITLES = contentTerms(
  'head chief chair chairman chairwoman chairperson president director leader boss ceo founder manager captain principal',
);

/** Terms that mark a sentence as holding this kind of answer: the titles of a head ("chairwoman"). */
export function answerCues(type: ExpectedAnswer, question: string): string[] {
  return type === 'person' && HEAD_OF.test(foldQuotes(question)) ? HEAD_TITLES : [];
}

const FIRST_WH = /\b(?:what|which|who|whom|whose|when|where|why|how|hw)\b/;

/**
 * A question that opens with an auxiliary ("Was the deal finished when Trump spoke?", "@Quarry is
 * Russia too big to ignore when it comes to raw materials?") asks yes or no: a wh-word later in it
 * heads a subordinate clause, not the thing asked for. Mentions and interjections before it are
 * skipped.
 */
const POLAR = new RegExp(
  String.raw`^(?:(?:<@!?\d+>|@\S+|so|wait|ok|okay|hey|yo|um|also|and|but|lol)[\s,]+)*${AUXILIARY}\b`,
);

// "Name the companies…", "list the elements": an imperative that asks "which".
const IMPERATIVE_WHICH =
  /^(?:(?:<@!?\d+>|@\S+|so|ok|okay|hey|yo|pls|please|can\s+you|could\s+you)[\s,]+)*(?:name|list)\s+(?:the\s+|all\s+(?:the\s+)?)?/;

export function expectedAnswer(question: string): ExpectedAnswer {
  const text = foldQuotes(question)
    .toLowerCase()
    .trim()
    .replace(IMPERATIVE_WHICH, 'which ')
    // Chat spellings of the wh-words: "whats russia's share", "wat month", "wen did".
    .replace(/\bw(?:h)?ats\b/g, 'what is')
    .replace(/\bwat\b/g, 'what')
    .replace(/\bwen\b/g, 'when');
  if (POLAR.test(text)) return 'other';
  const start = FIRST_WH.exec(text)?.index;
  if (start === undefined) return 'other';
  const asked = text.slice(start);
  for (const [type, rule] of RULES) if (rule.test(asked)) return type;
  return 'other';
}

interface Token {
  text: string;
  /** Index term ("russia"), or null for a stop word. */
  term: string | null;
  tags: ReadonlySet<string>;
  /** Offsets of the word in the tagged text. */
  start: number;
  end: number;
}

/** "Russia's" → "russia": compromise keeps the possessive on the word. */
function termOf(word: string): string | null {
  return contentTerms(word)[0] ?? null;
}

// Sentences of a loaded index repeat across questions: tag each once (compromise takes ~2 ms).
const TAG_CACHE_LIMIT = 5000;
const tagCache = new Map<string, Token[]>();
// The texts compromise has tagged (not found in the cache), counted for tests.
let compromiseCalls = 0;

/** How many texts compromise has tagged since the process started (cache hits not counted). */
export function taggedTexts(): number {
  return compromiseCalls;
}

/** How many more texts the tag cache holds before it is emptied. */
export function tagCacheRoom(): number {
  return TAG_CACHE_LIMIT - tagCache.size;
}

export function tagTokens(text: string): Token[] {
  const cached = tagCache.get(text);
  if (cached) return cached;
  // A scope of several sentences is tagged sentence by sentence, so each sentence of the index is
  // tagged once whatever scope it later appears in (a key sentence, it with its neighbours).
  const spans = splitSentences(text);
  if (spans.length > 1) {
    const joined = spans.flatMap((span) =>
      tagTokens(text.slice(span.start, span.end)).map((t) => ({
        ...t,
        start: t.start + span.start,
        end: t.end + span.start,
      })),
    );
    remember(text, joined);
    return joined;
  }
  compromiseCalls++;
  const tokens: Token[] = [];
  // foldQuotes keeps every offset: it replaces one character by one.
  const sentences = nlp(foldQuotes(text)).json({ offset: true }) as {
    terms: { text: string; tags: string[]; offset: { start: number; length: number } }[];
  }[];
  for (const sentence of sentences) {
    for (const t of sentence.terms) {
      const { start, length } = t.offset;
      tokens.push({ text: t.text, term: termOf(t.text), tags: new Set(t.tags), start, end: start + length });
    }
  }
  remember(text, tokens);
  return tokens;
}

function remember(text: string, tokens: Token[]): void {
  if (tagCache.size >= TAG_CACHE_LIMIT) tagCache.clear();
  tagCache.set(text, tokens);
}

const ENTITY_TAGS = ['Person', 'Place', 'Organization', 'ProperNoun'];
const has = (t: Token, ...tags: string[]) => tags.some((tag) => t.tags.has(tag));

/**
 * "russia" and "russian", "ukraine" and "ukrainian", "china" and "chinese" name one thing:
 * the longer word starts with the shorter one less a final vowel (at least four letters left).
 */
export function sameName(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  const stem = short.replace(/[aeiouy]$/, '');
  return stem.length >= 4 && long.startsWith(stem);
}

function inQuestion(term: string | null, questionTerms: ReadonlySet<string>): boolean {
  if (!term) return true;
  for (const q of questionTerms) if (sameName(term, q)) return true;
  return false;
}

// Reported speech: a quotation mark or a reporting verb ("he said", "Trump suggested that").
// "as relayed by the White House, indicated that…" reports it as much as "said" does.
const REPORTED =
  /["“”]|\b(?:said|says|say|told|tells|stated|states|claimed|claims|suggested|suggests|cited|cites|argued|argues|noted|notes|remarked|announced|wrote|according\s+to|emphasi[sz]ed|underscored|relayed|indicated|indicates|reported(?:ly)?|reports|added|adds|insisted|insists|warned|warns|explained|explains|stressed|stresses|asserted|asserts|confirmed|confirms|denied|denies|admitted|admits|described|describes|replied|replies|responded|responds)\b/i;
const FRACTION = /%|\bpercent\b|\b(?:half|third|quarter|fifth|tenth|majority|minority)\b/i;
const CURRENCY = /[$€£¥]\s?\d|\b(?:dollars?|euros?|pounds|roubles?|rubles?|yuan)\b/i;
const NUMBER_WORDS =
  /\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?:thir|four|fif|six|seven|eigh|nine)teen|(?:twen|thir|for|fif|six|seven|eigh|nine)ty|dozens?|hundreds?|thousands?|millions?|billions?|trillions?|half|third|quarter|percent)\b/i;
const MONTHS_OR_YEAR =
  /\b\d{4}\b|\b(?:january|february|march|april|may|june|july|august|september|october|november|december|yesterday|today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/i;
const TIME_OF_DAY =
  /\b(?:\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.|h)|noon|midnight|o'clock|at\s+(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve))\b/i;

// "How big were the deals?" is answered by "enormous economic deals", "How big is Russia compared
// to China?" by "bigger than China": a size word answers a size question, unless it asks in units
// ("How big is Russia in square kilometers?").
const SIZE_QUESTION =
  /\bhow\s+(?:big|large|huge|vast)\b(?![^?]*\bin\s+(?:square\s+|cubic\s+)?(?:km|kilomet(?:er|re)s?|miles?|met(?:er|re)s?|feet|acres?|hectares?|tons?|tonnes?|kg|kilograms?|pounds|dollars|euros|barrels)\b)/i;
const SIZE_WORDS =
  /\b(?:big(?:ger|gest)?|large[rs]?|largest|huge|vast(?:ness)?|enormous|immense|massive|gigantic|giant|tiny|small(?:er|est)?|sizeable|sizable)\b/i;

// "hold it for 5 seconds": compromise tags "seconds" a value, not a duration.
const SPAN_OF_TIME =
  /\b(?:\d+(?:[.,]\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|a\s+few|several)[\s-]+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b/i;
// "double XP on weekends" answers "how much XP".
const MULTIPLE = /\b(?:double|triple|quadruple|twice|thrice)\b/i;

// "at Unit 4, Canal Street": compromise tags a street as no place.
const ADDRESS =
  /\b(?:\p{Lu}[\p{L}'-]+\s+)+(?:Street|St|Road|Rd|Avenue|Ave|Lane|Boulevard|Blvd|Square|Drive|Way|Terrace|Crescent|Parade|Close)\b/u;

// "Fit the filter under the sink", "sign the register at the door": where a thing is, said by a
// preposition that only places things (not "in" or "on", which also say how or when).
const SPATIAL =
  /\b(?:(?:under(?:neath)?|beneath|behind|beside|inside|outside|above|below|next\s+to|opposite|on\s+top\s+of)\s+(?:the|a|an|your|our|its|their)\s+\w+|at\s+the\s+(?:door|entrance|front|back|desk|counter|reception|gate)\b)/i;

// An amount per period ("how many barrels per day") or over one ("how much … last year"): an
// amount that says neither is about another period, or about none.
const RATE =
  /\b(?:per|a|an|each|every)\s+(?:year|month|week|day|quarter)\b|\b(?:annual(?:ly)?|yearly|monthly|weekly|daily)\b/i;
const TIME_FRAME = /\b(?:last|this|next|past)\s+(?:year|month|week|decade|quarter)\b/i;
const AMOUNT_TYPES: readonly ExpectedAnswer[] = ['quantity', 'money', 'percentage'];

function periodSaid(text: string, tokens: Token[], type: ExpectedAnswer, question: string): boolean {
  if (!AMOUNT_TYPES.includes(type)) return true;
  // A share is the same per year as per day: "What share of output does China control
  // annually?" is answered by "controls nearly 70% of output".
  if (type !== 'percentage' && RATE.test(question) && !RATE.test(text)) return false;
  return !TIME_FRAME.test(question) || holdsDate(text, tokens, question);
}

// A question about what has not happened yet, and a sentence that speaks of the future.
const FUTURE_QUESTION =
  /\bwhen(?:'s|\s+is|\s+are)?\s+(?:[\w'-]+\s+){0,6}?(?:will|gonna|going\s+to)\b|\bwhen(?:'s|\s+is|\s+are)\s+the\s+next\b/i;
const FUTURE_SENTENCE =
  /\b(?:will|shall|going\s+to|expected|scheduled|planned|plans?\s+to|due\s+to|next|upcoming|later\s+this)\b/i;

const DATE_WORDS = new RegExp(MONTHS_OR_YEAR.source, 'gi');
const wordsOf = (text: string) =>
  foldQuotes(text)
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u);

/**
 * A date the question does not give already: "In February, … Zelensky visited Washington" does not
 * answer "What day in February did Zelensky visit?", "on March 18" does answer "what day in march…".
 */
function holdsDate(text: string, tokens: Token[], question: string): boolean {
  const given = new Set(wordsOf(question));
  const fresh = (word: string) => !given.has(word.toLowerCase());
  return (
    [...text.matchAll(DATE_WORDS)].some((m) => fresh(m[0])) ||
    TIME_OF_DAY.test(text) ||
    tokens.some((t) => has(t, 'Date', 'Time') && fresh(t.text))
  );
}

interface EntityPhrase {
  tokens: Token[];
  kind: 'person' | 'organisation' | 'place' | 'name';
}

const JOINER = /^(?:for|of)$/i;

/** Runs of tagged names ("Russian President Vladimir Putin"), each with its strongest kind. */
function entityPhrases(tokens: Token[]): EntityPhrase[] {
  const phrases: EntityPhrase[] = [];
  let run: Token[] = [];
  let titled = false;
  const close = () => {
    if (!run.length) return;
    const kind =
      run.some((t) => has(t, 'Person')) || (titled && run.every((t) => has(t, 'ProperNoun')))
        ? 'person'
        : run.some((t) => has(t, 'Organization'))
          ? 'organisation'
          : run.some((t) => has(t, 'Place'))
            ? 'place'
            : 'name';
    phrases.push({ tokens: run, kind });
    run = [];
  };
  tokens.forEach((t, i) => {
    const next = tokens[i + 1];
    // "Federal Agency for Mineral Resources" is one organisation, not two.
    const joinsName =
      JOINER.test(t.text) &&
      run.some((r) => has(r, 'Organization')) &&
      next !== undefined &&
      has(next, 'Organization');
    if ((has(t, ...ENTITY_TAGS) && !has(t, 'Date')) || joinsName) {
      // "Our chairwoman is Priya Natarajan", "lead designer Hana Okafor": a name after a title is
      // a person's, whether or not compromise knows the name.
      if (!run.length) titled = titledBefore(tokens, i);
      run.push(t);
    } else close();
    // "Trump's interview": a possessive ends the name.
    if (/'s$/i.test(t.text)) close();
  });
  close();
  return phrases;
}

/** Whether a title ("chairwoman", "designer") comes just before `tokens[i]`, or before "is" / "was". */
function titledBefore(tokens: Token[], i: number): boolean {
  const before = tokens[i - 1];
  const title = before && /^(?:is|was)$/i.test(before.text) ? tokens[i - 2] : before;
  return title !== undefined && has(title, 'Actor') && !has(title, 'Possessive', 'Pronoun');
}

// "Which company…?" asks for a business: a government body ("Federal Agency for Mineral
// Resources", "the Democratic Party") is an organisation but no company.
const BUSINESS_QUESTION =
  /\b(?:compan(?:y|ies)|firms?|business(?:es)?|corporations?|manufacturers?|miners?)\b/i;
const PUBLIC_BODY =
  /^(?:agency|agencies|ministry|ministries|department|administration|party|congress|senate|parliament|government|council|commission|bureau|office|house|court|committee|federation|union)$/i;

function fitsOrganisation(phrase: EntityPhrase, question: string): boolean {
  if (!BUSINESS_QUESTION.test(question)) return true;
  return !phrase.tokens.some((t) => PUBLIC_BODY.test(t.text.replace(/'s$/i, '')));
}

/** Names the question does not give already. */
function freshNames(tokens: Token[], questionTerms: ReadonlySet<string>): EntityPhrase[] {
  return entityPhrases(tokens).filter((p) =>
    p.tokens.every((t) => JOINER.test(t.text) || !inQuestion(t.term, questionTerms)),
  );
}

const HEAD_WORD = new RegExp(String.raw`^(?:${PERSON_HEADS}|${ORGANISATION_HEADS}|${PLACE_HEADS})$`, 'i');

/**
 * A head noun that only says which class is asked for ("Which **outlet** interviewed Trump?"): the
 * class check weighs it, so it is no focus the sources must use.
 */
export function isClassHead(word: string): boolean {
  return HEAD_WORD.test(word);
}

/**
 * What the question gives: its content terms less the class it asks for — "Which agency provided
 * the figures?" is answered by the "Federal Agency for Mineral Resources", whose "Agency" is the
 * class, not something the question already named.
 */
function givenTerms(question: string, type: ExpectedAnswer, terms: ReadonlySet<string>): ReadonlySet<string> {
  if (type !== 'person' && type !== 'organisation' && type !== 'place') return terms;
  const heads = new Set(
    foldQuotes(question)
      .split(/[^\p{L}]+/u)
      .filter((w) => HEAD_WORD.test(w))
      .flatMap((w) => contentTerms(w)),
  );
  return new Set([...terms].filter((t) => !heads.has(t)));
}

// compromise calls some acronyms ("REEs") last names.
const ACRONYM = /^\p{Lu}{2,}s?$/u;

/** Whether `text` holds an answer of this type that the question does not already give. */
export function holdsAnswer(text: string, type: ExpectedAnswer, question: string): boolean {
  if (type === 'other') return true;
  const tokens = tagTokens(text);
  const questionTerms = new Set(contentTerms(question));
  if (!periodSaid(text, tokens, type, question)) return false;
  switch (type) {
    case 'money':
      return CURRENCY.test(text) || tokens.some((t) => has(t, 'Money', 'Currency'));
    case 'percentage':
      return FRACTION.test(text) || tokens.some((t) => has(t, 'Percent'));
    case 'date':
      // "When will the sanctions be lifted?" is not answered by when they were imposed.
      if (FUTURE_QUESTION.test(question))
        return splitSentences(text).some((span) => {
          const sentence = text.slice(span.start, span.end);
          return FUTURE_SENTENCE.test(sentence) && holdsDate(sentence, tagTokens(sentence), question);
        });
      return holdsDate(text, tokens, question);
    case 'time':
      return TIME_OF_DAY.test(text) || tokens.some((t) => has(t, 'Time'));
    case 'duration':
      return tokens.some((t) => has(t, 'Duration')) || /\bsince\b/i.test(text) || SPAN_OF_TIME.test(text);
    case 'statement':
      return REPORTED.test(text);
    default:
  }
  if (type === 'quantity')
    return (
      NUMBER_WORDS.test(text) ||
      MULTIPLE.test(text) ||
      (SIZE_QUESTION.test(question) && SIZE_WORDS.test(text)) ||
      tokens.some(
        // "one of the largest producers" states no quantity.
        (t) =>
          has(t, 'Value') &&
          !has(t, 'Date', 'Year') &&
          !/^one$/i.test(t.text) &&
          !questionTerms.has(t.text.toLowerCase()),
      )
    );
  // An entity answers only when the question does not name it already.
  const fresh = freshNames(tokens, givenTerms(question, type, questionTerms));
  switch (type) {
    case 'person':
      return fresh.some((p) => p.kind === 'person' && !p.tokens.every((t) => ACRONYM.test(t.text)));
    case 'organisation':
      return fresh.some(
        (p) => (p.kind === 'organisation' || p.kind === 'name') && fitsOrganisation(p, question),
      );
    case 'place':
      // "a counterweight to Chinese dominance" answers "which country's dominance…": a country's
      // demonym or capital names it as well (entity-aliases.ts).
      return (
        fresh.some((p) => p.kind === 'place') ||
        ADDRESS.test(text) ||
        SPATIAL.test(text) ||
        aliasGroupsIn(text).some((g) => !namesGroup(question, g.label))
      );
    default:
      // agent ("who"), name: someone or something named that the question does not name.
      return fresh.length > 0;
  }
}

export interface TextSpan {
  start: number;
  end: number;
}

// Words that belong to an amount, a date or a duration ("nearly 70%", "tens of billions of dollars").
const AMOUNT_TAGS = ['Value', 'Money', 'Currency', 'Percent', 'Unit', 'Date', 'Duration', 'Time'];

/** The run of amount words around `tokens[i]`, as offsets. */
function amountRun(tokens: Token[], i: number): TextSpan {
  let first = i;
  let last = i;
  while (first > 0 && has(tokens[first - 1] as Token, ...AMOUNT_TAGS)) first--;
  while (last < tokens.length - 1 && has(tokens[last + 1] as Token, ...AMOUNT_TAGS)) last++;
  return { start: (tokens[first] as Token).start, end: (tokens[last] as Token).end };
}

/**
 * Where in `text` the answer is — the number, the date, the person — for the reply to mark inside
 * the key sentence; null when the class is "other" or "statement", or compromise finds no word of
 * it (holdsAnswer may still accept the text from its patterns).
 */
export function answerSpan(text: string, type: ExpectedAnswer, question: string): TextSpan | null {
  if (type === 'other' || type === 'statement' || !holdsAnswer(text, type, question)) return null;
  const tokens = tagTokens(text);
  const questionTerms = new Set(contentTerms(question));
  const hitTags: Partial<Record<ExpectedAnswer, string[]>> = {
    money: ['Money', 'Currency'],
    percentage: ['Percent'],
    date: ['Date', 'Time'],
    time: ['Time'],
    duration: ['Duration'],
    quantity: ['Value'],
  };
  const wanted = hitTags[type];
  if (wanted) {
    const i = tokens.findIndex(
      (t) => has(t, ...wanted) && !/^one$/i.test(t.text) && !inQuestion(t.term, questionTerms),
    );
    return i < 0 ? null : amountRun(tokens, i);
  }
  const kinds: Record<string, EntityPhrase['kind'][]> = {
    person: ['person'],
    organisation: ['organisation', 'name'],
    place: ['place'],
  };
  const phrase = freshNames(tokens, givenTerms(question, type, questionTerms)).find(
    (p) =>
      (type !== 'organisation' || fitsOrganisation(p, question)) &&
      (kinds[type]?.includes(p.kind) ?? true) &&
      !(type === 'person' && p.tokens.every((t) => ACRONYM.test(t.text))),
  );
  const first = phrase?.tokens[0];
  const last = phrase?.tokens.at(-1);
  return first && last ? { start: first.start, end: last.end } : null;
}

export interface QuestionEntity {
  /** As written ("REEs"), for acronyms. */
  text: string;
  term: string;
}

/**
 * The named things a question asks about, as index terms: compromise's people, places,
 * organisations and proper nouns ("China" in "How many time zones does China have?"), and any
 * other capitalised word after the first ("Zelensky") unless the whole question is shouted.
 */
export function questionEntities(question: string): QuestionEntity[] {
  const shouted = !/\p{Ll}/u.test(question);
  const entities = new Map<string, QuestionEntity>();
  tagTokens(question).forEach((t, i) => {
    if (!t.term || has(t, 'Date', 'Honorific', 'QuestionWord', 'Pronoun')) return;
    // A role noun ("President") is not a name; compromise also calls "Zelensky" an actor.
    if (has(t, 'Actor') && !has(t, 'ProperNoun')) return;
    const capitalised = !shouted && i > 0 && /^\p{Lu}/u.test(t.text);
    if (capitalised || has(t, ...ENTITY_TAGS)) entities.set(t.term, { text: t.text, term: t.term });
  });
  return [...entities.values()];
}

export interface NamedInQuestion extends QuestionEntity {
  /** The terms of the whole name it is part of ("volodymyr", "zelensky"). */
  name: string[];
}

/**
 * The people and places a question names, as written ("india", "Peskov"): compromise's Person and
 * Place tags on proper nouns, which it gives lower-case country names too ("state" is tagged a
 * place but is no name). Organisations and other proper nouns are left out: compromise also tags
 * shorthand ("n" in "donetsk n lugansk") and members' words. Each carries the terms of the name it
 * is part of: "Volodymyr Zelensky" is mentioned when the sources write "Vladimir Zelensky".
 */
export function questionPeopleAndPlaces(question: string): NamedInQuestion[] {
  const tokens = tagTokens(question);
  const named = tokens.map(
    (t) =>
      t.term !== null &&
      has(t, 'Person', 'Place') &&
      has(t, 'ProperNoun') &&
      !has(t, 'Honorific', 'Pronoun', 'Date'),
  );
  const found: NamedInQuestion[] = [];
  let name: string[] = [];
  tokens.forEach((t, i) => {
    if (!named[i]) return;
    // A possessive ends a name ("Trump's Putin call").
    if (!named[i - 1] || /'s$/i.test(tokens[i - 1]?.text ?? '')) name = [];
    name.push(t.term as string);
    found.push({ text: t.text.replace(/'s$/i, ''), term: t.term as string, name });
  });
  return found;
}

/**
 * Whether a text names an entity: the same word ("Russian" for "Russia"), or for an acronym
 * ("REEs") words with its initials in a row ("rare earth elements").
 */
export function namesEntity(text: string, entity: QuestionEntity): boolean {
  const words = text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  if (
    words.some((w) => {
      const t = termOf(w);
      // "Luhansk" for "Lugansk": the sources know a name a letter away (LexicalIndex.knows), so
      // it is named by it too.
      return t !== null && (sameName(t, entity.term) || (entity.term.length >= 6 && oneEdit(t, entity.term)));
    })
  )
    return true;
  const acronym = /^(\p{Lu}{2,})s?$/u.exec(entity.text)?.[1];
  if (!acronym) return false;
  const initials = words.map((w) => w[0]?.toUpperCase() ?? '').join('');
  // "REEs" for "rare earth deposits": the acronym's last word, its head noun, is often swapped.
  return initials.includes(acronym) || (acronym.length >= 3 && initials.includes(acronym.slice(0, -1)));
}
