/**
 * The core, free of Discord: open (or build) the index, answer questions with verbatim quotes,
 * reload the sources. The bot and the CLI are thin layers over this class.
 *
 * Concurrency: answers always read an immutable snapshot, so `ask` keeps working during a
 * reload (on the old index) and switches to the new one in a single assignment. One reload runs
 * at a time; a second is refused with a clear message.
 */
import type { CoreConfig, SearchMode } from './config.ts';
import { type Embedder, getEmbedder, WORKER_MIN_TEXTS } from './embedding/embedder.ts';
import { UserFacingError } from './errors.ts';
import { buildIndex } from './index/build.ts';
import { notWritable, withIndexLock } from './index/lock.ts';
import { planReload, type ReloadSummary, summariseReload } from './index/reload-plan.ts';
import { type SearchIndex, toSearchIndex } from './index/search-index.ts';
import { currentGeneration, indexSizeOnDisk, loadIndex, type SourceSummary } from './index/store.ts';
import { log } from './log.ts';
import { splitIntoPassages } from './passages/split.ts';
import type { ProgressListener } from './progress.ts';
import { warmAnswerCheck } from './search/answer-check-warm-up.ts';
import { ANSWER_CHECK, type AnswerCheckOptions, rareWordTest } from './search/answerability.ts';
import {
  type Calibration,
  calibrationKey,
  FALLBACK_CALIBRATION,
  findCalibration,
} from './search/calibration.ts';
import { type Expansion, LexicalExpander, WordVectors } from './search/expansion.ts';
import { SCORING, type ScoredPassage, type SearchOptions, search } from './search/retrieve.ts';
import { loadSources } from './sources/load.ts';
import { PostgresIndexes, type RemoteSnapshot } from './storage/postgres/indexes.ts';
import { searchRemote } from './storage/postgres/search.ts';
import { stripInvisible } from './text/invisible.ts';

export type { ReloadSummary } from './index/reload-plan.ts';

export interface AnswerResult {
  /** The whole passage, verbatim. */
  text: string;
  /** The key sentence(s) inside it, verbatim. */
  quote: string;
  score: number;
  source: string;
  title: string;
  url?: string;
  paragraph: number;
  /** For a PDF source: the page the passage is on (set by the knowledge base that knows it). */
  page?: number;
  passageId: string;
  /** Offsets of the quote inside `text`. */
  quoteStart: number;
  quoteEnd: number;
  /** Offsets inside `text` of the answer itself (the number, date, person) within the quote, when found. */
  answerStart?: number;
  answerEnd?: number;
}

export interface Answer {
  question: string;
  answered: boolean;
  results: AnswerResult[];
  /** When not answered: the closest passage, for a "low confidence" hint. */
  nearest: AnswerResult | null;
  /** The question's embedding (stored with feedback so /gaps groups near duplicates). */
  queryVector?: Float32Array;
}

/** What /sources shows. */
export interface Status {
  model: string;
  builtAt: string;
  passages: number;
  bytes: number;
  sources: SourceSummary[];
}

export interface AskOptions {
  k?: number;
  mode?: SearchMode;
  minRelevance?: number;
  /** The question's embedding when the caller already has it (one question, several indexes). */
  queryVector?: Float32Array;
  /** Share of the best relevance a supporting passage needs (0: up to k passages, filler included). */
  supportShare?: number;
  /** The answerability check (null: relevance threshold only), e.g. to compare ranking alone. */
  answerCheck?: AnswerCheckOptions | null;
}

export interface ReloadOptions {
  /** Re-read only this source (its id as listed by /sources); the others keep their indexed text. */
  only?: string;
  onProgress?: ProgressListener;
}

export const MAX_QUESTION_CHARS = 1000;

