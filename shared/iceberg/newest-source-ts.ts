// The newest source timestamp a table has applied, as its snapshots carry it (NEWEST_SOURCE_TS_SUMMARY_KEY):
// from the current snapshot of main, else the nearest ancestor that has it. A snapshot written without it
// (a compaction or another engine's commit changes no source row) then does not make the lag unknown.

import type { TableMetadata } from './spec/metadata-types.js';
import { currentSnapshot } from './spec/snapshot.js';
import { NEWEST_SOURCE_TS_SUMMARY_KEY } from './table-properties.js';

/** Ms since the epoch as text, or undefined when no snapshot of main's history still kept records it. */
export function newestSourceTsOf(metadata: TableMetadata): string | undefined {
  const byId = new Map((metadata.snapshots ?? []).map((s) => [String(s['snapshot-id']), s]));
  const seen = new Set<string>();
  for (let snapshot = currentSnapshot(metadata); snapshot !== undefined;) {
    const newest = snapshot.summary[NEWEST_SOURCE_TS_SUMMARY_KEY];
    if (newest !== undefined) return newest;
    seen.add(String(snapshot['snapshot-id']));
    const parent = snapshot['parent-snapshot-id'];
    if (parent === undefined || parent === null || seen.has(String(parent))) return undefined;
    snapshot = byId.get(String(parent));
  }
  return undefined;
}

/** The summary entry that carries it into a snapshot that applies no source change (a compaction). */
export function carriedNewestSourceTs(metadata: TableMetadata): Record<string, string> {
  const newest = newestSourceTsOf(metadata);
  return newest === undefined ? {} : { [NEWEST_SOURCE_TS_SUMMARY_KEY]: newest };
}
