/**
 * One knowledge base: a sources folder, its index (a Quarry over both) and what Quarry remembers
 * about each source (where it came from, PDF pages) in a small JSON file beside them. The shared
 * base reads SOURCES_DIR; each server's lives in SERVERS_DIR/<guild id>/.
 *
 * Changes (add, remove, reload) run one at a time per base. A failed add or remove restores the
 * folder as it was, and the index that was serving keeps serving (Quarry swaps only a complete
 * new index in).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CoreConfig } from '../config.ts';
import { UserFacingError } from '../errors.ts';
import type { ProgressListener } from '../progress.ts';
import { type Answer, type AnswerResult, type AskOptions, Quarry, type ReloadSummary } from '../quarry.ts';
import { type PreparedSource, previewOf, type SourceMeta, type SourcePreview } from './intake.ts';

export type Scope = { kind: 'shared' } | { kind: 'server'; guildId: string };

export interface ListedSource {
  id: string;
  title: string;
  passages: number;
  loadedAt: string;
  meta?: SourceMeta;
}

export interface AddOutcome {
  id: string;
  title: string;
  passages: number;
  removedLines: number;
  pages?: number;
  summary: ReloadSummary;
}

export interface ShownSource {
  id: string;
  preview: SourcePreview;
  passages: number;
  meta?: SourceMeta;
}

/** Citations can say which page of a PDF a passage is on. */
export type CitedResult = AnswerResult & { scope: Scope['kind'] };

export interface CitedAnswer extends Omit<Answer, 'results' | 'nearest'> {
  results: CitedResult[];
  nearest: CitedResult | null;
}

const GUILD_ID = /^\d{5,25}$/;

/** The base's key in a shared database. */
export function scopeKey(scope: Scope): string {
  return scope.kind === 'shared' ? 'shared' : scope.guildId;
}

export function assertGuildId(guildId: string): void {
  if (!GUILD_ID.test(guildId)) {
    throw new UserFacingError('servers', `"${guildId}" is not a Discord server id`, 'give the numeric id');
  }
}

export class KnowledgeBase {
  quarry: Quarry;
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private meta: Record<string, SourceMeta> | null = null;

  constructor(
    readonly scope: Scope,
    readonly config: CoreConfig,
    readonly metaFile: string,
    quarry?: Quarry,
  ) {
    this.quarry = quarry ?? new Quarry(config, scopeKey(scope));
  }

  get sourcesDir(): string {
    return this.config.sourcesDir;
  }

  /** Busy bases are never evicted: a change is running or waiting. */
  get busy(): boolean {
    return this.pending > 0 || this.quarry.isReloading;
  }

  /** Runs changes one after another. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.pending++;
    const run = this.queue.then(work, work).finally(() => this.pending--);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sourceFiles(): Promise<string[]> {
    try {
      return (await readdir(this.sourcesDir, { withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort();
    } catch {
      return [];
    }
  }

  /** Something to search: an index on disk or in memory, or sources to build one from. */
  async hasContent(): Promise<boolean> {
    if (this.hasIndexOnDisk()) return true;
    // Another machine may have added this server's sources: the database knows.
    const remote = await this.quarry.remoteIndexes();
    if (remote && (await remote.currentGeneration(this.quarry.scope))) return true;
    return (await this.sourceFiles()).length > 0;
  }

  private hasIndexOnDisk(): boolean {
    return existsSync(join(this.config.indexDir, 'CURRENT'));
  }

  async sourceMeta(): Promise<Record<string, SourceMeta>> {
    if (!this.meta) {
      try {
        this.meta = JSON.parse(await readFile(this.metaFile, 'utf8')) as Record<string, SourceMeta>;
      } catch {
        this.meta = {};
      }
    }
    return this.meta;
  }

  private async writeMeta(meta: Record<string, SourceMeta>): Promise<void> {
    await mkdir(join(this.metaFile, '..'), { recursive: true });
    const temporary = `${this.metaFile}.tmp`;
    await writeFile(temporary, `${JSON.stringify(meta, null, 2)}\n`);
    await rename(temporary, this.metaFile);
    this.meta = meta;
  }

