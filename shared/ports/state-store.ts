// Pipeline state: which source files were seen (create-only records make ingest idempotent per
// bucket/name#generation), which change-sets wait for each table, and the per-table lease that makes one
// commit run the single writer. Firestore in the cloud, SQLite on the embedded defaults. The Iceberg table
// stays the truth for "was this change-set applied" (its snapshot summaries); these records are the fast path.

export type FileStatus = 'processing' | 'staged' | 'failed' | 'ignored';

export interface FileRecord {
  /** Hash of bucket/name#generation. */
  fileId: string;
  /** Full location of the source object, e.g. gs://bucket/prefix/public_products/…jsonl */
  location: string;
  /** The bucket and object name the file id is made of, so a file left 'processing' can be taken up. */
  bucket?: string;
  name?: string;
  generation: string;
  status: FileStatus;
  /** Why the file failed: names the object, line, column and value. */
  reason?: string;
  /**
   * Who processes (then staged) the file, where the runtime can tell a live holder from a dead one (the
   * embedded defaults: host, pid and a random id): a live one's 'processing' file is left to it.
   */
  holder?: string;
  changesetIds: string[];
  /** Events read per table (table key → count). */
  eventCounts: Record<string, number>;
  createdAtMs: number;
  updatedAtMs: number;
}

/**
 * rejected: types learnt from its own file that the table cannot take (the file is failed with the reason;
 * ingesting the file again, fixed or against a table it now fits, stages it anew).
 */
export type ChangesetStatus = 'pending' | 'committed' | 'rejected';

export interface ChangesetRecord {
  id: string;
  /** Table key (shared/names/table-key.ts): `schema.table`, a part quoted as in PostgreSQL when needed. */
  table: string;
  fileId: string;
  /** Where the encoded change-set lives in the object store. */
  location: string;
  eventCount: number;
  /** Smallest and greatest order key in the change-set, as `ms/lsn` decimal strings. */
  minOrder: string;
  maxOrder: string;
  status: ChangesetStatus;
  createdAtMs: number;
  committedSnapshotId?: string;
  committedAtMs?: number;
  /** Why a rejected change-set was taken out of the pending ones. */
  rejectedReason?: string;
  rejectedAtMs?: number;
}

export interface Lease {
  table: string;
  holder: string;
  /** Increases on every take; a commit run carries it so a zombie can be recognised. */
  token: number;
  expiresAtMs: number;
}

export interface StateStore {
  /** Create-only: 'exists' (and the stored record) when the file was seen before. */
  createFile(record: FileRecord): Promise<{ created: true } | { created: false; existing: FileRecord }>;
  getFile(fileId: string): Promise<FileRecord | undefined>;
  updateFile(fileId: string, patch: Partial<Omit<FileRecord, 'fileId'>>): Promise<void>;
  listFiles(filter?: { status?: FileStatus; limit?: number }): Promise<FileRecord[]>;

  /** Idempotent: writing the same change-set again leaves one record (a committed one stays committed). */
  putChangeset(record: ChangesetRecord): Promise<void>;
  getChangeset(id: string): Promise<ChangesetRecord | undefined>;
  /** Pending change-sets of a table, oldest first. */
  listPendingChangesets(table: string, limit: number): Promise<ChangesetRecord[]>;
  markChangesetsCommitted(ids: string[], snapshotId: string, atMs: number): Promise<void>;
  /** Take a pending change-set out of the pending ones for good (a re-ingest of its file puts it back). */
  markChangesetRejected(id: string, reason: string, atMs: number): Promise<void>;

  /** Take the table's lease if it is free or expired (by time, checked here); the token increments. */
  acquireLease(table: string, holder: string, ttlMs: number, nowMs: number): Promise<Lease | undefined>;
  /** Extend a lease still held with the same token; undefined when it was lost. */
  renewLease(lease: Lease, ttlMs: number, nowMs: number): Promise<Lease | undefined>;
  releaseLease(lease: Lease): Promise<void>;
}
