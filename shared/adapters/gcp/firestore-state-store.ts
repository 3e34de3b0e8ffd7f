// Pipeline state in Firestore. Files: create-only documents (ALREADY_EXISTS = seen before). Leases: one
// document per table, taken inside a transaction that checks the expiry by time (Firestore TTL deletion is
// lazy, so an expired lease document may still be there). Pending change-sets are queried by table and
// status ordered by creation time; that query needs the composite index the deploy script creates.

import { pathSegment } from '../../names/storage-path.js';
import { Firestore, Timestamp, type CollectionReference, type DocumentData } from '@google-cloud/firestore';
import type { ChangesetRecord, FileRecord, FileStatus, Lease, StateStore } from '../../ports/state-store.js';

const ALREADY_EXISTS = 6;

export interface FirestoreStateStoreOptions {
  firestore: Firestore;
  /** Prepended to every collection name, so several deployments (or tests) share one database. */
  collectionPrefix?: string;
  /**
   * How long file records and committed change-set records are kept (default 30 days): they get an
   * `expireAt` Timestamp, the field the deploy script's Firestore TTL policies delete by. Pending
   * change-sets and leases never get one, so nothing waiting to be applied can expire. Long enough that
   * any redelivery of a file (Eventarc retries for 24 hours) still finds its record.
   */
  retentionMs?: number;
}

/** The Timestamp field Firestore's TTL policies expire documents by (scripts/deploy.sh sets them). */
export const EXPIRE_AT_FIELD = 'expireAt';
export const DEFAULT_RETENTION_MS = 30 * 24 * 3600_000;

