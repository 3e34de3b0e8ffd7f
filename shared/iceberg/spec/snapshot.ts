// Pure snapshot building: ids, the summary with Iceberg's standard keys, and the commit (requirements +
// updates) that adds the snapshot and moves `main` to it. No I/O here: the snapshot producer
// (shared/iceberg/snapshot-producer.ts) writes the files.

import { randomBytes } from 'node:crypto';
import type {
  Int64,
  Snapshot,
  SnapshotSummary,
  TableMetadata,
  TableRequirement,
  TableUpdate,
} from './metadata-types.js';

/**
 * A random positive snapshot id ≤ 2^53−1: within JSON's safe integers, so clients that parse ids as
 * doubles (many REST clients do) cannot corrupt ours; unique among the table's snapshots.
 */
export function newSnapshotId(metadata?: TableMetadata): number {
  const taken = new Set((metadata?.snapshots ?? []).map((s) => String(s['snapshot-id'])));
  for (;;) {
    const b = randomBytes(8);
    const id = Number(b.readBigUInt64BE() & ((1n << 53n) - 1n));
    if (id > 0 && !taken.has(String(id))) return id;
  }
}

export function currentSnapshot(metadata: TableMetadata): Snapshot | undefined {
  const id = metadata.refs?.main?.['snapshot-id'] ?? metadata['current-snapshot-id'];
  if (id === null || id === undefined || String(id) === '-1') return undefined;
  return metadata.snapshots?.find((s) => String(s['snapshot-id']) === String(id));
}

export function nextSequenceNumber(metadata: TableMetadata): Int64 {
  const last = metadata['last-sequence-number'];
  return typeof last === 'bigint' ? last + 1n : last + 1;
}

/** What a snapshot changes, in files and rows, for its summary. */
export interface SnapshotChanges {
  addedDataFiles: number;
  deletedDataFiles: number;
  addedRecords: number;
  deletedRecords: number;
  /** Position delete files (content 1) added and removed, and the positions (rows) they hold. */
  addedDeleteFiles: number;
  addedPositionDeletes: number;
  removedDeleteFiles: number;
  removedPositionDeletes: number;
  /** Data and delete files together, as Iceberg Java counts them. */
  addedFilesSize: number;
  removedFilesSize: number;
  changedPartitions: number;
}

export interface SnapshotTotals {
  dataFiles: number;
  records: number;
  deleteFiles: number;
  positionDeletes: number;
  equalityDeletes: number;
}

/**
 * The summary: operation, the change counts Java's SnapshotSummary writes (a count only when it is not
 * zero, as Java), totals (records, data files, delete files and position deletes from the manifest list, sizes carried from the parent summary when it has them), then extra keys.
 */
export function buildSummary(
  operation: SnapshotSummary['operation'],
  changes: SnapshotChanges,
  totals: SnapshotTotals,
  parent: Snapshot | undefined,
  extra: Record<string, string> = {},
): SnapshotSummary {
  const summary: SnapshotSummary = { operation };
  const put = (key: string, value: number): void => {
    if (value > 0) summary[key] = String(value);
  };
  put('added-data-files', changes.addedDataFiles);
  put('deleted-data-files', changes.deletedDataFiles);
  put('added-records', changes.addedRecords);
  put('deleted-records', changes.deletedRecords);
  // position deletes only (equality deletes are never written): Java's and PyIceberg's names
  put('added-delete-files', changes.addedDeleteFiles);
  put('added-position-delete-files', changes.addedDeleteFiles);
  put('added-position-deletes', changes.addedPositionDeletes);
  put('removed-delete-files', changes.removedDeleteFiles);
  put('removed-position-delete-files', changes.removedDeleteFiles);
  put('removed-position-deletes', changes.removedPositionDeletes);
  put('added-files-size', changes.addedFilesSize);
  put('removed-files-size', changes.removedFilesSize);
  summary['changed-partition-count'] = String(changes.changedPartitions);
  summary['total-records'] = String(totals.records);
  const parentSize = parent ? parent.summary['total-files-size'] : '0';
  if (parentSize !== undefined) {
    summary['total-files-size'] = String(
      Number(parentSize) + changes.addedFilesSize - changes.removedFilesSize,
    );
  }
  summary['total-data-files'] = String(totals.dataFiles);
  summary['total-delete-files'] = String(totals.deleteFiles);
  summary['total-position-deletes'] = String(totals.positionDeletes);
  summary['total-equality-deletes'] = String(totals.equalityDeletes);
  for (const [k, v] of Object.entries(extra)) {
    if (k === 'operation') throw new Error('the snapshot summary key "operation" is reserved');
    summary[k] = v;
  }
  return summary;
}

export interface SnapshotCommit {
  snapshot: Snapshot;
  requirements: TableRequirement[];
  updates: TableUpdate[];
}

/**
 * The commit of a new snapshot on `main`: the table must still be the same table, and `main` must still
 * point at the parent (optimistic concurrency: a concurrent writer makes the catalog refuse it).
 */
export function snapshotCommit(metadata: TableMetadata, snapshot: Snapshot): SnapshotCommit {
  const parent = currentSnapshot(metadata);
  return {
    snapshot,
    requirements: [
      { type: 'assert-table-uuid', uuid: metadata['table-uuid'] },
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent ? parent['snapshot-id'] : null },
    ],
    updates: [
      { action: 'add-snapshot', snapshot },
      {
        action: 'set-snapshot-ref',
        'ref-name': 'main',
        type: 'branch',
        'snapshot-id': snapshot['snapshot-id'],
      },
    ],
  };
}
