/**
 * Other names of the thing a question asks about, for the subject check (answerability.ts): a
 * question about "Moscow" is answered by a sentence about "Russia", one about "the US" by one
 * about "Washington" or "American" aid. A closed list, not learned from failing questions: news
 * writing names a government by its capital (metonymy), so each group is a country's common
 * names and short forms and its capital, for the G20 members, the EU and the countries of
 * Europe's and Asia's largest conflicts (Ukraine, Israel, the two Koreas, Iran, Taiwan). Demonyms
 * ("Russian") are matched by sameName already.
 */
import { remembered } from '../memo.ts';

// Members write "china" and "moscow" in lower case, so forms match in any case, except the
// short forms and the one country name that are also common words ("us", "turkey"), which must be
// written as names.
const GROUPS: readonly string[][] = [
  [
    'US',
    'U.S.',
    'USA',
    'U.S.A.',
    'United States',
    'America',
    'American',
    'Americans',
    'Washington',
    'DC',
    'D.C.',
  ],
  ['UK', 'U.K.', 'United Kingdom', 'Britain', 'British', 'London'],
  ['EU', 'E.U.', 'European Union', 'Brussels'],
  ['Russia', 'Russian', 'Russians', 'Russian Federation', 'Moscow', 'Kremlin'],
  ['China', 'Chinese', 'PRC', 'Beijing'],
  ['Ukraine', 'Ukrainian', 'Ukrainians', 'Kiev', 'Kyiv'],
  ['France', 'French', 'Paris'],
  ['Germany', 'German', 'Germans', 'Berlin'],
  ['Italy', 'Italian', 'Rome'],
  ['Japan', 'Japanese', 'Tokyo'],
  ['Canada', 'Canadian', 'Ottawa'],
  ['India', 'Indian', 'New Delhi', 'Delhi'],
  ['Brazil', 'Brazilian', 'Brasilia'],
  ['Mexico', 'Mexican', 'Mexico City'],
  ['Australia', 'Australian', 'Canberra'],
  ['Argentina', 'Argentine', 'Buenos Aires'],
  ['Indonesia', 'Indonesian', 'Jakarta'],
  ['South Korea', 'Seoul'],
  ['North Korea', 'Pyongyang'],
  ['Saudi Arabia', 'Saudi', 'Riyadh'],
  ['South Africa', 'South African', 'Pretoria'],
  ['Turkey', 'Turkish', 'Ankara'],
  ['Iran', 'Iranian', 'Tehran'],
  ['Israel', 'Israeli', 'Jerusalem'],
  ['Taiwan', 'Taiwanese', 'Taipei'],
];

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const CASE_SENSITIVE = /^(?:\p{Lu}{2,3}|\p{Lu}(?:\.\p{Lu})+\.?|Turkey|Turkish)$/u;
const formPattern = (forms: readonly string[]) =>
  // Longest first, so "United States" is one match, not "United". One pattern mixes case-sensitive
  // and case-blind forms, so the case-blind ones spell each letter in both cases.
  new RegExp(
    String.raw`(?<![\p{L}\p{N}])(?:${[...forms]
      .sort((a, b) => b.length - a.length)
      .map((form) => (CASE_SENSITIVE.test(form) ? escapeRegExp(form) : anyCase(form)))
      .join('|')})(?![\p{L}\p{N}])`,
    'gu',
  );

/** A form that matches in any case: "[Cc][Hh][Ii][Nn][Aa]". */
function anyCase(form: string): string {
  return [...form]
    .map((c) =>
      c.toLowerCase() !== c.toUpperCase() ? `[${c.toUpperCase()}${c.toLowerCase()}]` : escapeRegExp(c),
    )
    .join('');
}
const PATTERNS = GROUPS.map((forms) => ({ label: forms[0] ?? '', pattern: formPattern(forms) }));

export interface AliasGroup {
  /** The group's first form ("US"), for messages. */
  label: string;
  /** Where the question names it, so the words it covers are not checked again. */
  start: number;
  end: number;
}

/**
 * The last texts looked up: the answer check asks about the same question (and its scopes) several
 * times per answer, and each lookup runs all the groups' patterns (~0.03 ms).
 */
const recentLookups = new Map<string, readonly AliasGroup[]>();
const RECENT_LOOKUPS = 64;

/** The groups a text names, with where. */
export function aliasGroupsIn(text: string): readonly AliasGroup[] {
  return remembered(recentLookups, RECENT_LOOKUPS, text, scanAliasGroups);
}

function scanAliasGroups(text: string): AliasGroup[] {
  const found: AliasGroup[] = [];
  for (const { label, pattern } of PATTERNS) {
    // matchAll starts where the pattern's lastIndex is: a shared global pattern must start at 0.
    pattern.lastIndex = 0;
    for (const m of text.matchAll(pattern)) found.push({ label, start: m.index, end: m.index + m[0].length });
  }
  return found;
}

/**
 * Every form of the groups a text names ("kyiv" → Ukraine, Ukrainian, …, Kiev, Kyiv): a word the
 * sources never use may still name something they do, under another of its names.
 */
export function otherNames(text: string): string[] {
  const labels = new Set(aliasGroupsIn(text).map((g) => g.label));
  return GROUPS.filter((forms) => labels.has(forms[0] ?? '')).flat();
}

/** Whether a text names the group by any of its forms. */
export function namesGroup(text: string, label: string): boolean {
  const group = PATTERNS.find((p) => p.label === label);
  if (!group) return false;
  group.pattern.lastIndex = 0;
  const found = group.pattern.test(text);
  group.pattern.lastIndex = 0;
  return found;
}
