/**
 * "Related" or "answers it": a passage about Russia's reserves is related to "What is the
 * population of Russia?" and even holds a number, but it says nothing about a population. The
 * question's focus — the noun phrase it asks about, after the wh-word and the class it asks for
 * ("population"; "time zones"; "develop … rare earth deposits" after "which company") — must be
 * said where the answer is (README "When Quarry answers").
 */
import { contentTerms, foldQuotes, oneEdit, toTerm } from '../text/terms.ts';
import { sameName, tagTokens } from './expected-answer.ts';

// Words that say which class is asked for, or only how the question is put: not the focus.
// The class words mirror expected-answer.ts's rules (person, organisation and place heads,
// currency, reporting verbs) — a closed list, like theirs.
const NOT_FOCUS = new Set(
  `is are was were be been being do does did done has have had will would could can should might may must
the a an this that these those it its they them their he she his her we our you your i my me
what which whose who whom when where why how hw many much big large far tall high old fast heavy deep wide long
exactly else about kind kinds sort type types specifically precisely roughly approximately
percent percentage share proportion number amount fraction size year years date day days month months time
name called happened happen going exact
journalist journalists reporter reporters senator senators politician politicians president presidents
minister ministers spokesman spokesmen spokesperson spokeswoman official officials leader leaders author
authors writer writers envoy envoys ambassador ambassadors lawmaker lawmakers ceo ceos chairman chairmen
governor governors person persons people man men woman women
company companies firm firms agency agencies organisation organisations organization organizations party
parties bank banks newspaper newspapers outlet outlets site sites network networks institution institutions
country countries region regions city cities state states province provinces town towns place places
continent continents territory territories
money dollars euros pounds roubles rubles yuan price cost costs worth
say says said tell tells told claim claims state stated announce announced argue argued write wrote`.split(
    /\s+/,
  ),
);

/** Prepositions, conjunctions and clause words end the focus phrase ("population | of Russia"). */
const PHRASE_END = new Set(
  `of in on at to for from with by as about after before during since until than into onto over under per
according
and or but if because while when where which who that whether so then
is are was were be been being do does did has have had will would could can should might may must`.split(
    /\s+/,
  ),
);

// What is counted may be a class word ("how many people", "how many countries"); only words
// that say nothing of what is counted are skipped.
const COUNTED_SKIP = new Set([
  ...PHRASE_END,
  'the',
  'a',
  'an',
  'exactly',
  'roughly',
  'approximately',
  ...'total money cash funds funding dollars euros pounds roubles rubles yuan'.split(' '),
]);
// "What did the article say …": the source itself is not a speaker it must name.
const SOURCE_WORDS = new Set([
  ...PHRASE_END,
  'the',
  'a',
  'this',
  'article',
  'piece',
  'story',
  'text',
  'post',
  'source',
  'author',
  'writer',
]);
// Nouns that ask for a reason, a manner or an outcome (Li & Roth's description classes), which
// the answer need not name: "the point of", "the state of", "the impact of".
const DESCRIPTION_NOUNS = new Set(
  contentTerms(
    'point purpose reason reasons goal aim idea meaning role impact effect effects consequence consequences significance importance status outcome result results story deal situation',
  ),
);
const REPORTING =
  /^(?:say|says|said|tell|tells|told|claim|claims|claimed|state|stated|announce|announced|argue|argued|write|wrote)$/;
const AUXILIARY = /^(?:did|does|do|has|have|had|will|would|is|was|are|were)$/;

/**
 * The focus's content terms, names left out (the subject check weighs those), for the three
 * question shapes whose focus a pattern finds reliably:
 * - "how many / how much X" — the thing counted ("How many time zones does China have?" → time
 *   zone), up to the verb;
 * - "who is X" — the role ("who is Russia's minister of natural resources" → minister);
 * - "what is the X of …" — the attribute asked for ("What is the population of Russia?" →
 *   population; "What's the name of Russia's largest rare earth mine?" → largest rare earth mine);
 * - "what did X say / tell / claim" — the speaker ("What did the US envoy say …?" → envoy).
 * Empty for any other shape: a verb or a member's own wording is paraphrased too often to ask
 * for the same word (measured: requiring the whole phrase after the wh-word refused 20% of the
 * answerable questions).
 */
