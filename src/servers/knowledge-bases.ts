/**
 * Every knowledge base the bot serves: the shared one (SOURCES_DIR, changed only from the CLI or
 * by BOT_OWNER_IDS) and one per Discord server (SERVERS_DIR/<guild id>/). A question in a server
 * searches that server's index and the shared index and merges the results by relevance; shared
 * passages are never copied into server indexes, so 1,000 servers cost 1,000 small indexes, not
 * 1,000 copies of the shared one.
 *
 * Server bases are opened lazily, on their first question or change, and the least recently used
 * idle ones are dropped beyond MAX_LOADED_SERVERS (their index stays on disk and is loaded again
 * when needed). Nothing here can reach another server's base: every call names its guild id, and
 * the folder is derived from it after checking it is a Discord id.
 */
import { join } from 'node:path';
import type { CoreConfig } from '../config.ts';
import { type AskOptions, embedQuestion, normaliseQuestion, type Quarry } from '../quarry.ts';
import { assertGuildId, type CitedAnswer, KnowledgeBase } from './knowledge-base.ts';

export class KnowledgeBases {
  readonly shared: KnowledgeBase;
  private readonly servers = new Map<string, KnowledgeBase>();

  constructor(
    readonly config: CoreConfig,
    sharedQuarry?: Quarry,
  ) {
    this.shared = new KnowledgeBase(
      { kind: 'shared' },
      config,
      join(config.serversDir, 'shared-sources.json'),
      sharedQuarry,
    );
  }

  serverDir(guildId: string): string {
    assertGuildId(guildId);
    return join(this.config.serversDir, guildId);
  }

  /** The server's base, opened on first use; the least recently used idle ones are dropped. */
  forServer(guildId: string): KnowledgeBase {
    const existing = this.servers.get(guildId);
    if (existing) {
      // Map order is insertion order: re-inserting makes it the most recently used.
      this.servers.delete(guildId);
      this.servers.set(guildId, existing);
      return existing;
    }
    const dir = this.serverDir(guildId);
    const base = new KnowledgeBase(
      { kind: 'server', guildId },
      {
        ...this.config,
        sourcesDir: join(dir, 'sources'),
        indexDir: join(dir, 'index'),
        // A server's URL sources are fetched once, when added; it never reads the shared list.
        urlSourcesFile: join(dir, 'no-url-list.json'),
      },
      join(dir, 'sources.json'),
    );
    this.servers.set(guildId, base);
    this.evictIdle();
    return base;
  }

  private evictIdle(): void {
    for (const [id, base] of this.servers) {
      if (this.servers.size <= this.config.maxLoadedServers) return;
      if (!base.busy) this.servers.delete(id);
    }
  }

  get loadedServers(): number {
    return this.servers.size;
  }

  /** Searches the server's sources and the shared ones; `guildId` null: shared only (CLI). */
  async ask(
    guildId: string | null,
    rawQuestion: string,
    options: Pick<AskOptions, 'k' | 'minRelevance' | 'mode' | 'supportShare'> = {},
  ): Promise<CitedAnswer> {
    const question = normaliseQuestion(rawQuestion);
    const bases = [this.shared, ...(guildId ? [this.forServer(guildId)] : [])];
    // With the words the bases' lexical expansions need (one model call, not one per base).
    const embedder = await this.shared.quarry.embedder();
    const queryVector = await embedQuestion(
      embedder,
      question,
      bases.map((b) => b.quarry),
    );
    const k = options.k ?? this.config.topK;
    const answers = (
      await Promise.all(bases.map((b) => b.ask(question, { ...options, k, queryVector })))
    ).filter((a) => a !== null);
    const results = answers
      .flatMap((a) => a.results)
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
    const nearest = results.length
      ? null
      : (answers
          .map((a) => a.nearest)
          .filter((n) => n !== null)
          .sort((a, b) => b.score - a.score)[0] ?? null);
    // The vector goes back with the answer so feedback stores it (/gaps groups near duplicates).
    return { question, answered: results.length > 0, results, nearest, queryVector };
  }
}
