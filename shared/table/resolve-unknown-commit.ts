// After a commit ended in an unknown state (5xx, timeout), reload the table and decide what happened,
// before anything else is done: never delete the files of a commit that may have landed.
//   landed      our snapshot is in the table (or main points at it); for a commit that only removes
//               snapshots, none of them is left
//   not-landed  absent, and main still points at our base: the same commit can be sent again
//   moved       absent, and main moved on: handle as a conflict (rebuild on the new base)
// A commit run that redoes finds change-sets an earlier attempt applied from the snapshot summaries
// (cow/recorded-changesets.ts), so they are never applied twice.

import type { Catalog, TableIdentifier } from '../ports/catalog.js';
import type { Int64 } from '../iceberg/spec/metadata-types.js';
import { int64Equal } from '../iceberg/spec/metadata-json.js';
import { MAIN_BRANCH, refSnapshotId } from '../iceberg/spec/metadata-updates.js';

export type UnknownCommitOutcome = 'landed' | 'not-landed' | 'moved';

export interface UnknownCommit {
  /** The id of the snapshot the commit added. */
  snapshotId?: Int64;
  /** The ids of the snapshots the commit removed (snapshot expiry). */
  removedSnapshotIds?: readonly Int64[];
  /** What main pointed at when the commit was built (null: the table had no snapshot). */
  baseSnapshotId: Int64 | null;
}

export async function resolveUnknownCommit(
  catalog: Catalog,
  table: TableIdentifier,
  commit: UnknownCommit,
): Promise<UnknownCommitOutcome> {
  const { metadata } = await catalog.loadTable(table);
  const main = refSnapshotId(metadata, MAIN_BRANCH);
  const snapshots = metadata.snapshots ?? [];
  const has = (id: Int64) => snapshots.some((snapshot) => int64Equal(snapshot['snapshot-id'], id));
  const { snapshotId, removedSnapshotIds: removed = [] } = commit;
  const landed =
    snapshotId !== undefined
      ? int64Equal(main, snapshotId) || has(snapshotId)
      : removed.length > 0 && !removed.some(has);
  if (landed) return 'landed';
  // -1 is how Java writes "no snapshot"
  const base =
    commit.baseSnapshotId !== null && int64Equal(commit.baseSnapshotId, -1) ? null : commit.baseSnapshotId;
  return int64Equal(main ?? null, base) ? 'not-landed' : 'moved';
}