  /** Null when the base has nothing to search (a server that has added no sources). */
  async ask(question: string, options: AskOptions): Promise<CitedAnswer | null> {
    if (!(await this.hasContent())) return null;
    // A server's first source is being indexed: nothing is served yet, and opening would only
    // be told a reload is running. Its members get the shared sources meanwhile.
    if (!this.hasIndexOnDisk() && this.busy) return null;
    const answer = await this.quarry.ask(question, options);
    const meta = await this.sourceMeta();
    const cite = (r: AnswerResult): CitedResult => {
      const m = meta[r.source];
      const page = m?.paragraphPages?.[r.paragraph - 1];
      return {
        ...r,
        ...(m?.url ? { url: m.url } : {}),
        ...(page ? { page } : {}),
        scope: this.scope.kind,
      };
    };
    return {
      ...answer,
      results: answer.results.map(cite),
      nearest: answer.nearest ? cite(answer.nearest) : null,
    };
  }

  reload(options: { only?: string; onProgress?: ProgressListener } = {}): Promise<ReloadSummary> {
    return this.exclusive(async () => {
      await this.refuseIfSourcesElsewhere(options.only ? { only: options.only } : {});
      return this.reloadNow(options);
    });
  }

  /**
   * With Postgres, a server's index may hold sources added on another machine, whose SERVERS_DIR
   * holds their files; this one lacks them. A reload here publishes this machine's files only, so
   * it would drop those sources from the index every machine serves (all of it when this machine
   * has none): it is refused. `only` keeps the other sources (unless there are no files here at
   * all: that clears the index); `removing` is the file a /sources remove is taking away.
   */
  private async refuseIfSourcesElsewhere(options: { only?: string; removing?: string }): Promise<void> {
    if (this.scope.kind !== 'server') return;
    const local = await this.sourceFiles();
    if (options.only && local.length > 0) return;
    const remote = await this.quarry.remoteIndexes();
    const indexed = remote ? await remote.currentSources(this.quarry.scope) : null;
    const elsewhere = (indexed ?? []).filter((id) => id !== options.removing && !local.includes(id));
    if (elsewhere.length === 0) return;
    const named = elsewhere.slice(0, 5).join(', ') + (elsewhere.length > 5 ? ', …' : '');
    throw new UserFacingError(
      'reload.sources-elsewhere',
      `this machine lacks ${elsewhere.length} of this server's indexed source files (${named}): the database serves an index built with them on another machine, and reloading here would drop them`,
      `that index keeps serving; reload or remove from the machine whose SERVERS_DIR holds ${this.scope.guildId}/sources, or copy the missing files here`,
    );
  }

  private async reloadNow(options: { only?: string; onProgress?: ProgressListener }): Promise<ReloadSummary> {
    if ((await this.sourceFiles()).length === 0 && this.scope.kind === 'server') {
      await this.clearIndex();
      return emptySummary();
    }
    return this.quarry.reload(options);
  }

  /** A server without sources has no index: drop it (and the Quarry holding it in memory). */
  private async clearIndex(): Promise<void> {
    await rm(this.config.indexDir, { recursive: true, force: true });
    await (await this.quarry.remoteIndexes())?.drop(this.quarry.scope);
    this.quarry = new Quarry(this.config, scopeKey(this.scope));
  }

  async list(): Promise<ListedSource[]> {
    if (!(await this.hasContent())) return [];
    const status = await this.quarry.status();
    const meta = await this.sourceMeta();
    return status.sources.map((s) => ({
      id: s.id,
      title: s.title,
      passages: s.passages,
      loadedAt: s.loadedAt,
      ...(meta[s.id] ? { meta: meta[s.id] } : {}),
    }));
  }

