// Compaction: bin-pack the small data files of each partition into files of about the target size, rows
// sorted by the primary key, written with the commits' own writer (same schema, spec, metrics, ZSTD
// Parquet), and commit every rewritten group as ONE snapshot with operation `replace` (the Iceberg name
// for a rewrite that changes no row) whose manifests are merged per partition spec (the snapshot
// producer's merge-per-spec), through the one commit loop (shared/table/commit-with-retry.ts). The
// commit asserts main did not move; when a commit landed meanwhile the plan is checked against the new
// base: if every input file is still live the same output is committed on it (the rows are the same),
// else the run gives up cleanly and deletes what it wrote.
//
// Position deletes (merge-on-read tables) are folded here: maintain is the folding job. Every data file
// with a delete file is a candidate whatever its size (a bin of one such file is rewritten too), its rows
// are read minus the deleted ones (shared/table/fold-deletes.ts), and the replace snapshot removes its
// file-scoped delete files with it. Folding every file with deletes, rather than those above a
// threshold, keeps the rule simple and leaves main without delete debt after each run; the commit's own
// folding (a bound on one file's debt) is what keeps the debt small between runs.

import { compareKey } from '../cow/keys.js';
import { deletedPositions } from '../iceberg/manifests/position-delete-index.js';
import type { TableMetadata } from '../iceberg/spec/metadata-types.js';
import type { DataFile } from '../iceberg/io/parquet-data-file.js';
import { currentSchema, defaultSpec } from '../iceberg/spec/metadata-access.js';
import { BoundPartitionSpec } from '../iceberg/spec/partitioning.js';
import type { Row } from '../iceberg/spec/values.js';
import type { Logger } from '../log.js';
import type { Catalog, TableIdentifier } from '../ports/catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import { CommitRetriesExhaustedError, commitWithRetry } from '../table/commit-with-retry.js';
import { writeDataFiles } from '../iceberg/data-file-writer.js';
import type { TableLease } from '../table/lease.js';
import { readLiveDataFiles, type LiveDataFile } from '../iceberg/table-files.js';
import { foldedDeleteFiles, readLiveRowsOfFile } from '../table/fold-deletes.js';
import { LEASE_TOKEN_SUMMARY_KEY, PRIMARY_KEY_PROPERTY } from '../iceberg/table-properties.js';
import { carriedNewestSourceTs } from '../iceberg/newest-source-ts.js';
import { TableTransaction } from '../table/transaction.js';

export interface CompactSettings {
  targetFileSizeBytes: number;
  smallFileFraction: number;
  minInputFiles: number;
  dryRun: boolean;
  maxAttempts: number;
}

/** Small files of one partition rewritten together into about one target-size file. */
export interface CompactionBin {
  partition: string;
  /** Live data files, each with the position delete files that apply to it. */
  files: LiveDataFile[];
  bytes: number;
}

/** One data file whose position deletes the compaction folds. */
export interface FoldedDataFile {
  path: string;
  /** Its delete files that leave the table with it (file-scoped). */
  deleteFiles: string[];
  /** Rows its deletes remove (distinct positions): they are not written again. */
  deletedRows: number;
}

export type CompactStatus = 'committed' | 'nothing-to-do' | 'planned' | 'gave-up';

export interface CompactResult {
  status: CompactStatus;
  reason?: string;
  liveFilesBefore: number;
  liveFilesAfter: number;
  bins: number;
  rewrittenFiles: number;
  rewrittenBytes: number;
  addedFiles: number;
  addedBytes: number;
  /** Rows written: the rewritten files' rows minus the deleted ones. */
  records: number;
  /** The data files with position deletes folded (the fold plan on a dry run). */
  folded: FoldedDataFile[];
  /** Rows the folded deletes removed, and delete files removed, over all `folded`. */
  deletedRows: number;
  removedDeleteFiles: number;
  snapshotId: string | null;
  attempts: number;
}

const hasDeletes = (file: LiveDataFile): boolean => file.deletes.length > 0;

/**
 * The bins to rewrite: per partition of the default spec, the files below the small-file threshold and
 * the files with position deletes (any size), oldest first, packed into bins of at most the target size.
 * A partition with fewer than `minInputFiles` candidates rewrites only its files with deletes; a bin of
 * one file without deletes is left alone (rewriting it gains nothing), one with deletes is folded.
 */
