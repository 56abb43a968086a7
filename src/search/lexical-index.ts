/**
 * BM25+ over passages with MiniSearch. Besides the score, each hit says how many of the
 * question's content terms it contains ("coverage"): a question whose words appear nowhere in
 * the sources is a strong sign the answer is not there either.
 */
import MiniSearch from 'minisearch';
import { remembered } from '../memo.ts';
import { contentTerms, splitWords, toTerm } from '../text/terms.ts';

export interface LexicalHit {
  readonly label: number;
  readonly score: number;
  /** Share of the question's distinct content terms found in the passage, in [0, 1]. */
  readonly coverage: number;
}

interface Doc {
  label: number;
  text: string;
}

/** A source's id and title (the manifest's SourceSummary has both). */
export interface SourceTitle {
  id: string;
  title: string;
}

/** Unknown terms whose fuzzy lookup is kept per index (cleared when full). */
const TYPO_LOOKUPS = 10_000;

/** Lexical queries whose hits are kept per index (cleared when full). */
const RECENT_QUERIES = 1000;

type FuzzyGet = (term: string, maxDistance: number) => Map<string, unknown>;

/**
 * MiniSearch (7.x) walks its radix tree for each query word's typo neighbours on every query
 * (~0.1 ms of an /ask's two lexical queries, measured with --cpu-prof); the tree never changes
 * once the passages are added, so the neighbours are kept per word and distance. A copy is
 * returned, as MiniSearch deletes from it when prefix search is on. This reaches MiniSearch's
 * internal `_index`: if a version lacks it, queries run as before, only without the memo.
 */
function rememberTypoNeighbours(search: MiniSearch<Doc>): void {
  const tree = (search as unknown as { _index?: { fuzzyGet?: FuzzyGet } })._index;
  const fuzzyGet = tree?.fuzzyGet;
  if (!tree || typeof fuzzyGet !== 'function') return;
  const found = new Map<string, Map<string, unknown>>();
  tree.fuzzyGet = (term, maxDistance) =>
    new Map(
      remembered(found, TYPO_LOOKUPS, `${maxDistance}:${term}`, () => fuzzyGet.call(tree, term, maxDistance)),
    );
}

export class LexicalIndex {
  private readonly search: MiniSearch<Doc>;
  /** In how many passages each content term occurs. */
  private readonly documentFrequency = new Map<string, number>();
  private readonly passages: number;
  /**
   * Terms of the sources' titles, which are no passage ("Skyforge Online — Patch 4.2 notes"):
   * known to the answer check, so a question may name what a source is about, but not searched.
   */
  private readonly titleTerms: ReadonlySet<string>;
  /** Each source's title terms, by source id. */
  private readonly titleTermsOf: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Unknown terms already searched one typo away: a question's unknown words are looked up several
   * times per answer (expansion, answer check), each a fuzzy search of the whole index.
   */
  private readonly typoAway = new Map<string, boolean>();
  private readonly recentQueries = new Map<string, readonly LexicalHit[]>();

  constructor(texts: readonly string[], titles: readonly SourceTitle[] = []) {
    this.titleTermsOf = new Map(titles.map((s) => [s.id, new Set(contentTerms(s.title))]));
    this.titleTerms = new Set([...this.titleTermsOf.values()].flatMap((terms) => [...terms]));
    this.search = new MiniSearch<Doc>({
      idField: 'label',
      fields: ['text'],
      tokenize: (text) => splitWords(text),
      processTerm: (term) => toTerm(term),
    });
    this.search.addAll(texts.map((text, label) => ({ label, text })));
    rememberTypoNeighbours(this.search);
    this.passages = texts.length;
    for (const text of texts) {
      for (const term of new Set(contentTerms(text)))
        this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
    }
  }

  /** Whether the sources use a term; one typo away counts too unless `exact` ("elemnts"). */
  knows(term: string, exact = false): boolean {
    if (this.documentFrequency.has(term) || this.titleTerms.has(term)) return true;
    if (exact || term.length < 6) return false;
    return remembered(
      this.typoAway,
      TYPO_LOOKUPS,
      term,
      () => this.search.search(term, { fuzzy: 0.2, prefix: false }).length > 0,
    );
  }

  /**
   * Whether a source's title names this term: what the whole source is about ("AquaPure" in
   * "AquaPure 300 water filter — user manual"), which its passages need not repeat.
   */
  inTitle(term: string, sourceId: string): boolean {
    return this.titleTermsOf.get(sourceId)?.has(term) ?? false;
  }

  /** How telling a term is: rare in the sources → high ("relayed"), everywhere → low ("Trump"). */
  inverseFrequency(term: string): number {
    return Math.log(1 + this.passages / ((this.documentFrequency.get(term) ?? 0) + 0.5));
  }

  /**
   * The hits of a lexical query, kept for the last queries: members ask each other's questions
   * again, and a BM25 query of the index is ~0.08 ms of each /ask's two.
   */
  query(question: string, limit: number): readonly LexicalHit[] {
    return remembered(this.recentQueries, RECENT_QUERIES, `${limit} ${question}`, () =>
      this.runQuery(question, limit),
    );
  }

  private runQuery(question: string, limit: number): readonly LexicalHit[] {
    const distinct = new Set(contentTerms(question));
    if (distinct.size === 0) return [];
    const hits = this.search.search(question, {
      combineWith: 'OR',
      // Typos: allow an edit or two on longer words; fuzzy matches weigh less than exact ones.
      fuzzy: (term) => (term.length >= 6 ? 0.2 : false),
      prefix: false,
    });
    return hits.slice(0, limit).map((hit) => ({
      label: hit.id as number,
      score: hit.score,
      coverage: new Set(hit.queryTerms).size / distinct.size,
    }));
  }
}
