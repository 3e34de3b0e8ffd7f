// Pipeline state in SQLite, for the embedded defaults: the same file can hold the Iceberg JDBC catalog
// tables, so one catalog.db is the whole local state. better-sqlite3 is synchronous and SQLite serialises
// writers, so each operation below is atomic on its own. Several processes may share the file (two
// `apply` at once): WAL lets readers run beside the writer, the busy timeout makes a writer wait for
// another's write instead of failing, and every read-then-write runs as BEGIN IMMEDIATE — a deferred
// transaction that read first cannot wait for the write lock (SQLITE_BUSY at once, whatever the timeout).

import Database from 'better-sqlite3';
import type { ChangesetRecord, FileRecord, FileStatus, Lease, StateStore } from '../../ports/state-store.js';
import { holderState } from './process-holder.js';

/** How long a writer waits for another process's write transaction before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 30_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS dsi_files (
  file_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dsi_changesets (
  id TEXT PRIMARY KEY,
  table_key TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dsi_changesets_pending ON dsi_changesets (table_key, status, created_at_ms, id);
CREATE TABLE IF NOT EXISTS dsi_leases (
  table_key TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  token INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dsi_table_failures (
  table_key TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  failed_at_ms INTEGER NOT NULL
);
`;

export class SqliteStateStore implements StateStore {
  private readonly db: Database.Database;

  /** `path` is a file (shared with the SQLite catalog) or ':memory:'. */
  constructor(pathOrDb: string | Database.Database) {
    this.db = typeof pathOrDb === 'string' ? new Database(pathOrDb) : pathOrDb;
    // the timeout first: switching to WAL takes a lock another process may hold for a moment
    this.db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  async createFile(
    record: FileRecord,
  ): Promise<{ created: true } | { created: false; existing: FileRecord }> {
    const result = this.db
      .prepare(
        'INSERT INTO dsi_files (file_id, status, created_at_ms, record) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run(record.fileId, record.status, record.createdAtMs, JSON.stringify(record));
    if (result.changes === 1) return { created: true };
    const existing = await this.getFile(record.fileId);
    if (!existing) throw new Error(`file record ${record.fileId} vanished during create`);
    return { created: false, existing };
  }

  async getFile(fileId: string): Promise<FileRecord | undefined> {
    const row = this.db.prepare('SELECT record FROM dsi_files WHERE file_id = ?').get(fileId) as
      { record: string } | undefined;
    return row ? (JSON.parse(row.record) as FileRecord) : undefined;
  }

  async updateFile(fileId: string, patch: Partial<Omit<FileRecord, 'fileId'>>): Promise<void> {
    const update = this.db.transaction(() => {
      const row = this.db.prepare('SELECT record FROM dsi_files WHERE file_id = ?').get(fileId) as
        { record: string } | undefined;
      if (!row) throw new Error(`no file record ${fileId}`);
      const next = { ...(JSON.parse(row.record) as FileRecord), ...patch, fileId };
      this.db
        .prepare('UPDATE dsi_files SET status = ?, record = ? WHERE file_id = ?')
        .run(next.status, JSON.stringify(next), fileId);
    });
    update.immediate();
  }

  async listFiles(filter: { status?: FileStatus; limit?: number } = {}): Promise<FileRecord[]> {
    const limit = filter.limit ?? 1000;
    const rows = (
      filter.status
        ? this.db
            .prepare('SELECT record FROM dsi_files WHERE status = ? ORDER BY created_at_ms, file_id LIMIT ?')
            .all(filter.status, limit)
        : this.db.prepare('SELECT record FROM dsi_files ORDER BY created_at_ms, file_id LIMIT ?').all(limit)
    ) as { record: string }[];
    return rows.map((row) => JSON.parse(row.record) as FileRecord);
  }

  async putChangeset(record: ChangesetRecord): Promise<void> {
    // A committed change-set is never reset to pending by a re-delivered file; a rejected one is, by the
    // file ingested again.
    this.db
      .prepare(
        `INSERT INTO dsi_changesets (id, table_key, status, created_at_ms, record) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET record = excluded.record, status = excluded.status
         WHERE dsi_changesets.status != 'committed'`,
      )
      .run(record.id, record.table, record.status, record.createdAtMs, JSON.stringify(record));
  }

  async getChangeset(id: string): Promise<ChangesetRecord | undefined> {
    const row = this.db.prepare('SELECT record FROM dsi_changesets WHERE id = ?').get(id) as
      { record: string } | undefined;
    return row ? (JSON.parse(row.record) as ChangesetRecord) : undefined;
  }

  async listPendingChangesets(table: string, limit: number): Promise<ChangesetRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT record FROM dsi_changesets WHERE table_key = ? AND status = 'pending'
         ORDER BY created_at_ms, id LIMIT ?`,
      )
      .all(table, limit) as { record: string }[];
    return rows.map((row) => JSON.parse(row.record) as ChangesetRecord);
  }

  async markChangesetsCommitted(ids: string[], snapshotId: string, atMs: number): Promise<void> {
    const mark = this.db.transaction(() => {
      for (const id of ids) {
        const row = this.db.prepare('SELECT record FROM dsi_changesets WHERE id = ?').get(id) as
          { record: string } | undefined;
        if (!row) continue;
        const next: ChangesetRecord = {
          ...(JSON.parse(row.record) as ChangesetRecord),
          status: 'committed',
          committedSnapshotId: snapshotId,
          committedAtMs: atMs,
        };
        this.db
          .prepare(`UPDATE dsi_changesets SET status = 'committed', record = ? WHERE id = ?`)
          .run(JSON.stringify(next), id);
      }
    });
    mark.immediate();
  }

  async markChangesetRejected(id: string, reason: string, atMs: number): Promise<void> {
    const row = this.db
      .prepare(`SELECT record FROM dsi_changesets WHERE id = ? AND status = 'pending'`)
      .get(id) as { record: string } | undefined;
    if (!row) return;
    const next: ChangesetRecord = {
      ...(JSON.parse(row.record) as ChangesetRecord),
      status: 'rejected',
      rejectedReason: reason,
      rejectedAtMs: atMs,
    };
    this.db
      .prepare(
        `UPDATE dsi_changesets SET status = 'rejected', record = ? WHERE id = ? AND status = 'pending'`,
      )
      .run(JSON.stringify(next), id);
  }

  async acquireLease(
    table: string,
    holder: string,
    ttlMs: number,
    nowMs: number,
  ): Promise<Lease | undefined> {
    const take = this.db.transaction((): Lease | undefined => {
      const current = this.db
        .prepare('SELECT holder, token, expires_at_ms FROM dsi_leases WHERE table_key = ?')
        .get(table) as { holder: string; token: number; expires_at_ms: number } | undefined;
      // a holder that died on this host (kill -9) frees the table at once, not one time to live later
      if (current && current.expires_at_ms > nowMs && holderState(current.holder) !== 'dead')
        return undefined;
      const token = (current?.token ?? 0) + 1;
      const expiresAtMs = nowMs + ttlMs;
      this.db
        .prepare(
          `INSERT INTO dsi_leases (table_key, holder, token, expires_at_ms) VALUES (?, ?, ?, ?)
           ON CONFLICT (table_key) DO UPDATE SET holder = excluded.holder, token = excluded.token,
             expires_at_ms = excluded.expires_at_ms`,
        )
        .run(table, holder, token, expiresAtMs);
      return { table, holder, token, expiresAtMs };
    });
    return take.immediate();
  }

  async renewLease(lease: Lease, ttlMs: number, nowMs: number): Promise<Lease | undefined> {
    const expiresAtMs = nowMs + ttlMs;
    const result = this.db
      .prepare(
        `UPDATE dsi_leases SET expires_at_ms = ? WHERE table_key = ? AND token = ? AND holder = ?
         AND expires_at_ms > ?`,
      )
      .run(expiresAtMs, lease.table, lease.token, lease.holder, nowMs);
    return result.changes === 1 ? { ...lease, expiresAtMs } : undefined;
  }

  /** Why the table's last commit failed, kept until a commit succeeds (read by `status`). */
  recordTableFailure(table: string, reason: string, atMs: number): void {
    this.db
      .prepare(
        `INSERT INTO dsi_table_failures (table_key, reason, failed_at_ms) VALUES (?, ?, ?)
         ON CONFLICT (table_key) DO UPDATE SET reason = excluded.reason, failed_at_ms = excluded.failed_at_ms`,
      )
      .run(table, reason, atMs);
  }

  clearTableFailure(table: string): void {
    this.db.prepare('DELETE FROM dsi_table_failures WHERE table_key = ?').run(table);
  }

  listTableFailures(): Array<{ table: string; reason: string; failedAtMs: number }> {
    const rows = this.db
      .prepare('SELECT table_key, reason, failed_at_ms FROM dsi_table_failures ORDER BY table_key')
      .all() as { table_key: string; reason: string; failed_at_ms: number }[];
    return rows.map((row) => ({ table: row.table_key, reason: row.reason, failedAtMs: row.failed_at_ms }));
  }

  async releaseLease(lease: Lease): Promise<void> {
    // Expire it now rather than delete it, so the token keeps increasing across takes.
    this.db
      .prepare('UPDATE dsi_leases SET expires_at_ms = 0 WHERE table_key = ? AND token = ? AND holder = ?')
      .run(lease.table, lease.token, lease.holder);
  }
}