export function planCompaction(
  metadata: TableMetadata,
  live: readonly LiveDataFile[],
  settings: Pick<CompactSettings, 'targetFileSizeBytes' | 'smallFileFraction' | 'minInputFiles'>,
): CompactionBin[] {
  const spec = defaultSpec(metadata);
  const bound = new BoundPartitionSpec(spec, currentSchema(metadata));
  const threshold = settings.targetFileSizeBytes * settings.smallFileFraction;
  const groups = new Map<string, LiveDataFile[]>();
  for (const file of live) {
    // files of an older spec would be re-partitioned by the rewrite: left to a spec migration
    if (file.specId !== spec['spec-id']) continue;
    if (file.dataFile.fileSizeInBytes >= threshold && !hasDeletes(file)) continue;
    const key = bound.keyOf(file.dataFile.partition);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(file);
  }
  const bins: CompactionBin[] = [];
  for (const [partition, candidates] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const files = candidates.length >= settings.minInputFiles ? candidates : candidates.filter(hasDeletes);
    if (files.length === 0) continue;
    files.sort((a, b) => {
      const d = BigInt(a.sequenceNumber) - BigInt(b.sequenceNumber);
      return d < 0n ? -1 : d > 0n ? 1 : 0;
    });
    let bin: CompactionBin = { partition, files: [], bytes: 0 };
    const close = (): void => {
      if (bin.files.length >= 2 || bin.files.some(hasDeletes)) bins.push(bin);
      bin = { partition, files: [], bytes: 0 };
    };
    for (const file of files) {
      if (bin.files.length > 0 && bin.bytes + file.dataFile.fileSizeInBytes > settings.targetFileSizeBytes)
        close();
      bin.files.push(file);
      bin.bytes += file.dataFile.fileSizeInBytes;
    }
    close();
  }
  return bins;
}

/**
 * Rows of a bin's files in the current schema minus the rows their position deletes remove, sorted by
 * the primary key (kept in order without one).
 */
async function readBinRows(
  metadata: TableMetadata,
  objects: ObjectStore,
  bin: CompactionBin,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const file of bin.files) {
    for (const row of (await readLiveRowsOfFile(metadata, objects, file)).rows) rows.push(row);
  }
  const keys = (metadata.properties?.[PRIMARY_KEY_PROPERTY] ?? '').split(',').filter(Boolean);
  if (keys.length > 0) {
    const keyOf = (row: Row) => keys.map((k) => row[k] ?? null);
    rows.sort((a, b) => compareKey(keyOf(a), keyOf(b)));
  }
  return rows;
}

