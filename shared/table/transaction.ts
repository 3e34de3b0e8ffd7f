// A TableTransaction gathers one writer's changes to one table on top of the metadata it loaded, and
// turns them into ONE catalog commit (requirements + updates). Every writer builds on it: a commit
// (schema evolution, properties, a snapshot of added and removed files), compaction (a replace
// snapshot), snapshot expiry (remove-snapshots). It also says how to tell, after an unknown commit
// state, whether the commit landed (resolve-unknown-commit.ts), and which files a refused commit leaves
// unreferenced. A merge-on-read writer adds its position delete files (`addedDeletes`, and
// `removedDeletes` when it folds them) through the same snapshot producer and commits them here the same
// way; a removed data file takes its file-scoped delete files with it (snapshot-producer.ts).

import type { Int64, TableMetadata, TableRequirement, TableUpdate } from '../iceberg/spec/metadata-types.js';
import { currentSchema } from '../iceberg/spec/metadata-access.js';
import { currentSnapshot } from '../iceberg/spec/snapshot.js';
import type { TableIdentifier } from '../ports/catalog.js';
import type { FileStore } from '../iceberg/file-store.js';
import type { UnknownCommit } from './resolve-unknown-commit.js';
import {
  produceSnapshot,
  type ExistingManifests,
  type SnapshotWriteInput,
  type WrittenSnapshot,
} from '../iceberg/snapshot-producer.js';

export class TableTransaction {
  private readonly requirements: TableRequirement[] = [];
  private readonly updates: TableUpdate[] = [];
  private working: TableMetadata;
  private written: WrittenSnapshot | undefined;
  private removedSnapshots: Int64[] = [];

  constructor(
    readonly table: TableIdentifier,
    /** The metadata the changes are built on; the commit asserts the table is still at it. */
    readonly base: TableMetadata,
    private readonly store: FileStore,
  ) {
    this.working = base;
  }

  /** The metadata as the changes so far leave it (an evolved schema is current). */
  get metadata(): TableMetadata {
    return this.working;
  }

  /** The snapshot this transaction adds, once addSnapshot was called. */
  get snapshot(): WrittenSnapshot | undefined {
    return this.written;
  }

  /** Make `evolved`'s current schema (built on this transaction's metadata) the table's schema. */
  setCurrentSchema(evolved: TableMetadata): this {
    const schema = currentSchema(evolved);
    this.updates.push(
      { action: 'add-schema', schema, 'last-column-id': evolved['last-column-id'] },
      { action: 'set-current-schema', 'schema-id': -1 },
    );
    this.working = evolved;
    return this;
  }

  setProperties(updates: Record<string, string>): this {
    this.updates.push({ action: 'set-properties', updates });
    return this;
  }

  /**
   * Write a snapshot of `input` on top of the base's main (its manifests and manifest list) and add it,
   * moving main to it. Its files were written with the base's schema: the commit asserts it is current.
   */
  async addSnapshot(input: SnapshotWriteInput, existing?: ExistingManifests): Promise<WrittenSnapshot> {
    if (this.written || this.removedSnapshots.length > 0)
      throw new Error(`table ${this.table.name}: one snapshot change per transaction`);
    const written = await produceSnapshot(this.working, this.store, input, existing);
    this.written = written;
    this.requirements.push(...written.requirements, {
      type: 'assert-current-schema-id',
      'current-schema-id': this.base['current-schema-id'],
    });
    this.updates.push(...written.updates);
    return written;
  }

  /** Remove snapshots from the table, asserting main did not move meanwhile. */
  removeSnapshots(ids: readonly Int64[]): this {
    if (this.written || this.removedSnapshots.length > 0)
      throw new Error(`table ${this.table.name}: one snapshot change per transaction`);
    this.removedSnapshots = [...ids];
    this.requirements.push(
      { type: 'assert-table-uuid', uuid: this.base['table-uuid'] },
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': this.baseSnapshotId },
    );
    this.updates.push({ action: 'remove-snapshots', 'snapshot-ids': [...ids] });
    return this;
  }

  /** What main pointed at when the changes were built (null: no snapshot). */
  get baseSnapshotId(): Int64 | null {
    return currentSnapshot(this.base)?.['snapshot-id'] ?? null;
  }

  /** The catalog commit. */
  request(): { requirements: TableRequirement[]; updates: TableUpdate[] } {
    return { requirements: [...this.requirements], updates: [...this.updates] };
  }

  /** How to recognise this commit in the table after its outcome was unknown. */
  identity(): UnknownCommit {
    return {
      baseSnapshotId: this.baseSnapshotId,
      ...(this.written ? { snapshotId: this.written.snapshot['snapshot-id'] } : {}),
      ...(this.removedSnapshots.length > 0 ? { removedSnapshotIds: this.removedSnapshots } : {}),
    };
  }

  /**
   * Files only this commit references (its manifests and manifest list): garbage once it is refused.
   * The data and delete files of its input were written by the caller, who removes them too.
   */
  get writtenFiles(): readonly string[] {
    return this.written?.writtenFiles ?? [];
  }
}
