// The one snapshot producer every writer commits through. A new snapshot on top of `main` is: one
// manifest of the files it adds, the base snapshot's other manifests carried forward (removed files
// DELETED, the others EXISTING), the manifest list, the summary with Iceberg's standard keys and totals,
// and the commit (requirements + updates) to send to the catalog. How the base's manifests are carried
// is the only difference between writers:
//   rewrite-touched  untouched manifests reused by path, each manifest holding a removed file rewritten,
//                    manifests left with no live file dropped (commits: append, overwrite);
//   merge-per-spec   every manifest merged into one per partition spec, so main keeps a handful of
//                    manifests however many small commits built it (compaction: replace).
// A writer of delete files would add a manifest of its own content (position deletes) next to the
// data manifest and carry the base's delete manifests the same way.

import { randomUUID } from 'node:crypto';
import { EntryStatus, partitionFieldTypes, writeManifest, type ManifestEntry } from './manifests/manifest.js';
import {
  countEntries,
  summarizePartitions,
  writeManifestList,
  type ManifestFile,
} from './manifests/manifest-list.js';
import { RemovedFiles, type SnapshotFileChanges } from './manifests/removed-files.js';
import type { DataFile } from './io/parquet-data-file.js';
import { currentSchema, defaultSpec } from './spec/metadata-access.js';
import type {
  Int64,
  PartitionSpec,
  Snapshot,
  SnapshotSummary,
  TableMetadata,
} from './spec/metadata-types.js';
import { BoundPartitionSpec } from './spec/partitioning.js';
import {
  buildSummary,
  currentSnapshot,
  newSnapshotId,
  nextSequenceNumber,
  snapshotCommit,
  type SnapshotCommit,
} from './spec/snapshot.js';
import type { Schema } from './spec/types.js';
import type { Row } from './spec/values.js';
import { tablePath, writeDataFiles, type DataFileWriteOptions } from './data-file-writer.js';
import type { FileStore } from './file-store.js';
import { readCurrentManifests, readManifestEntries } from './table-files.js';

/** How the base snapshot's manifests are carried into the new one (see the top of this file). */
export type ExistingManifests = 'rewrite-touched' | 'merge-per-spec';

export interface SnapshotWriteInput {
  /** Data files already written (writeDataFiles), to add. */
  added: readonly DataFile[];
  /** Paths of live data files to remove (copy-on-write replaces them with rewritten ones in `added`). */
  removed?: readonly string[];
  /**
   * Position delete files already written (writePositionDeletes), to add: each names one data file
   * (file-scoped), listed in a delete manifest of this snapshot.
   */
  addedDeletes?: readonly DataFile[];
  /** Paths of live delete files to remove (those of a rewritten or removed data file, or folded ones). */
  removedDeletes?: readonly string[];
  /** Extra summary keys (for example the change files a commit applied). */
  summary?: Record<string, string>;
  /** Defaults: `append` without removals, `overwrite` with; `replace` when merging per spec. */
  operation?: SnapshotSummary['operation'];
  snapshotId?: number;
  timestampMs?: number;
}

export interface WrittenSnapshot extends SnapshotCommit {
  manifestListLocation: string;
  /** Every file written for this snapshot (manifests, manifest list), for cleanup after a known failure. */
  writtenFiles: string[];
}

/** Writes the manifests of one snapshot: `<commitId>-m<n>.avro` under the table's metadata folder. */
class SnapshotManifestWriter {
  /** Every manifest written, for the caller to remove if the commit is abandoned. */
  readonly written: string[] = [];
  private next = 0;

  constructor(
    private readonly metadata: TableMetadata,
    private readonly store: FileStore,
    private readonly schema: Schema,
    private readonly snapshot: { id: Int64; sequenceNumber: Int64; commitId: string },
  ) {}

  /** The manifest of the files the snapshot adds (ADDED entries; their sequence numbers are inherited). */
  writeAdded(spec: PartitionSpec, files: readonly DataFile[]): Promise<ManifestFile> {
    return this.write(
      spec,
      files.map((dataFile) => ({
        status: EntryStatus.ADDED,
        snapshotId: this.snapshot.id,
        sequenceNumber: null,
        fileSequenceNumber: null,
        dataFile,
      })),
    );
  }

  /** Write one manifest of `entries` (all of one partition spec) and return its manifest-list record. */
  async write(spec: PartitionSpec, entries: ManifestEntry[]): Promise<ManifestFile> {
    const { id, sequenceNumber, commitId } = this.snapshot;
    const bytes = writeManifest({ schema: this.schema, spec, entries });
    const path = tablePath(this.metadata.location, 'metadata', `${commitId}-m${this.next++}.avro`);
    await this.store.put(path, bytes, { ifAbsent: true, contentType: 'application/avro' });
    this.written.push(path);
    // ADDED entries take the new sequence number on commit; the others keep theirs
    let minSequenceNumber = sequenceNumber;
    for (const e of entries) {
      const seq = e.status === EntryStatus.ADDED ? sequenceNumber : e.sequenceNumber!;
      if (BigInt(seq) < BigInt(minSequenceNumber)) minSequenceNumber = seq;
    }
    return {
      manifestPath: path,
      manifestLength: bytes.length,
      partitionSpecId: spec['spec-id'],
      content: 0,
      sequenceNumber,
      minSequenceNumber,
      addedSnapshotId: id,
      ...countEntries(entries),
      partitions: summarizePartitions(partitionFieldTypes(spec, this.schema), entries),
      keyMetadata: null,
    };
  }
}