function isGrpcCode(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** Firestore rejects undefined values; records are plain JSON, so drop the undefined keys. */
function plain<T extends object>(value: T): DocumentData {
  return JSON.parse(JSON.stringify(value)) as DocumentData;
}

/** A stored document as the record it holds: the TTL field is storage detail, not part of the record. */
function record<T>(data: DocumentData | undefined): T {
  const { [EXPIRE_AT_FIELD]: _expireAt, ...rest } = data ?? {};
  return rest as T;
}

export class FirestoreStateStore implements StateStore {
  private readonly files: CollectionReference;
  private readonly changesets: CollectionReference;
  private readonly leases: CollectionReference;
  private readonly firestore: Firestore;
  private readonly retentionMs: number;

  constructor(options: FirestoreStateStoreOptions) {
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    const prefix = options.collectionPrefix ?? 'dsi_';
    this.firestore = options.firestore;
    this.files = this.firestore.collection(`${prefix}files`);
    this.changesets = this.firestore.collection(`${prefix}changesets`);
    this.leases = this.firestore.collection(`${prefix}leases`);
  }

  async createFile(
    record: FileRecord,
  ): Promise<{ created: true } | { created: false; existing: FileRecord }> {
    try {
      await this.files.doc(record.fileId).create({
        ...plain(record),
        [EXPIRE_AT_FIELD]: Timestamp.fromMillis(record.createdAtMs + this.retentionMs),
      });
      return { created: true };
    } catch (error) {
      if (!isGrpcCode(error, ALREADY_EXISTS)) throw error;
      const existing = await this.getFile(record.fileId);
      if (!existing) throw new Error(`file record ${record.fileId} vanished during create`, { cause: error });
      return { created: false, existing };
    }
  }

  async getFile(fileId: string): Promise<FileRecord | undefined> {
    const snapshot = await this.files.doc(fileId).get();
    return snapshot.exists ? record<FileRecord>(snapshot.data()) : undefined;
  }

  async updateFile(fileId: string, patch: Partial<Omit<FileRecord, 'fileId'>>): Promise<void> {
    await this.files.doc(fileId).update(plain(patch));
  }

  async listFiles(filter: { status?: FileStatus; limit?: number } = {}): Promise<FileRecord[]> {
    let query = filter.status
      ? this.files.where('status', '==', filter.status)
      : this.files.orderBy('createdAtMs');
    query = query.limit(filter.limit ?? 1000);
    const snapshot = await query.get();
    return snapshot.docs.map((doc) => record<FileRecord>(doc.data()));
  }

  async putChangeset(record: ChangesetRecord): Promise<void> {
    const ref = this.changesets.doc(record.id);
    await this.firestore.runTransaction(async (transaction) => {
      const current = await transaction.get(ref);
      // A committed change-set is never reset to pending by a re-delivered file.
      if (current.exists && (current.data() as ChangesetRecord).status === 'committed') return;
      transaction.set(ref, plain(record));
    });
  }

  async getChangeset(id: string): Promise<ChangesetRecord | undefined> {
    const snapshot = await this.changesets.doc(id).get();
    return snapshot.exists ? record<ChangesetRecord>(snapshot.data()) : undefined;
  }

  async listPendingChangesets(table: string, limit: number): Promise<ChangesetRecord[]> {
    const snapshot = await this.changesets
      .where('table', '==', table)
      .where('status', '==', 'pending')
      .orderBy('createdAtMs')
      .orderBy('id')
      .limit(limit)
      .get();
    return snapshot.docs.map((doc) => record<ChangesetRecord>(doc.data()));
  }

  async markChangesetRejected(id: string, reason: string, atMs: number): Promise<void> {
    const ref = this.changesets.doc(id);
    await this.firestore.runTransaction(async (transaction) => {
      const current = await transaction.get(ref);
      if (!current.exists || (current.data() as ChangesetRecord).status !== 'pending') return;
      transaction.set(
        ref,
        {
          status: 'rejected',
          rejectedReason: reason,
          rejectedAtMs: atMs,
          [EXPIRE_AT_FIELD]: Timestamp.fromMillis(atMs + this.retentionMs),
        },
        { merge: true },
      );
    });
  }

  async markChangesetsCommitted(ids: string[], snapshotId: string, atMs: number): Promise<void> {
    // Batches hold at most 500 writes.
    for (let start = 0; start < ids.length; start += 500) {
      const batch = this.firestore.batch();
      for (const id of ids.slice(start, start + 500)) {
        batch.set(
          this.changesets.doc(id),
          {
            status: 'committed',
            committedSnapshotId: snapshotId,
            committedAtMs: atMs,
            [EXPIRE_AT_FIELD]: Timestamp.fromMillis(atMs + this.retentionMs),
          },
          { merge: true },
        );
      }
      await batch.commit();
    }
  }

  async acquireLease(
    table: string,
    holder: string,
    ttlMs: number,
    nowMs: number,
  ): Promise<Lease | undefined> {
    const ref = this.leases.doc(leaseDocumentId(table));
    return this.firestore.runTransaction(async (transaction) => {
      const current = await transaction.get(ref);
      const data = current.exists ? (current.data() as Lease) : undefined;
      if (data && data.expiresAtMs > nowMs) return undefined;
      const lease: Lease = { table, holder, token: (data?.token ?? 0) + 1, expiresAtMs: nowMs + ttlMs };
      transaction.set(ref, plain(lease));
      return lease;
    });
  }

  async renewLease(lease: Lease, ttlMs: number, nowMs: number): Promise<Lease | undefined> {
    const ref = this.leases.doc(leaseDocumentId(lease.table));
    return this.firestore.runTransaction(async (transaction) => {
      const current = await transaction.get(ref);
      const data = current.exists ? (current.data() as Lease) : undefined;
      if (!data || data.token !== lease.token || data.holder !== lease.holder || data.expiresAtMs <= nowMs) {
        return undefined;
      }
      const renewed: Lease = { ...lease, expiresAtMs: nowMs + ttlMs };
      transaction.set(ref, plain(renewed));
      return renewed;
    });
  }

  async releaseLease(lease: Lease): Promise<void> {
    const ref = this.leases.doc(leaseDocumentId(lease.table));
    await this.firestore.runTransaction(async (transaction) => {
      const current = await transaction.get(ref);
      const data = current.exists ? (current.data() as Lease) : undefined;
      // Expire it rather than delete it, so the token keeps increasing across takes.
      if (data && data.token === lease.token && data.holder === lease.holder) {
        transaction.set(ref, plain({ ...data, expiresAtMs: 0 }));
      }
    });
  }
}

/**
 * The lease document of a table key. Firestore ids may not hold '/' nor match `__.*__`; such a key is
 * stored percent-encoded (shared/names/storage-path.ts) behind `~`. An encoded id holds no '.', and
 * every table key does, so the two forms never meet; plain keys keep their readable id.
 */
export function leaseDocumentId(table: string): string {
  return table.includes('/') || /^__.*__$/s.test(table) ? `~${pathSegment(table)}` : table;
}
