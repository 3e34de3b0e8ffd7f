// commitTable: drain a table's pending change-sets into ONE copy-on-write snapshot, exactly once.
//   1. take the table's lease (its token goes into the snapshot summary; a zombie run is recognised);
//   2. list pending change-sets oldest first up to a budget (rows, bytes), skip those the table's recent
//      snapshots already record (a run that died after the catalog commit but before marking);
//   3. in one transaction on the table (created on first use): evolve the schema, merge + plan + write
//      files (shared/cow), add the snapshot;
//   4. commit it (shared/table/commit-with-retry.ts: conflicts redone from the new base, unknown
//      outcomes resolved from the table, never with less lease time left than minLeaseLeftMs);
//   5. mark the change-sets committed; release the lease.

import { randomUUID } from 'node:crypto';
import type { ChangeEvent } from '../changes/change-event.js';
import { applyBatch, type AppliedBatch, type ApplyCounts, type ApplyOptions } from '../cow/apply-batch.js';
import { SchemaEvolutionError } from '../iceberg/spec/schema.js';
import { TablePropertyError } from '../cow/write-mode-choice.js';
import type { Logger } from '../log.js';
import type { Catalog } from '../ports/catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { StateStore } from '../ports/state-store.js';
import { commitWithRetry, type Built } from '../table/commit-with-retry.js';
import { LeaseLostError, TableLease } from '../table/lease.js';
import { tableIdentifier } from '../table/table-identifier.js';
import {
  CHANGESETS_SUMMARY_KEY,
  LEASE_TOKEN_SUMMARY_KEY,
  NEWEST_SOURCE_TS_SUMMARY_KEY,
  TOMBSTONES_PROPERTY,
} from '../iceberg/table-properties.js';
import { TableTransaction } from '../table/transaction.js';
import { newestSourceTs, PendingChangesets } from './changeset-batch.js';
import { describePropertiesNotTaken, propertiesNotTaken } from './declared-properties.js';
import { evolveTable, LearntChangesetConflictError } from './evolve-table.js';
import { loadOrCreateTable, primaryKeysOf } from './load-or-create-table.js';
import type { TableDirectory } from './table-directory.js';

export interface CommitOptions extends ApplyOptions {
  /** Lease time to live (default 10 minutes). */
  leaseTtlMs?: number;
  /**
   * Renew the lease in the background this often while the run works (default off). A run that takes
   * longer than the lease's time to live then keeps its table instead of losing it to a retried task
   * and doing its work for nothing, while a crashed run's lease still ends one time to live later.
   */
  renewEveryMs?: number;
  /** Do not start a catalog commit with less lease time left than this (default 60 s). */
  minLeaseLeftMs?: number;
  /** Budget of one commit: change-sets, events and bytes (at least one change-set is always taken). */
  maxChangesets?: number;
  maxRows?: number;
  maxBytes?: number;
  /** Redo attempts after conflicts (409) or a commit found not to have landed (default 5). */
  maxAttempts?: number;
  /** How many snapshots of main are searched for change-sets already applied (default 100). */
  recentSnapshots?: number;
}

/** Test seams: each runs at one step of a run; throwing from one simulates a crash there. */
export interface CommitHooks {
  afterFilesWritten?(): Promise<void> | void;
  beforeCatalogCommit?(): Promise<void> | void;
  afterCatalogCommit?(): Promise<void> | void;
}

export interface CommitDependencies {
  catalog: Catalog;
  objects: ObjectStore;
  state: StateStore;
  log: Logger;
  /** Source column types for the table property pg-types when the table is created. */
  tables?: TableDirectory;
  /** Who runs (logged and stored in the lease); default a random id per call. */
  holder?: string;
  now?: () => number;
  options?: CommitOptions;
  hooks?: CommitHooks;
}

