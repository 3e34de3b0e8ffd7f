// Which change-sets the table already applied, read from the snapshot summaries along main's ancestry
// (the table is the truth; the state store's "committed" marker is only the fast path).

import { int64Equal } from '../iceberg/spec/metadata-json.js';
import type { Snapshot, TableMetadata } from '../iceberg/spec/metadata-types.js';
import { currentSnapshot } from '../iceberg/spec/snapshot.js';
import { CHANGESETS_SUMMARY_KEY } from '../iceberg/table-properties.js';

/** change-set id → id of the snapshot that applied it, over the newest `depth` snapshots of main. */
export function recordedChangesets(metadata: TableMetadata, depth: number): Map<string, string> {
  const out = new Map<string, string>();
  const snapshots = metadata.snapshots ?? [];
  let snapshot: Snapshot | undefined = currentSnapshot(metadata);
  for (let i = 0; snapshot && i < depth; i++) {
    for (const id of (snapshot.summary[CHANGESETS_SUMMARY_KEY] ?? '').split(',')) {
      if (id && !out.has(id)) out.set(id, String(snapshot['snapshot-id']));
    }
    const parent = snapshot['parent-snapshot-id'];
    snapshot =
      parent === undefined || parent === null
        ? undefined
        : snapshots.find((s) => int64Equal(s['snapshot-id'], parent));
  }
  return out;
}