/** Strips invisible characters and whitespace runs; refuses a question with nothing to search. */
export function normaliseQuestion(raw: string): string {
  const question = stripInvisible(raw, ' ').replace(/\s+/g, ' ').trim();
  if (!question)
    throw new UserFacingError(
      'ask.empty-question',
      'the question is empty',
      'type a question about the sources',
    );
  if (!/[\p{L}\p{N}]/u.test(question)) {
    throw new UserFacingError(
      'ask.no-words',
      'the question has no words to search for',
      'ask with words, not only symbols or emoji',
    );
  }
  // Beyond this the embedder truncates anyway; cutting here keeps lexical search bounded too.
  return question.length > MAX_QUESTION_CHARS ? question.slice(0, MAX_QUESTION_CHARS) : question;
}

function round(n: number): number {
  return Math.round(n * 10000) / 10000;
}

/** Single-word embeddings for LEXICAL_EXPANSION, one store per model, shared by every Quarry. */
const wordVectorStores = new Map<string, WordVectors>();

/**
 * Words embedded in slices below the embedding worker's job size: an article's few hundred words
 * take a few hundred milliseconds here, where the worker would load a second copy of the model
 * (RSS 463 → 1,046 MB, measured) for two idle minutes.
 */
function wordVectorsOf(embedder: Embedder): WordVectors {
  let store = wordVectorStores.get(embedder.modelId);
  if (!store) {
    store = new WordVectors(async (words) => {
      const vectors: Float32Array[] = [];
      for (let i = 0; i < words.length; i += WORKER_MIN_TEXTS - 1)
        vectors.push(...(await embedder.embed(words.slice(i, i + WORKER_MIN_TEXTS - 1), 'passage')));
      return vectors;
    });
    wordVectorStores.set(embedder.modelId, store);
  }
  return store;
}

/**
 * The question's vector, embedded together with the words the expansions of `quarries` (their
 * served indexes, one embedder) will look up and have no vector for yet: in one model call where
 * that gives the same vectors and costs less (Embedder.embedQuestionWith), where each expansion
 * would otherwise embed them in a call of its own on the answer path.
 */
export async function embedQuestion(
  embedder: Embedder,
  question: string,
  quarries: readonly Quarry[],
): Promise<Float32Array> {
  const words = [...new Set((await Promise.all(quarries.map((q) => q.unembeddedWords(question)))).flat())];
  const [queryVector, ...wordVectors] = await embedder.embedQuestionWith(question, words);
  if (!queryVector) throw new Error('embedder: no vector for the question');
  if (words.length > 0) wordVectorsOf(embedder).remember(words, wordVectors);
  return queryVector;
}

export class Quarry {
  private snapshot: SearchIndex | null = null;
  private calibration: Calibration | null = null;
  private expander: LexicalExpander | null = null;
  private opening: Promise<SearchIndex> | null = null;
  private reloading: Promise<ReloadSummary> | null = null;
  private answerCheckWarmUp: Promise<void> = Promise.resolve();

  /** `scope`: the key of this index in a shared database ("shared" or a Discord server id). */
  constructor(
    readonly config: CoreConfig,
    readonly scope = 'shared',
  ) {}

  /** The Postgres backend when DATABASE_URL is set; null: indexes are files only. */
  remoteIndexes(): Promise<PostgresIndexes> | null {
    const { databaseUrl: url, databaseSchema: schema, hnsw } = this.config;
    return url ? PostgresIndexes.open({ url, schema, efSearch: hnsw.ef }) : null;
  }

  /** With a database, an index built or loaded here is published there and served from there. */
  private async served(index: SearchIndex): Promise<SearchIndex> {
    const remote = await this.remoteIndexes();
    if (!remote) return index;
    await remote.publish(this.scope, index);
    const snapshot = await remote.load(this.scope, index.manifest.model);
    if (!snapshot) throw new Error(`quarry: the index just published for ${this.scope} cannot be read back`);
    return snapshot;
  }

  embedder(onProgress?: ProgressListener): Promise<Embedder> {
    return getEmbedder(this.config, onProgress);
  }

  get isReloading(): boolean {
    return this.reloading !== null;
  }

  /** The current index: loaded from disk, or built from the sources when missing or damaged. */
  open(onProgress?: ProgressListener): Promise<SearchIndex> {
    if (this.snapshot) return Promise.resolve(this.snapshot);
    if (!this.opening) {
      this.opening = this.openOrBuild(onProgress).finally(() => {
        this.opening = null;
      });
    }
    return this.opening;
  }