export type CommitResult =
  | {
      status: 'committed';
      table: string;
      snapshotId: string;
      operation: 'append' | 'overwrite';
      changesets: string[];
      /** Change-sets found already applied by the table and only marked. */
      alreadyApplied: string[];
      counts: ApplyCounts;
      attempts: number;
    }
  | { status: 'nothing-to-do'; table: string; alreadyApplied: string[] }
  | { status: 'lease-busy'; table: string }
  | { status: 'lease-lost'; table: string; reason: string }
  | { status: 'failed'; table: string; reason: string };

const DEFAULTS = {
  leaseTtlMs: 10 * 60_000,
  renewEveryMs: 0,
  minLeaseLeftMs: 60_000,
  maxChangesets: 500,
  maxRows: 2_000_000,
  maxBytes: 512 * 1024 * 1024,
  maxAttempts: 5,
  recentSnapshots: 100,
};

type Options = typeof DEFAULTS & CommitOptions;

export async function commitTable(deps: CommitDependencies, table: string): Promise<CommitResult> {
  const now = deps.now ?? Date.now;
  const options: Options = { ...DEFAULTS, ...deps.options };
  const holder = deps.holder ?? randomUUID();
  const log = deps.log.with({ table, holder });
  const lease = await TableLease.take(deps.state, table, holder, {
    ttlMs: options.leaseTtlMs,
    minLeftMs: options.minLeaseLeftMs,
    renewEveryMs: options.renewEveryMs,
    now,
    log,
    waitMs: 0,
  });
  if (!lease) {
    log.info('lease held by another run');
    return { status: 'lease-busy', table };
  }
  try {
    for (;;) {
      try {
        return await run(deps, table, lease, log, options);
      } catch (error) {
        if (!(error instanceof LearntChangesetConflictError)) throw error;
        // each pass takes one change-set out of the pending ones, so the loop ends
        await rejectChangeset(deps, error, log);
      }
    }
  } catch (error) {
    if (error instanceof LeaseLostError) {
      log.warn('lease lost: stopping before the commit', { reason: error.message });
      return { status: 'lease-lost', table, reason: error.message };
    }
    if (error instanceof TablePropertyError) {
      log.error('table failed: a table property has a value the engine cannot use', {
        reason: error.message,
      });
      return { status: 'failed', table, reason: error.message };
    }
    if (error instanceof SchemaEvolutionError) {
      log.error('table failed: schema change cannot be applied', { reason: error.message });
      return { status: 'failed', table, reason: error.message };
    }
    throw error;
  } finally {
    await lease.release();
  }
}

/**
 * The file of a change-set the table cannot take fails with the reason (naming file, line, column and both
 * types), then the change-set leaves the pending ones: a crash between the two leaves it pending, and the
 * next commit rejects it again.
 */
async function rejectChangeset(
  deps: CommitDependencies,
  error: LearntChangesetConflictError,
  log: Logger,
): Promise<void> {
  const nowMs = (deps.now ?? Date.now)();
  const { id, fileId } = error.changeset;
  log.error('change-set rejected: its file does not fit the table', {
    changeset: id,
    fileId,
    reason: error.message,
  });
  await deps.state.updateFile(fileId, { status: 'failed', reason: error.message, updatedAtMs: nowMs });
  await deps.state.markChangesetRejected(id, error.message, nowMs);
}

/** What one attempt applied: the change-sets and the merge's outcome. */
interface Applied {
  ids: string[];
  result: AppliedBatch;
}