  add(
    prepared: PreparedSource,
    options: { addedBy: string; maxSources?: number; onProgress?: ProgressListener },
  ): Promise<AddOutcome> {
    return this.exclusive(async () => {
      const files = await this.sourceFiles();
      if (options.maxSources !== undefined && files.length >= options.maxSources) {
        throw new UserFacingError(
          'sources',
          `this server already has ${files.length} sources, the limit (MAX_SOURCES_PER_SERVER)`,
          'remove one first with /sources remove',
        );
      }
      if (files.includes(prepared.id)) {
        throw new UserFacingError(
          'sources',
          `a source named ${prepared.id} already exists`,
          'remove it first, or rename the file',
        );
      }
      await mkdir(this.sourcesDir, { recursive: true });
      const path = join(this.sourcesDir, prepared.id);
      const meta = await this.sourceMeta();
      const temporary = join(this.sourcesDir, `.${prepared.id}.partial`);
      await writeFile(temporary, prepared.content);
      await rename(temporary, path);
      try {
        // Metadata first: once the new index serves the source, its citations need it.
        await this.writeMeta({
          ...meta,
          [prepared.id]: { ...prepared.meta, addedBy: options.addedBy, addedAt: new Date().toISOString() },
        });
        const summary = await this.quarry.reload({
          only: prepared.id,
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });
        const skipped = summary.skipped.find((s) => s.id === prepared.id);
        if (skipped) throw new UserFacingError('sources', `${prepared.id} was not added: ${skipped.reason}`);
        const listed = (await this.quarry.status()).sources.find((s) => s.id === prepared.id);
        return {
          id: prepared.id,
          title: listed?.title ?? prepared.preview.title,
          passages: listed?.passages ?? 0,
          removedLines: prepared.preview.removedLines.length,
          ...(prepared.preview.pages ? { pages: prepared.preview.pages } : {}),
          summary,
        };
      } catch (error) {
        // The file and its metadata go; the index that was serving is still the one serving.
        await rm(path, { force: true });
        await this.writeMeta(meta);
        throw error;
      }
    });
  }

  remove(id: string, options: { onProgress?: ProgressListener } = {}): Promise<ReloadSummary> {
    return this.exclusive(async () => {
      const files = await this.sourceFiles();
      if (!files.includes(id)) {
        throw new UserFacingError('sources', `there is no source named "${id}"`, 'pick one from the list');
      }
      await this.refuseIfSourcesElsewhere({ removing: id });
      const path = join(this.sourcesDir, id);
      const content = await readFile(path);
      await rm(path);
      try {
        const summary = await this.reloadNow(options);
        const { [id]: _removed, ...rest } = await this.sourceMeta();
        await this.writeMeta(rest);
        return summary;
      } catch (error) {
        await writeFile(path, content);
        throw error;
      }
    });
  }

  /** The cleaned text as members will be quoted from it; only files of this base can be named. */
  async show(id: string): Promise<ShownSource> {
    const files = await this.sourceFiles();
    if (!files.includes(id)) {
      throw new UserFacingError('sources', `there is no source named "${id}"`, 'pick one from the list');
    }
    const content = await readFile(join(this.sourcesDir, id), 'utf8');
    const meta = (await this.sourceMeta())[id];
    const kind = /\.html?$/i.test(id) ? 'html' : 'text';
    const listed = (await this.list()).find((s) => s.id === id);
    const preview = previewOf(id, content, kind);
    const pages = meta?.paragraphPages?.at(-1);
    return {
      id,
      preview: pages ? { ...preview, pages } : preview,
      passages: listed?.passages ?? 0,
      ...(meta ? { meta } : {}),
    };
  }

  /** Source ids for autocomplete, without loading the index. */
  async sourceIds(): Promise<string[]> {
    return this.sourceFiles();
  }
}

function emptySummary(): ReloadSummary {
  return {
    sources: 0,
    passages: 0,
    added: 0,
    removed: 0,
    unchanged: 0,
    embedded: 0,
    seconds: 0,
    skipped: [],
    warnings: [],
  };
}
