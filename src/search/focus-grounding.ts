/**
 * "Related" or "answers it": a passage about Russia's reserves is related to "What is the
 * population of Russia?" and even holds a number, but it says nothing about a population. The
 * question's focus — the noun phrase it asks about, after the wh-word and the class it asks for
 * ("population"; "time zones"; "develop … rare earth deposits" after "which company") — must be
 * said where the answer is (README "When Quarry answers").
 */
import { contentTerms, foldQuotes, toTerm } from '../text/terms.ts';
import { sameName } from './expected-answer.ts';

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
  `of in on at to for from with by as about after before during since until than into onto over under
and or but if because while when where which who that whether so then
is are was were be been being do does did has have had will would could can should might may must`.split(
    /\s+/,
  ),
);

/**
 * The focus phrase's content terms, names left out (the subject check weighs those): the words
 * after the wh-word and the asked-for class up to the first preposition or verb of the clause,
 * skipping a possessor ("Russia's") — "What is the population of Russia?" → population; "How
 * many time zones does China have?" → time zone; "Which company will develop Russia's rare
 * earth deposits?" → develop rare earth deposit. Empty when nothing is left.
 */
export function focusTerms(question: string): string[] {
  const text = foldQuotes(question);
  const shouted = !/\p{Ll}/u.test(text);
  const words = text
    .replace(/'s\b/g, ' s')
    .split(/[^\p{L}\p{N}'-]+/u)
    .filter(Boolean);
  const lower = words.map((w) => w.toLowerCase());
  const wh = lower.findIndex((w) => /^(?:what|which|whose|who|whom|when|where|how|hw)$/.test(w));
  if (wh < 0) return [];
  const terms: string[] = [];
  let started = false;
  for (let i = wh + 1; i < words.length; i++) {
    const word = lower[i] ?? '';
    const possessor = lower[i + 1] === 's' || /s'$/.test(word);
    if (word === 's' || possessor) continue;
    if (started && PHRASE_END.has(word)) break;
    if (NOT_FOCUS.has(word) || PHRASE_END.has(word)) continue;
    // A name is the subject check's business, not the focus's ("the US envoy" → envoy).
    const name = !shouted && i > 0 && /^\p{Lu}/u.test(words[i] ?? '');
    started = true;
    if (name) continue;
    const term = toTerm(word.replace(/'+$/, ''));
    if (term) terms.push(term);
  }
  return terms;
}

/** Whether every focus term is said in `text` (the same stem, or one word the start of the other). */
export function groundsFocus(text: string, terms: readonly string[]): boolean {
  if (!terms.length) return true;
  const said = new Set(contentTerms(text));
  return terms.every((term) => said.has(term) || [...said].some((s) => sameName(s, term)));
}