/** What the two ways of carrying the base's manifests share. */
interface Carry {
  metadata: TableMetadata;
  store: FileStore;
  schema: Schema;
  snapshotId: Int64;
  writer: SnapshotManifestWriter;
  removed: RemovedFiles;
  /** Keys of the partitions the snapshot changes; the added files' are in already. */
  changedPartitions: Set<string>;
  manifests: ManifestFile[];
}

/** rewrite-touched: reuse untouched manifests, rewrite those holding a removed file, drop empty ones. */
async function rewriteTouched(c: Carry): Promise<void> {
  for (const m of await readCurrentManifests(c.metadata, c.store)) {
    if (m.addedFilesCount + m.existingFilesCount === 0) continue; // nothing live left in it
    if (c.removed.paths.size === 0) {
      c.manifests.push(m);
      continue;
    }
    const entries = await readManifestEntries(c.store, m);
    if (!entries.some((e) => e.status !== EntryStatus.DELETED && c.removed.paths.has(e.dataFile.filePath))) {
      c.manifests.push(m);
      continue;
    }
    const mSpec = c.metadata['partition-specs'].find((s) => s['spec-id'] === m.partitionSpecId);
    if (!mSpec)
      throw new Error(`${m.manifestPath}: partition spec ${m.partitionSpecId} is not in the table metadata`);
    const bound = new BoundPartitionSpec(mSpec, c.schema);
    const carried = c.removed.carry(entries, c.snapshotId, (e) =>
      c.changedPartitions.add(`${m.partitionSpecId}:${bound.keyOf(e.dataFile.partition)}`),
    );
    c.manifests.push(await c.writer.write(mSpec, carried));
  }
  c.removed.requireAllFound('remove');
}

/** merge-per-spec: every live entry of main into one manifest per partition spec. */
async function mergePerSpec(c: Carry): Promise<void> {
  const specById = (specId: number): PartitionSpec => {
    const found = c.metadata['partition-specs'].find((s) => s['spec-id'] === specId);
    if (!found)
      throw new Error(`partition spec ${specId} is not in the table metadata of ${c.metadata.location}`);
    return found;
  };
  const kept = new Map<number, ManifestEntry[]>();
  for (const m of await readCurrentManifests(c.metadata, c.store)) {
    if (m.content !== 0) throw new Error(`${m.manifestPath}: delete manifests are not supported`);
    let list = kept.get(m.partitionSpecId);
    if (!list) kept.set(m.partitionSpecId, (list = []));
    list.push(...c.removed.carry(await readManifestEntries(c.store, m), c.snapshotId));
  }
  c.removed.requireAllFound('replace');
  for (const [specId, entries] of [...kept].sort(([a], [b]) => a - b)) {
    if (entries.length > 0) c.manifests.push(await c.writer.write(specById(specId), entries));
  }
}

/**
 * Write the manifests and the manifest list of a new snapshot on top of `main`, and return the commit.
 * A removed file that is not live fails loudly: another writer changed it and the change must be redone.
 */
export async function produceSnapshot(
  metadata: TableMetadata,
  store: FileStore,
  input: SnapshotWriteInput,
  existing: ExistingManifests = 'rewrite-touched',
): Promise<WrittenSnapshot> {
  if ((input.addedDeletes?.length ?? 0) > 0 || (input.removedDeletes?.length ?? 0) > 0)
    throw new Error(`${metadata.location}: committing delete files is not supported yet`);
  const schema = currentSchema(metadata);
  const spec = defaultSpec(metadata);
  const snapshotId = input.snapshotId ?? newSnapshotId(metadata);
  const sequenceNumber = nextSequenceNumber(metadata);
  const commitId = randomUUID();
  const writer = new SnapshotManifestWriter(metadata, store, schema, {
    id: snapshotId,
    sequenceNumber,
    commitId,
  });
  const bound = new BoundPartitionSpec(spec, schema);
  const carry: Carry = {
    metadata,
    store,
    schema,
    snapshotId,
    writer,
    removed: new RemovedFiles(new Set(input.removed ?? [])),
    changedPartitions: new Set(input.added.map((f) => bound.keyOf(f.partition))),
    manifests: [],
  };
  if (input.added.length > 0) carry.manifests.push(await writer.writeAdded(spec, input.added));
  if (existing === 'merge-per-spec') await mergePerSpec(carry);
  else await rewriteTouched(carry);

  const removed = carry.removed;
  const operation =
    input.operation ??
    (existing === 'merge-per-spec' ? 'replace' : removed.paths.size > 0 ? 'overwrite' : 'append');
  return finishSnapshot({
    metadata,
    store,
    snapshotId,
    sequenceNumber,
    commitId,
    manifests: carry.manifests,
    writtenFiles: writer.written,
    operation,
    changes: removed.changes(input.added, carry.changedPartitions.size),
    ...(input.summary ? { summary: input.summary } : {}),
    ...(input.timestampMs !== undefined ? { timestampMs: input.timestampMs } : {}),
  });
}

