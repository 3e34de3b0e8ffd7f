// The change-sets one commit applies: the pending ones oldest first, those the table's recent snapshots
// already record marked committed and skipped (a run that died after the catalog commit but before
// marking), the rest taken up to a budget of events and bytes (at least one change-set).

import { decodeChangeSet, type DecodedChangeSet } from '../changes/change-set.js';
import { recordedChangesets } from '../cow/recorded-changesets.js';
import type { TableMetadata } from '../iceberg/spec/metadata-types.js';
import type { Logger } from '../log.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { ChangesetRecord, StateStore } from '../ports/state-store.js';
import { NEWEST_SOURCE_TS_SUMMARY_KEY } from '../iceberg/table-properties.js';
import { newestSourceTsOf } from '../iceberg/newest-source-ts.js';

export interface LoadedChangeset {
  record: ChangesetRecord;
  decoded: DecodedChangeSet;
}

export interface BatchBudget {
  maxRows: number;
  maxBytes: number;
  /** How many snapshots of main are searched for change-sets already applied. */
  recentSnapshots: number;
}

/** A run's pending change-sets, each downloaded and decoded at most once however often the run redoes. */
export class PendingChangesets {
  private readonly loaded = new Map<string, LoadedChangeset>();
  /** Change-sets found already applied by the table and only marked. */
  readonly alreadyApplied: string[] = [];

  constructor(
    private readonly deps: { objects: ObjectStore; state: StateStore; log: Logger; now: () => number },
    readonly pending: readonly ChangesetRecord[],
  ) {}

  async load(record: ChangesetRecord): Promise<LoadedChangeset> {
    let hit = this.loaded.get(record.id);
    if (!hit) {
      hit = { record, decoded: decodeChangeSet(await this.deps.objects.get(record.location)) };
      this.loaded.set(record.id, hit);
    }
    return hit;
  }

  /** Mark what the table already records, then take the budget of the rest (empty: nothing to do). */
  async batch(metadata: TableMetadata, budget: BatchBudget): Promise<LoadedChangeset[]> {
    const recorded = recordedChangesets(metadata, budget.recentSnapshots);
    const applied = this.pending.filter((r) => recorded.has(r.id) && !this.alreadyApplied.includes(r.id));
    for (const r of applied) {
      await this.deps.state.markChangesetsCommitted([r.id], recorded.get(r.id)!, this.deps.now());
      this.alreadyApplied.push(r.id);
    }
    if (applied.length > 0)
      this.deps.log.info('change-sets already in the table, marked', { ids: applied.map((r) => r.id) });
    const batch: LoadedChangeset[] = [];
    let rows = 0;
    let bytes = 0;
    for (const record of this.pending) {
      if (recorded.has(record.id)) continue;
      // the budget is checked on the record and the object size, before anything is downloaded
      const size = (await this.deps.objects.stat(record.location))?.size ?? 0;
      const over = rows + record.eventCount > budget.maxRows || bytes + size > budget.maxBytes;
      if (batch.length > 0 && over) break;
      batch.push(await this.load(record));
      rows += record.eventCount;
      bytes += size;
    }
    return batch;
  }
}

/** The newest source timestamp applied so far: the base's (through a compaction), raised by the batch's change-sets. */
export function newestSourceTs(
  base: TableMetadata,
  batch: readonly ChangesetRecord[],
): Record<string, string> {
  const previous = newestSourceTsOf(base);
  let newest = previous === undefined ? undefined : BigInt(previous);
  for (const record of batch) {
    const ms = record.maxOrder.split('/')[0];
    if (ms && (newest === undefined || BigInt(ms) > newest)) newest = BigInt(ms);
  }
  return newest === undefined ? {} : { [NEWEST_SOURCE_TS_SUMMARY_KEY]: newest.toString() };
}
