/**
 * What a reload has to do, decided without a model or a disk: which passages each source
 * contributes (reused from the previous index when its text is unchanged, split afresh
 * otherwise), which sources a single-source reload leaves as they were, whether the result is
 * the previous index again, and the counts the summary reports. The caller does the I/O
 * (loading sources, embedding, writing) around it. Which texts need the model is not decided
 * here: the embedding cache knows that per text, sentences included (index/build.ts).
 */
import type { Passage } from '../passages/split.ts';
import type { LoadedSources, SkippedSource, Source } from '../sources/load.ts';
import type { Manifest, SourceSummary, StoredPassage } from './store.ts';

/** What planning needs of the previous index (a loaded or just-built one). */
export interface PreviousIndex {
  manifest: Pick<Manifest, 'sources' | 'passageMaxTokens'>;
  passages: readonly StoredPassage[];
}

export interface PlanInput {
  previous: PreviousIndex | null;
  loaded: LoadedSources;
  /** A single-source reload: the other sources keep their indexed passages. */
  only?: string;
  /** The passage size limit the sources are split with now. */
  passageMaxTokens: number;
  /** Splits a source whose passages cannot be reused (tokenizes: the costly part). */
  split: (source: Source) => Passage[];
  /** ISO time stamped on sources first indexed by this reload. */
  now: string;
}

export interface ReloadPlan {
  /** Every passage of the new index, in index order. */
  passages: Passage[];
  sources: SourceSummary[];
  /** Distinct passage ids added, removed and kept against the previous index. */
  counts: { added: number; removed: number; unchanged: number };
  /**
   * Same passages at the same offsets and the same sources as the previous index: writing it
   * again would produce an identical generation.
   */
  sameAsPrevious: boolean;
}

export interface ReloadSummary {
  sources: number;
  passages: number;
  added: number;
  removed: number;
  unchanged: number;
  /** Texts (passages and sentences) that needed the model; the rest came from the cache. */
  embedded: number;
  seconds: number;
  skipped: SkippedSource[];
  warnings: string[];
}

export function planReload(input: PlanInput): ReloadPlan {
  const { previous, loaded, only } = input;
  const previousSources = new Map(previous?.manifest.sources.map((s) => [s.id, s]));
  // Splitting is most of an unchanged reload's cost: a source whose text is unchanged keeps its
  // passages, as long as the passage size limit is the same.
  const reusable =
    previous && previous.manifest.passageMaxTokens === input.passageMaxTokens
      ? passagesBySource(previous.passages)
      : new Map<string, Passage[]>();

  let passages: Passage[] = [];
  let sources: SourceSummary[] = [];
  for (const source of loaded.sources) {
    const before = previousSources.get(source.id);
    const sameText = before?.contentHash === source.contentHash;
    const kept = sameText ? reusable.get(source.id) : undefined;
    const split = kept ?? input.split(source);
    passages.push(...split);
    sources.push({
      id: source.id,
      title: source.title,
      ...(source.url ? { url: source.url } : {}),
      contentHash: source.contentHash,
      passages: split.length,
      loadedAt: sameText && before ? before.loadedAt : input.now,
    });
  }
  if (only && previous) {
    // Other sources keep their indexed version; only `only` was re-read.
    const keep = (id: string) => id !== only;
    passages = [...previous.passages.filter((p) => keep(p.sourceId)).map(withoutStorage), ...passages];
    sources = [...previous.manifest.sources.filter((s) => keep(s.id)), ...sources];
  }

  const before = new Set(previous?.passages.map((p) => p.id));
  const after = new Set(passages.map((p) => p.id));
  const sameAsPrevious = previous !== null && sameContent(previous, passages, sources);
  const unchanged = [...after].filter((id) => before.has(id)).length;
  return {
    passages,
    sources,
    counts: sameAsPrevious
      ? { added: 0, removed: 0, unchanged: passages.length }
      : {
          added: after.size - unchanged,
          removed: [...before].filter((id) => !after.has(id)).length,
          unchanged,
        },
    sameAsPrevious,
  };
}

/** The summary a reload reports; `embedded` is 0 when nothing had to be built. */
export function summariseReload(
  plan: ReloadPlan,
  loaded: Pick<LoadedSources, 'skipped' | 'warnings'>,
  outcome: { embedded: number; seconds: number },
): ReloadSummary {
  return {
    sources: plan.sources.length,
    passages: plan.passages.length,
    ...plan.counts,
    embedded: outcome.embedded,
    seconds: outcome.seconds,
    skipped: loaded.skipped,
    warnings: loaded.warnings,
  };
}

function sameContent(previous: PreviousIndex, passages: Passage[], sources: SourceSummary[]): boolean {
  const same = <T>(a: readonly T[], b: readonly T[], key: (x: T) => string) =>
    a.length === b.length && a.every((x, i) => key(x) === key(b[i] as T));
  return (
    same(previous.passages, passages, (p) => `${p.id}:${p.start}`) &&
    same(previous.manifest.sources, sources, (s) => `${s.id}:${s.contentHash}:${s.title}:${s.url ?? ''}`)
  );
}

function passagesBySource(passages: readonly StoredPassage[]): Map<string, Passage[]> {
  const bySource = new Map<string, Passage[]>();
  for (const p of passages) {
    const list = bySource.get(p.sourceId) ?? [];
    list.push(withoutStorage(p));
    bySource.set(p.sourceId, list);
  }
  return bySource;
}

function withoutStorage(p: StoredPassage): Passage {
  const { sentenceRow: _row, ...passage } = p;
  return passage;
}
