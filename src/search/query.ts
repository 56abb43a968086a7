/**
 * What is searched for, as opposed to what was asked. Bag-of-words scoring and bi-encoder
 * embeddings both reward the words of a question, including the ones it excludes: "Which other
 * resources does Russia produce besides rare earths?" ranks rare-earth passages first, although
 * they are exactly what the member does not want. An exclusion ("besides X", "other than X",
 * "apart from X", "aside from X", "except (for) X", "excluding X", "not counting X") runs to the
 * next comma or the end of the sentence; it is dropped from the lexical query. The question the
 * member sees, and the one embedded, are untouched.
 */
import { contentTerms } from '../text/terms.ts';

const EXCLUSION =
  /(?:^|(?<=[\s,;(]))(?:besides|other than|apart from|aside from|except(?: for)?|excluding|not counting)\s+[^,.;:?!()]+/giu;

/** The question without its exclusions, for lexical search. */
export function searchQuery(question: string): string {
  const stripped = question
    .replace(EXCLUSION, ' ')
    .replace(/\(\s*\)/g, ' ') // "(excluding gold)" leaves empty brackets
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.;:?!])/g, '$1')
    .replace(/([,;:])[,;:]+/g, '$1') // "else, other than X, spoke" leaves ",,"

    .replace(/^[\s,;:]+/, '')
    .trim();
  // Only when something searchable is left: "Besides that?" keeps its words.
  return contentTerms(stripped).length > 0 ? stripped : question;
}