  /** The index on disk if valid; otherwise null, after saying why (once per open or reload). */
  private async loadFromDisk(): Promise<SearchIndex | null> {
    const embedder = await this.embedder();
    const model = { id: embedder.modelId, fingerprint: embedder.fingerprint, dimension: embedder.dimension };
    const remote = await (await this.remoteIndexes())?.load(this.scope, model);
    if (remote) return remote;
    const outcome = await loadIndex(this.config.indexDir, model, this.config.hnsw);
    if (outcome.status === 'loaded') {
      const { index } = outcome;
      const bytes = await indexSizeOnDisk(this.config.indexDir, index.generation);
      return this.served(toSearchIndex(index, bytes));
    }
    if (outcome.status === 'invalid') log.warn(`index: ${outcome.reason}; rebuilding from sources`);
    else log.info(`index: none in ${this.config.indexDir} yet; building it from ${this.config.sourcesDir}`);
    return null;
  }

  private async openOrBuild(onProgress?: ProgressListener): Promise<SearchIndex> {
    await this.embedder(onProgress);
    const loaded = await this.loadFromDisk();
    if (loaded) {
      this.snapshot = loaded;
      await this.prepareExpansion(loaded);
      this.prepareAnswerCheck(loaded);
      return loaded;
    }
    await this.startReload({ ...(onProgress ? { onProgress } : {}) }, null);
    if (!this.snapshot) throw new Error('quarry: reload finished without an index');
    return this.snapshot;
  }

  /**
   * How answers are decided for this model: its calibrated thresholds (MIN_RELEVANCE overrides
   * the abstain threshold), or a fallback with a warning when the model has no calibration.
   */
  selectionPolicy(modelName: string | null): SearchOptions {
    if (!this.calibration) {
      const key = calibrationKey(modelName, this.config.embeddingModel, this.config.embeddingDtype);
      const found = findCalibration(key);
      if (!found && this.config.minRelevance === null) {
        log.warn(
          `search: no calibration for ${key}; abstaining with the fallback threshold ${FALLBACK_CALIBRATION.minRelevance}, which may refuse too much or too little — run npm run calibrate, or set MIN_RELEVANCE`,
        );
      }
      this.calibration = found ?? FALLBACK_CALIBRATION;
    }
    return {
      mode: this.config.searchMode,
      k: this.config.topK,
      ...SCORING,
      denseWeight: this.calibration.denseWeight,
      minRelevance: this.config.minRelevance ?? this.calibration.minRelevance,
      supportShare: this.calibration.supportShare,
      answerCheck: ANSWER_CHECK,
    };
  }

  async ask(rawQuestion: string, options: AskOptions = {}): Promise<Answer> {
    const question = normaliseQuestion(rawQuestion);
    let snapshot = await this.open();
    const embedder = await this.embedder();
    const queryVector = options.queryVector ?? (await embedQuestion(embedder, question, [this]));
    const searchOptions: SearchOptions = {
      ...this.selectionPolicy(embedder.modelName),
      ...(options.mode ? { mode: options.mode } : {}),
      ...(options.k ? { k: options.k } : {}),
      ...(options.minRelevance !== undefined ? { minRelevance: options.minRelevance } : {}),
      ...(options.supportShare !== undefined ? { supportShare: options.supportShare } : {}),
      ...(options.answerCheck !== undefined ? { answerCheck: options.answerCheck } : {}),
    };
    const answerable = rareWordTest((word) => embedder.wordPieces(word));
    // The embedding keeps the whole question, including what it excludes ("besides rare
    // earths"); search drops that from the lexical side (measured: stripping both lost a hit@3).
    let outcome = await this.searchSnapshot(snapshot, question, queryVector, searchOptions, answerable);
    if (outcome === 'stale') {
      // Another process published a newer index of this scope: serve that one from now on.
      if (this.snapshot === snapshot) this.snapshot = null;
      snapshot = await this.open();
      outcome = await this.searchSnapshot(snapshot, question, queryVector, searchOptions, answerable);
      if (outcome === 'stale')
        throw new UserFacingError('reload.busy', 'the index is being replaced', 'ask again');
    }
    const toResult = (s: ScoredPassage) => this.toResult(snapshot, s);
    return {
      question,
      answered: outcome.answered,
      results: outcome.results.map(toResult),
      nearest: outcome.nearest ? toResult(outcome.nearest) : null,
      queryVector,
    };
  }

