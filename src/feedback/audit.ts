/**
 * The sources audit log: who added, removed or reloaded which source, when, and how it ended. It
 * lives in the feedback database (same file, same migrations: store.ts migration 2). Unlike
 * feedback, an audit entry keeps the moderator's Discord id: the point of an audit log is to say
 * who did it, and only moderators' own actions are recorded.
 */
import type { FeedbackStore } from './store.ts';

export type AuditAction = 'add' | 'remove' | 'reload';
export type AuditOutcome = 'ok' | 'failed' | 'refused';

export interface AuditEntry {
  /** A guild id, or 'shared' for SOURCES_DIR. */
  guildId: string;
  actorId: string;
  action: AuditAction;
  source: string | null;
  outcome: AuditOutcome;
  /** What happened: passages added, or the reason it failed. */
  detail: string | null;
  at: number;
}

export interface AuditRow {
  guild_id: string;
  actor_id: string;
  action: AuditAction;
  source: string | null;
  outcome: AuditOutcome;
  detail: string | null;
  /** Postgres returns a bigint column as a string. */
  at: number | string;
}

export function auditEntryOf(r: AuditRow): AuditEntry {
  return {
    guildId: r.guild_id,
    actorId: r.actor_id,
    action: r.action,
    source: r.source,
    outcome: r.outcome,
    detail: r.detail,
    at: Number(r.at),
  };
}

/** What commands use of an audit log: the SQLite one below, or Postgres (src/storage/postgres/audit.ts). */
export interface SourcesAudit {
  record(entry: Omit<AuditEntry, 'at'> & { at?: number }): void;
  recent(guildId: string, limit?: number): AuditEntry[] | Promise<AuditEntry[]>;
}

export class AuditLog implements SourcesAudit {
  private readonly insert;
  private readonly latest;

  constructor(store: FeedbackStore) {
    this.insert = store.db.prepare(
      `INSERT INTO source_audit (guild_id, actor_id, action, source, outcome, detail, at)
       VALUES (@guildId, @actorId, @action, @source, @outcome, @detail, @at)`,
    );
    this.latest = store.db.prepare(
      `SELECT guild_id, actor_id, action, source, outcome, detail, at FROM source_audit
       WHERE guild_id = ? ORDER BY at DESC, id DESC LIMIT ?`,
    );
  }

  record(entry: Omit<AuditEntry, 'at'> & { at?: number }): void {
    this.insert.run({ ...entry, detail: entry.detail?.slice(0, 500) ?? null, at: entry.at ?? Date.now() });
  }

  /** The newest entries of one server (or 'shared'), newest first. */
  recent(guildId: string, limit = 10): AuditEntry[] {
    return (this.latest.all(guildId, limit) as AuditRow[]).map(auditEntryOf);
  }
}