export async function compactTable(
  deps: { catalog: Catalog; objects: ObjectStore; log: Logger },
  table: TableIdentifier,
  lease: TableLease | undefined,
  settings: CompactSettings,
): Promise<CompactResult> {
  let loaded = await deps.catalog.loadTable(table);
  const live = await readLiveDataFiles(loaded.metadata, deps.objects);
  const bins = planCompaction(loaded.metadata, live, settings);
  const inputFiles = bins.flatMap((b) => b.files);
  const inputs = inputFiles.map((f) => f.dataFile);
  // the fold plan: the delete files read now (small), so a dry run reports the rows they remove
  const folded: FoldedDataFile[] = [];
  for (const file of inputFiles.filter(hasDeletes)) {
    const deleted = await deletedPositions(file, file.deletes, (p) => deps.objects.get(p));
    folded.push({
      path: file.dataFile.filePath,
      deleteFiles: foldedDeleteFiles(file),
      deletedRows: deleted.size,
    });
  }
  const deletedRows = folded.reduce((a, f) => a + f.deletedRows, 0);
  const removedDeletes = folded.flatMap((f) => f.deleteFiles);
  const result: CompactResult = {
    status: bins.length === 0 ? 'nothing-to-do' : settings.dryRun ? 'planned' : 'committed',
    liveFilesBefore: live.length,
    liveFilesAfter: live.length,
    bins: bins.length,
    rewrittenFiles: inputs.length,
    rewrittenBytes: inputs.reduce((a, f) => a + f.fileSizeInBytes, 0),
    addedFiles: 0,
    addedBytes: 0,
    records: inputs.reduce((a, f) => a + f.recordCount, 0) - deletedRows,
    folded,
    deletedRows,
    removedDeleteFiles: removedDeletes.length,
    snapshotId: null,
    attempts: 0,
  };
  if (bins.length === 0 || settings.dryRun) return result;

  const added: DataFile[] = [];
  for (const bin of bins) {
    const rows = await readBinRows(loaded.metadata, deps.objects, bin);
    const perRow = bin.bytes / Math.max(1, rows.length);
    const maxRowsPerFile = Math.max(1, Math.floor(settings.targetFileSizeBytes / Math.max(1, perRow)));
    added.push(...(await writeDataFiles(loaded.metadata, deps.objects, rows, { maxRowsPerFile })));
    // a long rewrite must not outlive the lease unnoticed
    await lease?.renew();
  }
  const written = added.reduce((a, f) => a + f.recordCount, 0);
  if (written !== result.records)
    throw new Error(
      `compaction of ${table.name} wrote ${written} rows for ${result.records} read (${deletedRows} deleted)`,
    );
  result.addedFiles = added.length;
  result.addedBytes = added.reduce((a, f) => a + f.fileSizeInBytes, 0);
  const removed = inputs.map((f) => f.filePath);
  let baseLiveFiles = live.length;

  // after an unknown outcome a commit naming our files might still surface: then they are left to the
  // orphan pass (and its safety window) instead of being deleted here
  const giveUp = async (reason: string, unknownOutcome: boolean): Promise<CompactResult> => {
    // these files were never part of a committed snapshot: removing them now spares the orphan pass
    if (!unknownOutcome) for (const f of added) await deps.objects.delete(f.filePath);
    deps.log.warn('compaction: gave up', { reason });
    return { ...result, status: 'gave-up', reason, addedFiles: 0, addedBytes: 0 };
  };

  try {
    const outcome = await commitWithRetry<undefined, CompactResult>(
      deps.catalog,
      lease,
      async ({ attempt, unknownOutcome }) => {
        if (attempt > 1) {
          // another commit landed: the same output stays right only if every input file is still live
          // with the same delete files (a delete added meanwhile would be lost with its data file)
          loaded = await deps.catalog.loadTable(table);
          const newLive = await readLiveDataFiles(loaded.metadata, deps.objects);
          baseLiveFiles = newLive.length;
          const deletesOf = (f: LiveDataFile): string =>
            f.deletes
              .map((d) => d.dataFile.filePath)
              .sort()
              .join('\n');
          const stillLive = new Map(newLive.map((f) => [f.dataFile.filePath, deletesOf(f)]));
          const changed = inputFiles.filter((f) => stillLive.get(f.dataFile.filePath) !== deletesOf(f));
          if (changed.length > 0)
            return {
              done: await giveUp(
                `${changed.length} input files were rewritten, or got delete files, by a commit that landed meanwhile`,
                unknownOutcome,
              ),
            };
          deps.log.warn('compaction: committing again on the new base', { attempt });
        }
        result.attempts = attempt;
        const tx = new TableTransaction(table, loaded.metadata, deps.objects);
        await tx.addSnapshot(
          {
            added,
            removed,
            removedDeletes,
            summary: {
              ...carriedNewestSourceTs(loaded.metadata),
              ...(lease ? { [LEASE_TOKEN_SUMMARY_KEY]: String(lease.token) } : {}),
            },
          },
          'merge-per-spec',
        );
        return { transaction: tx, value: undefined };
      },
      { maxAttempts: settings.maxAttempts, log: deps.log, objects: deps.objects },
    );
    if (outcome.status === 'done') return outcome.value;
    result.snapshotId = String(outcome.transaction.snapshot!.snapshot['snapshot-id']);
    result.liveFilesAfter = baseLiveFiles - removed.length + added.length;
    deps.log.info('compaction: committed', {
      snapshotId: result.snapshotId,
      rewritten: removed.length,
      added: added.length,
      foldedDeleteFiles: removedDeletes.length,
      deletedRows,
      attempts: outcome.attempts,
    });
    return result;
  } catch (error) {
    if (!(error instanceof CommitRetriesExhaustedError)) throw error;
    return giveUp(`commit conflicts in ${error.attempts} attempts`, error.unknownOutcome);
  }
}