  private async searchSnapshot(
    snapshot: SearchIndex,
    question: string,
    queryVector: Float32Array,
    options: Parameters<typeof search>[3],
    answerable: Parameters<typeof search>[4],
  ): Promise<ReturnType<typeof search> | 'stale'> {
    const remote = (snapshot as Partial<RemoteSnapshot>).remote ? await this.remoteIndexes() : null;
    const expand = await this.lexicalExpansion(snapshot, question);
    if (!remote) return search(snapshot, question, queryVector, options, answerable, expand);
    return searchRemote(
      remote,
      snapshot as RemoteSnapshot,
      question,
      queryVector,
      options,
      answerable,
      expand,
    );
  }

  /** LEXICAL_EXPANSION's substitutes for this question (src/search/expansion.ts), if on. */
  private async lexicalExpansion(snapshot: SearchIndex, question: string): Promise<Expansion | undefined> {
    const expander = await this.lexicalExpander();
    return expander?.expansionFor(snapshot, question);
  }

  /**
   * The question's words LEXICAL_EXPANSION will look up for the served index and has no vector
   * for yet (none before an index is served, or with the expansion off).
   */
  async unembeddedWords(question: string): Promise<string[]> {
    const snapshot = this.snapshot;
    const expander = snapshot ? await this.lexicalExpander() : null;
    return snapshot && expander ? expander.unembeddedWords(snapshot, question) : [];
  }

  private async lexicalExpander(): Promise<LexicalExpander | null> {
    const threshold = this.config.lexicalExpansion;
    if (threshold === null) return null;
    this.expander ??= new LexicalExpander(wordVectorsOf(await this.embedder()), threshold);
    return this.expander;
  }

  /**
   * Starts embedding a newly served index's vocabulary in the background (not awaited: the index
   * is usable at once; a question that needs the vocabulary first waits for the same promise).
   */
  private async prepareExpansion(snapshot: SearchIndex): Promise<void> {
    const expander = await this.lexicalExpander();
    expander?.vocabularyOf(snapshot).catch((error: Error) => {
      log.debug(
        `search: the sources' vocabulary could not be embedded yet (${error.message}); tried again on the next question`,
      );
    });
  }

  /**
   * Starts the answer check's first-use work for a newly served index in the background
   * (src/search/answer-check-warm-up.ts): not awaited, so the index is usable at once.
   */
  private prepareAnswerCheck(snapshot: SearchIndex): void {
    this.answerCheckWarmUp = warmAnswerCheck(snapshot.passages, {
      stale: () => this.snapshot !== snapshot,
      busy: () => this.reloading,
    }).catch((error: Error) => {
      log.debug(`search: the answer check's warm-up stopped (${error.message}); questions tag as they go`);
    });
  }

  /** Resolves when the served index's answer-check warm-up has finished or been dropped. */
  answerCheckWarmedUp(): Promise<void> {
    return this.answerCheckWarmUp;
  }

  private toResult(snapshot: SearchIndex, scored: ScoredPassage): AnswerResult {
    const { passage, quote } = scored;
    const source = snapshot.sources.get(passage.sourceId);
    const quoteStart = quote.start - passage.start;
    const quoteEnd = quote.end - passage.start;
    return {
      text: passage.text,
      quote: passage.text.slice(quoteStart, quoteEnd),
      score: round(scored.relevance),
      source: passage.sourceId,
      title: source?.title ?? passage.sourceId,
      ...(source?.url ? { url: source.url } : {}),
      paragraph: passage.paragraph,
      passageId: passage.id,
      quoteStart,
      quoteEnd,
      ...(scored.check?.span
        ? {
            answerStart: scored.check.span.start - passage.start,
            answerEnd: scored.check.span.end - passage.start,
          }
        : {}),
    };
  }

