// maintainTable: one maintenance run on one table, under the table's lease (the same lease commitTable
// takes, so it never races a commit): compact small files, then expire snapshots, then remove orphan
// files — in that order, so the files compaction replaced become expirable and what expiry leaves
// unreferenced is not mistaken for work in flight. A dry run takes no lease and changes nothing.

import { randomUUID } from 'node:crypto';
import { recordedChangesets } from '../cow/recorded-changesets.js';
import { currentSnapshot } from '../iceberg/spec/snapshot.js';
import type { TableMetadata } from '../iceberg/spec/metadata-types.js';
import type { Logger } from '../log.js';
import { tableIdentifier } from '../table/table-identifier.js';
import type { Catalog } from '../ports/catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { StateStore } from '../ports/state-store.js';
import { compactTable, type CompactResult } from './compact.js';
import { expireSnapshots, type ExpireResult } from './expire-snapshots.js';
import { LeaseLostError, TableLease } from '../table/lease.js';
import { resolveOptions, type MaintenanceOptions } from './options.js';
import { listTableFiles, removeOrphans, type OrphanResult } from './remove-orphans.js';

export interface MaintenanceDependencies {
  catalog: Catalog;
  objects: ObjectStore;
  state: StateStore;
  log: Logger;
  /** Who runs (stored in the lease); default a random id per call. */
  holder?: string;
  now?: () => number;
}

export interface FileCount {
  files: number;
  bytes: number;
}

export interface MaintenanceReport {
  table: string;
  dryRun: boolean;
  /** Live data files of main. */
  liveDataFiles: { before: number; after: number };
  /** Everything under the table's data/ and metadata/ folders. */
  tableFiles: { before: FileCount; after: FileCount };
  /** Change-sets the table records but the state store still had pending, marked before expiry. */
  markedChangesets?: string[];
  compaction?: CompactResult;
  expire?: ExpireResult;
  orphans?: OrphanResult;
  durationMs: { compaction?: number; expire?: number; orphans?: number; total: number };
}

export type MaintenanceResult =
  | ({ status: 'done' } & MaintenanceReport)
  | { status: 'lease-busy'; table: string }
  | { status: 'lease-lost'; table: string; reason: string };

const MAX_PENDING_CHECKED = 100_000;

function liveDataFiles(metadata: TableMetadata): number {
  return Number(currentSnapshot(metadata)?.summary['total-data-files'] ?? 0);
}

async function countFiles(objects: ObjectStore, location: string): Promise<FileCount> {
  const files = await listTableFiles(objects, location);
  return { files: files.length, bytes: files.reduce((a, f) => a + f.size, 0) };
}

/**
 * A commit run that died after its catalog commit and before marking leaves change-sets pending that only
 * the snapshot summaries record (the next commit run skips them by reading those summaries). Expiring
 * those snapshots would erase the record and let the change-sets apply twice, so they are marked
 * committed first, as the next commit run would mark them.
 */
async function markRecordedChangesets(
  deps: MaintenanceDependencies,
  table: string,
  nowMs: number,
): Promise<string[]> {
  const pending = await deps.state.listPendingChangesets(table, MAX_PENDING_CHECKED);
  if (pending.length === 0) return [];
  const { metadata } = await deps.catalog.loadTable(tableIdentifier(table));
  const recorded = recordedChangesets(metadata, Number.MAX_SAFE_INTEGER);
  const marked: string[] = [];
  for (const record of pending) {
    const snapshotId = recorded.get(record.id);
    if (snapshotId === undefined) continue;
    await deps.state.markChangesetsCommitted([record.id], snapshotId, nowMs);
    marked.push(record.id);
  }
  if (marked.length > 0)
    deps.log.info('maintenance: change-sets the table records marked committed', { marked });
  return marked;
}

export async function maintainTable(
  deps: MaintenanceDependencies,
  table: string,
  options: MaintenanceOptions = {},
): Promise<MaintenanceResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  const id = tableIdentifier(table);
  const log = deps.log.with({ table, task: 'maintain' });
  const first = await deps.catalog.loadTable(id);
  const o = resolveOptions(options, first.metadata);

  let lease: TableLease | undefined;
  if (!o.dryRun) {
    lease = await TableLease.take(deps.state, table, deps.holder ?? randomUUID(), {
      ttlMs: o.leaseTtlMs,
      minLeftMs: o.minLeaseLeftMs,
      now,
      waitMs: o.waitForLeaseMs,
    });
    if (!lease) {
      log.info('maintenance: lease held by another run');
      return { status: 'lease-busy', table };
    }
  }
  try {
    // the lease is ours from here: read the table again, a commit may have landed before we took it
    const before = await deps.catalog.loadTable(id);
    const report: MaintenanceReport = {
      table,
      dryRun: o.dryRun,
      liveDataFiles: { before: liveDataFiles(before.metadata), after: 0 },
      tableFiles: {
        before: await countFiles(deps.objects, before.metadata.location),
        after: { files: 0, bytes: 0 },
      },
      durationMs: { total: 0 },
    };
    const phaseDeps = { catalog: deps.catalog, objects: deps.objects, log };
    if (o.compact) {
      const t = now();
      report.compaction = await compactTable(phaseDeps, id, lease, {
        targetFileSizeBytes: o.targetFileSizeBytes,
        smallFileFraction: o.smallFileFraction,
        minInputFiles: o.minInputFiles,
        dryRun: o.dryRun,
        maxAttempts: o.maxAttempts,
      });
      report.durationMs.compaction = now() - t;
    }
    if (o.expire) {
      const t = now();
      if (!o.dryRun) report.markedChangesets = await markRecordedChangesets(deps, table, now());
      report.expire = await expireSnapshots(phaseDeps, id, lease, {
        olderThanMs: o.expireOlderThanMs,
        retainLast: o.retainLast,
        dryRun: o.dryRun,
        maxAttempts: o.maxAttempts,
        nowMs: now(),
      });
      report.durationMs.expire = now() - t;
    }
    if (o.removeOrphans) {
      const t = now();
      await lease?.renew();
      report.orphans = await removeOrphans(deps, await deps.catalog.loadTable(id), {
        olderThanMs: o.orphansOlderThanMs,
        dryRun: o.dryRun,
        nowMs: now(),
      });
      report.durationMs.orphans = now() - t;
    }
    const after = await deps.catalog.loadTable(id);
    report.liveDataFiles.after = liveDataFiles(after.metadata);
    report.tableFiles.after = await countFiles(deps.objects, after.metadata.location);
    report.durationMs.total = now() - started;
    log.info('maintenance: done', {
      liveDataFiles: report.liveDataFiles,
      tableFiles: report.tableFiles,
      durationMs: report.durationMs,
    });
    return { status: 'done', ...report };
  } catch (error) {
    if (error instanceof LeaseLostError) {
      log.warn('maintenance: lease lost, stopping before the next commit', { reason: error.message });
      return { status: 'lease-lost', table, reason: error.message };
    }
    throw error;
  } finally {
    await lease?.release();
  }
}
