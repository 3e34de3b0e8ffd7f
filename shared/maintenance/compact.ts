// Compaction: bin-pack the small data files of each partition into files of about the target size, rows
// sorted by the primary key, written with the commits' own writer (same schema, spec, metrics, ZSTD
// Parquet), and commit every rewritten group as ONE snapshot with operation `replace` (the Iceberg name
// for a rewrite that changes no row) whose manifests are merged per partition spec (the snapshot
// producer's merge-per-spec), through the one commit loop (shared/table/commit-with-retry.ts). The
// commit asserts main did not move; when a commit landed meanwhile the plan is checked against the new
// base: if every input file is still live the same output is committed on it (the rows are the same),
// else the run gives up cleanly and deletes what it wrote.

import { compareKey } from '../cow/keys.js';
import { conformRow, widenedFields } from '../cow/conform.js';
import { EntryStatus } from '../iceberg/manifests/manifest.js';
import type { Int64, TableMetadata } from '../iceberg/spec/metadata-types.js';
import { readRowsDataFile, type DataFile } from '../iceberg/io/parquet-data-file.js';
import { currentSchema, defaultSpec } from '../iceberg/spec/metadata-access.js';
import { BoundPartitionSpec } from '../iceberg/spec/partitioning.js';
import type { Row } from '../iceberg/spec/values.js';
import type { Logger } from '../log.js';
import type { Catalog, TableIdentifier } from '../ports/catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import { CommitRetriesExhaustedError, commitWithRetry } from '../table/commit-with-retry.js';
import { writeDataFiles } from '../iceberg/data-file-writer.js';
import type { TableLease } from '../table/lease.js';
import { readCurrentManifests, readManifestEntries } from '../iceberg/table-files.js';
import { LEASE_TOKEN_SUMMARY_KEY, PRIMARY_KEY_PROPERTY } from '../iceberg/table-properties.js';
import { TableTransaction } from '../table/transaction.js';

export interface CompactSettings {
  targetFileSizeBytes: number;
  smallFileFraction: number;
  minInputFiles: number;
  dryRun: boolean;
  maxAttempts: number;
}

/** A live data file with what planning needs: its spec and data sequence number. */
export interface PlannedFile {
  dataFile: DataFile;
  specId: number;
  sequenceNumber: Int64;
}

/** Small files of one partition rewritten together into about one target-size file. */
export interface CompactionBin {
  partition: string;
  files: PlannedFile[];
  bytes: number;
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
  records: number;
  snapshotId: string | null;
  attempts: number;
}

/** Every live data file of main with its spec id and data sequence number. */
export async function liveFilesWithSpec(
  metadata: TableMetadata,
  objects: ObjectStore,
): Promise<PlannedFile[]> {
  const out: PlannedFile[] = [];
  for (const manifest of await readCurrentManifests(metadata, objects)) {
    if (manifest.content !== 0)
      throw new Error(
        `${manifest.manifestPath}: delete manifests are not supported (copy-on-write tables only)`,
      );
    for (const entry of await readManifestEntries(objects, manifest)) {
      if (entry.status === EntryStatus.DELETED) continue;
      out.push({
        dataFile: entry.dataFile,
        specId: manifest.partitionSpecId,
        sequenceNumber: entry.sequenceNumber!,
      });
    }
  }
  return out;
}

/**
 * The bins to rewrite: per partition of the default spec, the files below the small-file threshold,
 * oldest first, packed into bins of at most the target size; a partition with fewer than
 * `minInputFiles` small files, and a bin of one file, are left alone (rewriting them gains nothing).
 */
export function planCompaction(
  metadata: TableMetadata,
  live: readonly PlannedFile[],
  settings: Pick<CompactSettings, 'targetFileSizeBytes' | 'smallFileFraction' | 'minInputFiles'>,
): CompactionBin[] {
  const spec = defaultSpec(metadata);
  const bound = new BoundPartitionSpec(spec, currentSchema(metadata));
  const threshold = settings.targetFileSizeBytes * settings.smallFileFraction;
  const groups = new Map<string, PlannedFile[]>();
  for (const file of live) {
    // files of an older spec would be re-partitioned by the rewrite: left to a spec migration
    if (file.specId !== spec['spec-id'] || file.dataFile.fileSizeInBytes >= threshold) continue;
    const key = bound.keyOf(file.dataFile.partition);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(file);
  }
  const bins: CompactionBin[] = [];
  for (const [partition, files] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (files.length < settings.minInputFiles) continue;
    files.sort((a, b) => {
      const d = BigInt(a.sequenceNumber) - BigInt(b.sequenceNumber);
      return d < 0n ? -1 : d > 0n ? 1 : 0;
    });
    let bin: CompactionBin = { partition, files: [], bytes: 0 };
    const close = (): void => {
      if (bin.files.length >= 2) bins.push(bin);
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

/** Rows of a bin's files in the current schema, sorted by the primary key (kept in order without one). */
async function readBinRows(
  metadata: TableMetadata,
  objects: ObjectStore,
  bin: CompactionBin,
): Promise<Row[]> {
  const schema = currentSchema(metadata);
  const longs = widenedFields(schema.fields);
  const rows: Row[] = [];
  for (const file of bin.files) {
    const path = file.dataFile.filePath;
    const read = readRowsDataFile(await objects.get(path), schema.fields, path);
    if (read.length !== file.dataFile.recordCount)
      throw new Error(
        `${path}: holds ${read.length} rows, its manifest entry says ${file.dataFile.recordCount}`,
      );
    for (const row of read) rows.push(longs.length > 0 ? conformRow(row, longs) : row);
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
  const live = await liveFilesWithSpec(loaded.metadata, deps.objects);
  const bins = planCompaction(loaded.metadata, live, settings);
  const inputs = bins.flatMap((b) => b.files.map((f) => f.dataFile));
  const result: CompactResult = {
    status: bins.length === 0 ? 'nothing-to-do' : settings.dryRun ? 'planned' : 'committed',
    liveFilesBefore: live.length,
    liveFilesAfter: live.length,
    bins: bins.length,
    rewrittenFiles: inputs.length,
    rewrittenBytes: inputs.reduce((a, f) => a + f.fileSizeInBytes, 0),
    addedFiles: 0,
    addedBytes: 0,
    records: inputs.reduce((a, f) => a + f.recordCount, 0),
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
    throw new Error(`compaction of ${table.name} wrote ${written} rows for ${result.records} read`);
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
          loaded = await deps.catalog.loadTable(table);
          const newLive = await liveFilesWithSpec(loaded.metadata, deps.objects);
          baseLiveFiles = newLive.length;
          const stillLive = new Set(newLive.map((f) => f.dataFile.filePath));
          const changed = removed.filter((p) => !stillLive.has(p));
          if (changed.length > 0)
            return {
              done: await giveUp(
                `${changed.length} input files were rewritten by a commit that landed meanwhile`,
                unknownOutcome,
              ),
            };
          deps.log.warn('compaction: committing again on the new base', { attempt });
        }
        result.attempts = attempt;
        const tx = new TableTransaction(table, loaded.metadata, deps.objects);
        await tx.addSnapshot(
          { added, removed, summary: lease ? { [LEASE_TOKEN_SUMMARY_KEY]: String(lease.token) } : {} },
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
      attempts: outcome.attempts,
    });
    return result;
  } catch (error) {
    if (!(error instanceof CommitRetriesExhaustedError)) throw error;
    return giveUp(`commit conflicts in ${error.attempts} attempts`, error.unknownOutcome);
  }
}
