// After a commit ended in an unknown state (5xx, timeout), reload the table and decide what happened,
// before anything else is done: never delete the files of a commit that may have landed.
//   landed      our snapshot is in the table (or main points at it, or a snapshot carries our changeset id)
//   not-landed  absent, and main still points at our base: the same commit can be sent again
//   moved       absent, and main moved on: handle as a conflict (rebuild on the new base)

import type { Catalog, TableIdentifier } from '../ports/catalog.js';
import type { Int64 } from '../iceberg/spec/metadata-types.js';
import { int64Equal } from '../iceberg/spec/metadata-json.js';
import { MAIN_BRANCH, refSnapshotId } from '../iceberg/spec/metadata-updates.js';

/** The snapshot summary key that carries the id of the change set a snapshot applied. */
export const CHANGESET_SUMMARY_KEY = 'cdc.batch-id';

export type UnknownCommitOutcome = 'landed' | 'not-landed' | 'moved';

export interface UnknownCommit {
  /** The id of the snapshot the commit added. */
  snapshotId: Int64;
  /** What main pointed at when the commit was built (null: the table had no snapshot). */
  baseSnapshotId: Int64 | null;
  /** Change set ids the commit recorded under CHANGESET_SUMMARY_KEY in its snapshot summary. */
  changesetIds?: string[];
}

export async function resolveUnknownCommit(
  catalog: Catalog,
  table: TableIdentifier,
  commit: UnknownCommit,
): Promise<UnknownCommitOutcome> {
  const { metadata } = await catalog.loadTable(table);
  const main = refSnapshotId(metadata, MAIN_BRANCH);
  const snapshots = metadata.snapshots ?? [];
  const changesets = new Set(commit.changesetIds ?? []);
  const landed =
    int64Equal(main, commit.snapshotId) ||
    snapshots.some(
      (snapshot) =>
        int64Equal(snapshot['snapshot-id'], commit.snapshotId) ||
        (changesets.size > 0 && changesets.has(snapshot.summary[CHANGESET_SUMMARY_KEY] ?? '')),
    );
  if (landed) return 'landed';
  // -1 is how Java writes "no snapshot"
  const base =
    commit.baseSnapshotId !== null && int64Equal(commit.baseSnapshotId, -1) ? null : commit.baseSnapshotId;
  return int64Equal(main ?? null, base) ? 'not-landed' : 'moved';
}