/** A snapshot that adds `added` and removes `removed`, rewriting the manifests it touches. */
export function writeSnapshot(
  metadata: TableMetadata,
  store: FileStore,
  input: SnapshotWriteInput,
): Promise<WrittenSnapshot> {
  return produceSnapshot(metadata, store, input, 'rewrite-touched');
}

/** The common end of every snapshot: the manifest list, the summary, and the snapshot with its commit. */
async function finishSnapshot(input: {
  metadata: TableMetadata;
  store: FileStore;
  snapshotId: Int64;
  sequenceNumber: Int64;
  commitId: string;
  manifests: ManifestFile[];
  writtenFiles: string[];
  operation: SnapshotSummary['operation'];
  changes: SnapshotFileChanges;
  summary?: Record<string, string>;
  timestampMs?: number;
}): Promise<WrittenSnapshot> {
  const { metadata, store, snapshotId, sequenceNumber, commitId, manifests, writtenFiles, changes } = input;
  const parent = currentSnapshot(metadata);
  const listBytes = writeManifestList({
    snapshotId,
    parentSnapshotId: parent ? parent['snapshot-id'] : null,
    sequenceNumber,
    manifests,
  });
  const manifestListLocation = tablePath(
    metadata.location,
    'metadata',
    `snap-${snapshotId}-1-${commitId}.avro`,
  );
  await store.put(manifestListLocation, listBytes, { ifAbsent: true, contentType: 'application/avro' });
  writtenFiles.push(manifestListLocation);

  const totals = { dataFiles: 0, records: 0, deleteFiles: 0, positionDeletes: 0, equalityDeletes: 0 };
  for (const m of manifests) {
    totals.dataFiles += m.addedFilesCount + m.existingFilesCount;
    totals.records += m.addedRowsCount + m.existingRowsCount;
  }
  const summary = buildSummary(
    input.operation,
    {
      addedDataFiles: changes.added.length,
      deletedDataFiles: changes.deletedDataFiles,
      addedRecords: changes.added.reduce((a, f) => a + f.recordCount, 0),
      deletedRecords: changes.deletedRecords,
      addedFilesSize: changes.added.reduce((a, f) => a + f.fileSizeInBytes, 0),
      removedFilesSize: changes.removedFilesSize,
      changedPartitions: changes.changedPartitions,
    },
    totals,
    parent,
    input.summary,
  );
  const snapshot: Snapshot = {
    'snapshot-id': snapshotId,
    'sequence-number': sequenceNumber,
    'timestamp-ms': input.timestampMs ?? Date.now(),
    'manifest-list': manifestListLocation,
    summary,
    'schema-id': currentSchema(metadata)['schema-id'],
  };
  if (parent) snapshot['parent-snapshot-id'] = parent['snapshot-id'];
  return { ...snapshotCommit(metadata, snapshot), manifestListLocation, writtenFiles };
}

export interface TableCommitInput extends Omit<SnapshotWriteInput, 'added'> {
  /** Rows to write as new data files (current schema, default spec). */
  rows: readonly Row[];
  /** Data files already written to add as well. */
  added?: readonly DataFile[];
  fileOptions?: DataFileWriteOptions;
}

export interface TableCommit extends WrittenSnapshot {
  /** The data files written for `rows`. */
  dataFiles: DataFile[];
}

/**
 * Rows in, commit out: writes the rows' data files, the manifests and the manifest list, and returns
 * the requirements and updates to send to the catalog. On a commit conflict, reload the metadata and
 * call writeSnapshot again with the same `dataFiles` (they stay valid); a removed file that is no
 * longer live then fails loudly, which means another writer changed it and the change must be redone.
 */
export async function writeTableCommit(
  metadata: TableMetadata,
  store: FileStore,
  input: TableCommitInput,
): Promise<TableCommit> {
  const dataFiles = await writeDataFiles(metadata, store, input.rows, input.fileOptions);
  const { rows: _rows, added = [], fileOptions: _options, ...rest } = input;
  const written = await writeSnapshot(metadata, store, { ...rest, added: [...added, ...dataFiles] });
  return {
    ...written,
    dataFiles,
    writtenFiles: [...dataFiles.map((f) => f.filePath), ...written.writtenFiles],
  };
}