export function focusTerms(question: string): string[] {
  // "whats russia's share…" is "what is".
  const text = foldQuotes(question).replace(/\b(wh)ats\b/gi, '$1at is');
  const shouted = !/\p{Ll}/u.test(text);
  const words = text
    .replace(/'s\b/g, ' s')
    .split(/[^\p{L}\p{N}'-]+/u)
    .filter(Boolean);
  const lower = words.map((w) => w.toLowerCase().replace(/'+$/, ''));
  // A verb ends the phrase ("what fraction of Ukraine's REEs | sit in …"); compromise knows
  // which words are verbs here (a word it also reads as a noun stays in).
  // Tagged only when a phrase runs past its first word (compromise takes ~1 ms on a new question).
  let verbs: Set<string> | null = null;
  let nouns: Set<string> | null = null;
  const tagged = (tag: string) =>
    new Set(
      tagTokens(text)
        .filter((t) => t.tags.has(tag) && !t.tags.has(tag === 'Verb' ? 'Noun' : 'Verb'))
        .map((t) => t.text.toLowerCase()),
    );
  const isVerb = (word: string) => {
    verbs ??= tagged('Verb');
    return verbs.has(word);
  };
  // "rare earth processing plants": an -ing word read as a noun, before a noun, is part of the
  // phrase ("the president chatting with" is not).
  const isNoun = (word: string) => {
    nouns ??= tagged('Noun');
    return nouns.has(word);
  };
  const wh = lower.findIndex((w) => /^(?:what|which|who|how|hw)$/.test(w));
  if (wh < 0) return [];
  const at = (i: number) => lower[i] ?? '';
  const isName = (i: number) => !shouted && /^\p{Lu}/u.test(words[i] ?? '');
  /** Content terms of the noun run from `from`: a possessor skipped, ended by a function word. */
  const run = (
    from: number,
    until: (i: number) => boolean = (i) => PHRASE_END.has(at(i)),
    skip: ReadonlySet<string> = NOT_FOCUS,
  ) => {
    const terms: string[] = [];
    for (let i = from; i < words.length; i++) {
      if (at(i) === 's' || at(i + 1) === 's' || /s'$/.test(words[i] ?? '')) continue;
      // A verb ends it too: compromise's, a mistyped auxiliary, or a participle ("chatting").
      const verb =
        i > from &&
        (misspeltAuxiliary(at(i)) ||
          (/..ing$/.test(at(i)) && !(isNoun(at(i)) && isNoun(at(i + 1)))) ||
          isVerb(at(i)));
      if (until(i) || verb) break;
      // One letter is shorthand ("r" for "are") or an initial, not a word of the focus.
      if (skip.has(at(i)) || isName(i) || at(i).length < 2) continue;
      const term = toTerm(at(i));
      if (term) terms.push(term);
    }
    return terms;
  };
  const next = wh + 1;
  // how many / how much X: what is counted, class words included ("how many people …").
  if (/^(?:many|much)$/.test(at(next))) return run(next + 1, undefined, COUNTED_SKIP);
  // who is X: the role asked about ("who is Russia's minister of natural resources" → minister);
  // "who was in charge" names no role.
  if (at(wh) === 'who') {
    if (!/^(?:is|was|are|were|s)$/.test(at(next))) return [];
    let from = next + 1;
    if (at(from) === 'the') from++;
    return PHRASE_END.has(at(from)) ? [] : run(from, undefined, SOURCE_WORDS);
  }
  if (at(wh) !== 'what' && at(wh) !== 'which') return [];
  // what did X say
  if (AUXILIARY.test(at(next)) && !/^(?:is|was|are|were)$/.test(at(next))) {
    const verb = lower.findIndex((w, i) => i > next && REPORTING.test(w));
    // The speaker's role counts here ("the US envoy"): it is who is asked about.
    if (verb > 0) return run(next + 1, (i) => i >= verb, SOURCE_WORDS);
    return [];
  }
  // what is the X of …
  let i = next;
  if (/^(?:is|was|are|were|s)$/.test(at(i))) i++;
  if (at(i) === 'the') i++;
  const attribute = i;
  while (i < words.length && !PHRASE_END.has(at(i))) i++;
  if (i === attribute || at(i) !== 'of' || attribute === next) return [];
  const asked = run(attribute, (j) => j >= i);
  // "What was the point of the deal?" asks for a description, in any words.
  if (asked.some((t) => DESCRIPTION_NOUNS.has(t))) return [];
  // "the name of X": the attribute is only the class, so X is the focus. Not "the share of X",
  // whose X is paraphrased too often ("share of output" for "share of production").
  if (asked.length || !/^name$/.test(at(attribute))) return asked;
  return run(i + 1, (j) => j > i + 1 && PHRASE_END.has(at(j)));
}

/**
 * The quality a question ranks by ("which element is the most **valuable**"), as index terms: a
 * sentence that does not say it does not rank by it. "most rare earth processing" (most of it) is
 * no superlative, so "the most" needs its article. One-word superlatives are left out: members
 * use their own ("which party is the **loudest** against…" for "has consistently framed").
 */
export function superlativeTerms(question: string): string[] {
  // A token is a run of the question's text: without "most" or "least" in it none can be one, and
  // the question need not be tagged (~1 ms for a new question).
  if (!/most|least/i.test(question)) return [];
  const tokens = tagTokens(foldQuotes(question));
  return tokens.flatMap((t, i) => {
    const ranked =
      t.tags.has('Adjective') &&
      /^(?:most|least)$/i.test(tokens[i - 1]?.text ?? '') &&
      /^the$/i.test(tokens[i - 2]?.text ?? '');
    return ranked && t.term ? [t.term] : [];
  });
}

/**
 * Whether every focus term is said in `text`: the same stem, one word the start of the other
 * ("russia" / "russian"), one typo on a word of five letters or more ("elemnts"), or two words
 * written as one ("timezones").
 */
export function groundsFocus(text: string, terms: readonly string[]): boolean {
  if (!terms.length) return true;
  const said = contentTerms(text);
  const pairs = said.slice(1).map((t, i) => `${said[i]}${t}`);
  return terms.every(
    (term) =>
      said.some((s) => s === term || sameName(s, term) || (term.length >= 5 && oneEdit(s, term))) ||
      pairs.some((p) => p.startsWith(term) || term.startsWith(p)),
  );
}

const AUXILIARIES = 'does have has did are were was will can could would should'.split(' ');

/**
 * "dose" for "does", "hav" for "have": a typed auxiliary still ends the phrase. Only a letter
 * dropped or two swapped — a letter changed or added makes other words ("aid", "rare").
 */
function misspeltAuxiliary(word: string): boolean {
  return (
    word.length >= 3 &&
    AUXILIARIES.some((aux) => (word.length < aux.length && oneEdit(word, aux)) || swapped(word, aux))
  );
}

/** Whether two words differ by two neighbouring letters swapped ("dose" / "does"). */
function swapped(a: string, b: string): boolean {
  if (a.length !== b.length || a === b) return false;
  const i = [...a].findIndex((c, j) => c !== b[j]);
  return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}