async function run(
  deps: CommitDependencies,
  table: string,
  lease: TableLease,
  log: Logger,
  options: Options,
): Promise<CommitResult> {
  const now = deps.now ?? Date.now;
  const startedMs = now();
  const records = await deps.state.listPendingChangesets(table, options.maxChangesets);
  if (records.length === 0) return { status: 'nothing-to-do', table, alreadyApplied: [] };
  const pending = new PendingChangesets({ ...deps, log, now }, records);
  const outcome = await commitWithRetry<Applied, undefined>(
    deps.catalog,
    lease,
    () => buildCommit(deps, table, pending, lease, log, options),
    {
      maxAttempts: options.maxAttempts,
      log,
      objects: deps.objects,
      ...(deps.hooks ? { hooks: deps.hooks } : {}),
    },
  );
  const alreadyApplied = pending.alreadyApplied;
  if (outcome.status === 'done') return { status: 'nothing-to-do', table, alreadyApplied };

  const { ids, result } = outcome.value;
  const snapshot = outcome.transaction.snapshot!.snapshot;
  const snapshotId = String(snapshot['snapshot-id']);
  await deps.state.markChangesetsCommitted(ids, snapshotId, now());
  const operation = result.removed.length > 0 || result.addedDeletes.length > 0 ? 'overwrite' : 'append';
  const newestMs = snapshot.summary[NEWEST_SOURCE_TS_SUMMARY_KEY];
  log.info('committed', {
    snapshotId,
    operation,
    changesets: ids.length,
    ...result.counts,
    attempts: outcome.attempts,
    durationMs: now() - startedMs,
    // Freshness as an operator sees it: how far the table trails the newest change it now holds.
    ...(newestMs === undefined ? {} : { lagMs: now() - Number(newestMs) }),
    // Change-sets of this table still waiting after this commit (the backlog the dashboard shows).
    // The listing stops at maxChangesets, so at that size this is a lower bound.
    pendingChangesets: records.length - ids.length - alreadyApplied.length,
  });
  return {
    status: 'committed',
    table,
    snapshotId,
    operation,
    changesets: ids,
    alreadyApplied,
    counts: result.counts,
    attempts: outcome.attempts,
  };
}

/** One attempt on the table as it is now: budget, schema evolution, merge, and the snapshot. */
async function buildCommit(
  deps: CommitDependencies,
  table: string,
  pending: PendingChangesets,
  lease: TableLease,
  log: Logger,
  options: Options,
): Promise<Built<Applied, undefined>> {
  const id = tableIdentifier(table);
  const first = await pending.load(pending.pending[0]!);
  const current = await loadOrCreateTable(deps, id, first);
  const notTaken = propertiesNotTaken(
    deps.tables?.creationProperties?.(first.decoded.info.table),
    current.metadata.properties,
  );
  if (notTaken.length > 0)
    log.warn("table properties asked for are not the table's", {
      reason: describePropertiesNotTaken(table, notTaken),
    });
  const batch = await pending.batch(current.metadata, options);
  if (batch.length === 0) return { done: undefined };
  const tx = new TableTransaction(id, current.metadata, deps.objects);
  evolveTable(tx, batch, table, log);
  const primaryKeys = primaryKeysOf(current.metadata, batch[0]!.decoded.info.primaryKeys);
  const events: ChangeEvent[] = [];
  for (const cs of batch) for (const e of cs.decoded.events) events.push(e);
  // a long merge must not start on a lease about to run out
  await lease.renew();
  const result = await applyBatch(tx.metadata, deps.objects, primaryKeys, events, { ...options, table });
  await deps.hooks?.afterFilesWritten?.();
  const ids = batch.map((cs) => cs.record.id);
  await tx.addSnapshot({
    added: result.added,
    removed: result.removed,
    // merge-on-read: the position delete files written, and those of the data files rewritten/removed
    ...(result.addedDeletes.length > 0 ? { addedDeletes: result.addedDeletes } : {}),
    ...(result.removedDeletes.length > 0 ? { removedDeletes: result.removedDeletes } : {}),
    summary: {
      [CHANGESETS_SUMMARY_KEY]: ids.join(','),
      [LEASE_TOKEN_SUMMARY_KEY]: String(lease.token),
      ...newestSourceTs(
        current.metadata,
        batch.map((cs) => cs.record),
      ),
    },
  });
  if (result.tombstonesLocation) tx.setProperties({ [TOMBSTONES_PROPERTY]: result.tombstonesLocation });
  return { transaction: tx, value: { ids, result } };
}