  /**
   * Re-reads the sources (or only `only`), embeds what changed, writes a new index beside the
   * old one and swaps it in. On failure the old index keeps serving and the error says why.
   */
  reload(options: ReloadOptions = {}): Promise<ReloadSummary> {
    return this.startReload(options, undefined);
  }

  /** `previous` undefined: look for an index on disk to compare with; null: known to be absent. */
  private startReload(
    options: ReloadOptions,
    previous: SearchIndex | null | undefined,
  ): Promise<ReloadSummary> {
    if (this.reloading) {
      return Promise.reject(
        new UserFacingError('reload.busy', 'a reload is already running', 'wait for it to finish'),
      );
    }
    this.reloading = this.runReload(options, previous).finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  private async runReload(
    { only, onProgress }: ReloadOptions,
    known: SearchIndex | null | undefined,
  ): Promise<ReloadSummary> {
    const started = performance.now();
    const embedder = await this.embedder(onProgress);
    const previous = this.snapshot ?? (known === undefined ? await this.loadFromDisk() : known);
    return withIndexLock(this.config.indexDir, async (lock) => {
      onProgress?.({ stage: 'loading' });
      const loaded = await loadSources(this.config.sourcesDir, {
        maxBytes: this.config.maxSourceBytes,
        urls: { file: this.config.urlSourcesFile, timeoutMs: this.config.urlFetchTimeoutMs },
        ...(only ? { only } : {}),
      });
      for (const s of loaded.skipped) log.warn(`sources: skipped ${s.id}: ${s.reason}`);
      for (const w of loaded.warnings) log.warn(`sources: ${w}`);
      if (only && loaded.sources.length === 0 && loaded.skipped.length === 0) {
        throw new UserFacingError(
          'reload.unknown-source',
          `there is no source named "${only}"`,
          'use a name listed by /sources',
        );
      }

      onProgress?.({ stage: 'splitting' });
      const plan = planReload({
        previous,
        loaded,
        ...(only ? { only } : {}),
        passageMaxTokens: embedder.maxTokens,
        split: (source) => splitIntoPassages(source, embedder.maxTokens, embedder.countTokens),
        now: new Date().toISOString(),
      });
      if (plan.passages.length === 0) {
        throw new UserFacingError(
          'reload.no-passages',
          `no passages: ${this.config.sourcesDir} has no readable .txt, .md or .html source`,
          'add a source file (SOURCES_DIR) and reload',
        );
      }
      const seconds = () => round((performance.now() - started) / 1000);
      // The same passages and sources, and the live index on disk is this one: writing an
      // identical generation would only cost time.
      if (
        plan.sameAsPrevious &&
        previous &&
        (await currentGeneration(this.config.indexDir)) === previous.generation
      ) {
        return summariseReload(plan, loaded, { embedded: 0, seconds: seconds() });
      }

      if (!lock.writable) throw notWritable(lock);
      const built = await buildIndex({
        indexDir: this.config.indexDir,
        embedder,
        hnsw: this.config.hnsw,
        passages: plan.passages,
        sources: plan.sources,
        ...(onProgress ? { onProgress } : {}),
      });
      onProgress?.({ stage: 'swapping' });
      this.snapshot = await this.served(built.index);
      await this.prepareExpansion(this.snapshot);
      this.prepareAnswerCheck(this.snapshot);
      return summariseReload(plan, loaded, { embedded: built.embedded, seconds: seconds() });
    });
  }

  /** What /sources shows: each source, the model, and the index size. */
  async status(): Promise<Status> {
    const snapshot = await this.open();
    return {
      model: snapshot.manifest.model.id,
      builtAt: snapshot.manifest.builtAt,
      passages: snapshot.passages.length,
      bytes: snapshot.bytes,
      sources: snapshot.manifest.sources,
    };
  }
}
