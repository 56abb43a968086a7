/**
 * The sources audit log in Postgres (with DATABASE_URL), so `/sources log` lists changes made
 * through every shard and machine. Same entries as the SQLite log (src/feedback/audit.ts).
 * Recording never fails a change: a database error is logged and the change stands.
 */
import type { CoreConfig } from '../../config.ts';
import { errorMessage } from '../../errors.ts';
import { type AuditEntry, type AuditRow, auditEntryOf, type SourcesAudit } from '../../feedback/audit.ts';
import { log } from '../../log.ts';
import { type Database, database } from './pool.ts';

export class PostgresAuditLog implements SourcesAudit {
  private readonly db: Promise<Database>;

  constructor(config: Pick<CoreConfig, 'databaseUrl' | 'databaseSchema' | 'hnsw'>) {
    this.db = database({
      url: config.databaseUrl ?? '',
      schema: config.databaseSchema,
      efSearch: config.hnsw.ef,
    });
    this.db.catch(() => undefined);
  }

  /** Resolves when written (callers may ignore it; failures are logged, never thrown). */
  record(entry: Omit<AuditEntry, 'at'> & { at?: number }): Promise<void> {
    return this.db
      .then((db) =>
        db.pool.query(
          `INSERT INTO ${db.table('source_audit')} (guild_id, actor_id, action, source, outcome, detail, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            entry.guildId,
            entry.actorId,
            entry.action,
            entry.source,
            entry.outcome,
            entry.detail?.slice(0, 500) ?? null,
            entry.at ?? Date.now(),
          ],
        ),
      )
      .then(
        () => undefined,
        (error) =>
          log.error(`feedback: could not record a sources change in Postgres (${errorMessage(error)})`),
      );
  }

  async recent(guildId: string, limit = 10): Promise<AuditEntry[]> {
    const db = await this.db;
    const { rows } = await db.pool.query<AuditRow>(
      `SELECT guild_id, actor_id, action, source, outcome, detail, at FROM ${db.table('source_audit')}
        WHERE guild_id = $1 ORDER BY at DESC, id DESC LIMIT $2`,
      [guildId, limit],
    );
    return rows.map(auditEntryOf);
  }
}
