// Expire snapshots: drop from the table the snapshots older than the window, always keeping every ref's
// snapshot (main's current one among them) and main's newest `retainLast` ancestors; commit it with the
// catalog's `remove-snapshots` update, asserting main did not move (through the one commit loop,
// shared/table/commit-with-retry.ts: a conflict recomputes from the new metadata); then delete the files only expired
// snapshots reached. The files still needed are computed from ALL snapshots the committed table keeps,
// so a manifest or data file shared with a kept snapshot stays.

import type { Snapshot, TableMetadata } from '../iceberg/spec/metadata-types.js';
import { currentSnapshot } from '../iceberg/spec/snapshot.js';
import type { Logger } from '../log.js';
import type { Catalog, LoadedTable, TableIdentifier } from '../ports/catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import { commitWithRetry } from '../table/commit-with-retry.js';
import type { TableLease } from '../table/lease.js';
import { TableTransaction } from '../table/transaction.js';
import { filesOfSnapshots, ManifestReader, metadataFilesOf, type ReachableFiles } from './reachable.js';

export interface ExpireSettings {
  olderThanMs: number;
  retainLast: number;
  dryRun: boolean;
  maxAttempts: number;
  nowMs: number;
}

export interface ExpireResult {
  expiredSnapshots: string[];
  keptSnapshots: number;
  /**
   * Files reachable only from expired snapshots: deleted (or, on a dry run, to delete). `dataFiles`
   * holds the position delete files too (entries of delete manifests).
   */
  files: { manifestLists: string[]; manifests: string[]; dataFiles: string[] };
  deletedBytes: number;
  dryRun: boolean;
}

const id = (s: Snapshot): string => String(s['snapshot-id']);

/** The snapshots to expire: older than the window, not a ref's, not among main's newest `retainLast`. */
export function snapshotsToExpire(
  metadata: TableMetadata,
  settings: Pick<ExpireSettings, 'olderThanMs' | 'retainLast' | 'nowMs'>,
): Snapshot[] {
  const snapshots = metadata.snapshots ?? [];
  const byId = new Map(snapshots.map((s) => [id(s), s]));
  const keep = new Set<string>();
  for (const ref of Object.values(metadata.refs ?? {})) keep.add(String(ref['snapshot-id']));
  let cursor = currentSnapshot(metadata);
  for (let kept = 0; cursor && kept < settings.retainLast; kept++) {
    keep.add(id(cursor));
    const parent = cursor['parent-snapshot-id'];
    cursor = parent === undefined || parent === null ? undefined : byId.get(String(parent));
  }
  const cutoff = settings.nowMs - settings.olderThanMs;
  return snapshots.filter((s) => !keep.has(id(s)) && Number(s['timestamp-ms']) < cutoff);
}

function minus(from: Set<string>, ...live: Set<string>[]): string[] {
  return [...from].filter((f) => !live.some((set) => set.has(f))).sort();
}

function onlyExpired(expired: ReachableFiles, kept: ReachableFiles, metadataFiles: Set<string>) {
  // a path is compared against every kind of kept file: a file is needed whatever role it plays
  const keptAll = new Set([...kept.manifestLists, ...kept.manifests, ...kept.dataFiles, ...metadataFiles]);
  return {
    manifestLists: minus(expired.manifestLists, keptAll),
    manifests: minus(expired.manifests, keptAll),
    dataFiles: minus(expired.dataFiles, keptAll),
  };
}

/** What one attempt computed: the result so far and the table it was computed on. */
interface Computed {
  result: ExpireResult;
  loaded: LoadedTable;
}

export async function expireSnapshots(
  deps: { catalog: Catalog; objects: ObjectStore; log: Logger },
  table: TableIdentifier,
  lease: TableLease | undefined,
  settings: ExpireSettings,
): Promise<ExpireResult> {
  const reader = new ManifestReader(deps.objects);
  const emptyResult = (loaded: LoadedTable, expired: Snapshot[]): ExpireResult => ({
    expiredSnapshots: expired.map(id),
    keptSnapshots: (loaded.metadata.snapshots ?? []).length - expired.length,
    files: { manifestLists: [], manifests: [], dataFiles: [] },
    deletedBytes: 0,
    dryRun: settings.dryRun,
  });

  const outcome = await commitWithRetry<Computed, Computed>(
    deps.catalog,
    settings.dryRun ? undefined : lease,
    async () => {
      const loaded = await deps.catalog.loadTable(table);
      const expired = snapshotsToExpire(loaded.metadata, settings);
      if (expired.length === 0) return { done: { result: emptyResult(loaded, expired), loaded } };
      if (settings.dryRun) return { done: { result: emptyResult(loaded, expired), loaded } };
      const tx = new TableTransaction(table, loaded.metadata, deps.objects);
      tx.removeSnapshots(expired.map((s) => s['snapshot-id']));
      return { transaction: tx, value: { result: emptyResult(loaded, expired), loaded } };
    },
    { maxAttempts: settings.maxAttempts, log: deps.log, objects: deps.objects },
  );
  const { result, loaded } = outcome.value;
  if (result.expiredSnapshots.length === 0) return result;
  const expiredIds = new Set(result.expiredSnapshots);
  let after: LoadedTable;
  if (outcome.status === 'committed') after = outcome.table ?? (await deps.catalog.loadTable(table));
  else
    after = {
      ...loaded,
      metadata: {
        ...loaded.metadata,
        snapshots: (loaded.metadata.snapshots ?? []).filter((s) => !expiredIds.has(id(s))),
      },
    };

  // what the table keeps, from the metadata as committed (a snapshot the catalog kept stays live)
  const kept = await filesOfSnapshots(after.metadata.snapshots ?? [], reader);
  const gone = await filesOfSnapshots(
    (loaded.metadata.snapshots ?? []).filter((s) => expiredIds.has(id(s))),
    reader,
  );
  result.files = onlyExpired(gone, kept, metadataFilesOf(after));
  result.keptSnapshots = (after.metadata.snapshots ?? []).length;
  if (!settings.dryRun) {
    // data files first, then the manifests naming them, then the lists naming those: a run cut short
    // leaves files that are unreferenced (orphans), never references to missing files
    for (const path of [
      ...result.files.dataFiles,
      ...result.files.manifests,
      ...result.files.manifestLists,
    ]) {
      const info = await deps.objects.stat(path);
      if (!info) continue;
      result.deletedBytes += info.size;
      await deps.objects.delete(path);
    }
  }
  deps.log.info('expire: done', {
    expired: result.expiredSnapshots.length,
    kept: result.keptSnapshots,
    dataFiles: result.files.dataFiles.length,
    manifests: result.files.manifests.length,
    manifestLists: result.files.manifestLists.length,
    dryRun: settings.dryRun,
  });
  return result;
}
