// Writing a table's files and producing the commit: data files (one per partition and size chunk),
// manifests for the added files, rewritten manifests for files removed (DELETED entries for them,
// EXISTING entries for the rest), untouched manifests reused as they are, the manifest list, and the
// requirements + updates to send to the catalog. Reading a snapshot's live files (with each file's
// bounds) and rows serves the copy-on-write engine and the tests.

import { randomUUID } from 'node:crypto';
import type * as arrow from 'apache-arrow';
import { rowsToArrowTable } from './arrow/arrow-rows.js';
import { EntryStatus, readManifest, type ManifestEntry } from './manifests/manifest.js';
import { readManifestList, writeManifestList, type ManifestFile } from './manifests/manifest-list.js';
import type {
  Int64,
  PartitionSpec,
  Snapshot,
  SnapshotSummary,
  TableMetadata,
} from './spec/metadata-types.js';
import {
  readRowsDataFile,
  writeArrowDataFile,
  type DataFile,
  type WriteOptions,
  type WrittenDataFile,
} from './io/parquet-data-file.js';
import { BoundPartitionSpec } from './spec/partitioning.js';
import { RemovedFiles, SnapshotManifestWriter } from './snapshot-manifests.js';
import {
  buildSummary,
  currentSnapshot,
  newSnapshotId,
  nextSequenceNumber,
  snapshotCommit,
  type SnapshotCommit,
} from './spec/snapshot.js';
import type { NestedField, Schema } from './spec/types.js';
import type { Row } from './spec/values.js';
import type { ObjectStore } from '../ports/object-store.js';

/** The part of the object store the format layer uses. */
export type FileStore = Pick<ObjectStore, 'put' | 'get'>;

export function currentSchema(metadata: TableMetadata): Schema {
  const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
  if (!schema)
    throw new Error(`table ${metadata.location}: current schema ${metadata['current-schema-id']} is missing`);
  return schema;
}

export function defaultSpec(metadata: TableMetadata): PartitionSpec {
  const spec = metadata['partition-specs'].find((s) => s['spec-id'] === metadata['default-spec-id']);
  if (!spec)
    throw new Error(
      `table ${metadata.location}: default partition spec ${metadata['default-spec-id']} is missing`,
    );
  return spec;
}

function join(location: string, ...parts: string[]): string {
  return [location.replace(/\/+$/, ''), ...parts.filter((p) => p !== '')].join('/');
}

/** The table property (PyIceberg's name) for rows per Parquet row group; DEFAULT_ROW_GROUP_ROWS without it. */
export const ROW_GROUP_LIMIT_PROPERTY = 'write.parquet.row-group-limit';

/** The writer options a table's properties ask for (rows per row group). */
export function tableWriteOptions(metadata: TableMetadata): WriteOptions {
  const rows = Number(metadata.properties?.[ROW_GROUP_LIMIT_PROPERTY]);
  return Number.isSafeInteger(rows) && rows > 0 ? { maxRowGroupSize: rows } : {};
}

export interface DataFileWriteOptions extends WriteOptions {
  /** Rows per data file (a file larger than this is split); default 1,000,000. */
  maxRowsPerFile?: number;
}

/** Write rows as data files of the table's current schema and default spec; returns their descriptions. */
export async function writeDataFiles(
  metadata: TableMetadata,
  store: FileStore,
  rows: readonly Row[],
  options: DataFileWriteOptions = {},
): Promise<DataFile[]> {
  const schema = currentSchema(metadata);
  const spec = new BoundPartitionSpec(defaultSpec(metadata), schema);
  const groups = new Map<string, { partition: Record<string, Row[keyof Row]>; rows: Row[] }>();
  for (const row of rows) {
    const partition = spec.partitionOf(row);
    const key = spec.keyOf(partition);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { partition, rows: [] }));
    g.rows.push(row);
  }
  const maxRows = options.maxRowsPerFile ?? 1_000_000;
  const out: DataFile[] = [];
  for (const g of groups.values()) {
    for (let start = 0; start < g.rows.length; start += maxRows) {
      const table = rowsToArrowTable(schema, g.rows.slice(start, start + maxRows));
      out.push(await writeArrowAsDataFile(metadata, store, table, g.partition, options));
    }
  }
  return out;
}

/** Write one Arrow table (columns = the current schema's fields) as one data file of one partition. */
export async function writeArrowAsDataFile(
  metadata: TableMetadata,
  store: FileStore,
  table: arrow.Table,
  partition: DataFile['partition'],
  options: WriteOptions = {},
): Promise<DataFile> {
  const written = writeArrowDataFile(table, currentSchema(metadata), {
    ...tableWriteOptions(metadata),
    ...options,
  });
  return putWrittenDataFile(metadata, store, written, partition);
}

/**
 * Store a data file already encoded (writeArrowDataFile, possibly in another thread) under the table's
 * data folder of its partition.
 */
export async function putWrittenDataFile(
  metadata: TableMetadata,
  store: FileStore,
  written: WrittenDataFile,
  partition: DataFile['partition'],
): Promise<DataFile> {
  const spec = new BoundPartitionSpec(defaultSpec(metadata), currentSchema(metadata));
  const path = join(metadata.location, 'data', spec.pathOf(partition), `${randomUUID()}.parquet`);
  await store.put(path, written.bytes, { ifAbsent: true, contentType: 'application/vnd.apache.parquet' });
  return { ...written.dataFile, filePath: path, partition };
}

/** A live data file of a snapshot with its data sequence number (for copy-on-write rewrites). */
export interface LiveDataFile {
  dataFile: DataFile;
  sequenceNumber: Int64;
  fileSequenceNumber: Int64;
  snapshotId: Int64;
  manifestPath: string;
}

function inherit(value: Int64 | null, fallback: Int64): Int64 {
  return value === null ? fallback : value;
}

/** Manifests of the current snapshot (empty for a table without snapshots). */
export async function readCurrentManifests(
  metadata: TableMetadata,
  store: FileStore,
): Promise<ManifestFile[]> {
  const snap = currentSnapshot(metadata);
  if (!snap) return [];
  return readManifestList(await store.get(snap['manifest-list']), snap['manifest-list']).manifests;
}

/** Entries of one manifest with sequence numbers and snapshot ids inherited from its manifest_file. */
export async function readManifestEntries(
  store: FileStore,
  manifest: ManifestFile,
): Promise<ManifestEntry[]> {
  const { entries } = readManifest(await store.get(manifest.manifestPath), manifest.manifestPath);
  return entries.map((e) => ({
    ...e,
    snapshotId: inherit(e.snapshotId, manifest.addedSnapshotId),
    // the spec: a null data/file sequence number on an ADDED entry is the manifest's sequence number
    sequenceNumber: inherit(e.sequenceNumber, manifest.sequenceNumber),
    fileSequenceNumber: inherit(e.fileSequenceNumber, manifest.sequenceNumber),
  }));
}

/** Every live data file of the current snapshot, with its bounds and sequence numbers. */
export async function readLiveDataFiles(metadata: TableMetadata, store: FileStore): Promise<LiveDataFile[]> {
  const out: LiveDataFile[] = [];
  for (const m of await readCurrentManifests(metadata, store)) {
    if (m.content !== 0)
      throw new Error(`${m.manifestPath}: delete manifests are not supported (copy-on-write tables only)`);
    for (const e of await readManifestEntries(store, m)) {
      if (e.status === EntryStatus.DELETED) continue;
      out.push({
        dataFile: e.dataFile,
        sequenceNumber: e.sequenceNumber!,
        fileSequenceNumber: e.fileSequenceNumber!,
        snapshotId: e.snapshotId!,
        manifestPath: m.manifestPath,
      });
    }
  }
  return out;
}

/** All rows of the current snapshot (projected to `fields`, default all current columns). */
export async function readTableRows(
  metadata: TableMetadata,
  store: FileStore,
  fields?: readonly NestedField[],
): Promise<Row[]> {
  const projection = fields ?? currentSchema(metadata).fields;
  const rows: Row[] = [];
  for (const f of await readLiveDataFiles(metadata, store)) {
    for (const r of readRowsDataFile(await store.get(f.dataFile.filePath), projection, f.dataFile.filePath))
      rows.push(r);
  }
  return rows;
}

export interface SnapshotWriteInput {
  /** Data files already written (writeDataFiles), to add. */
  added: readonly DataFile[];
  /** Paths of live data files to remove (copy-on-write replaces them with rewritten ones in `added`). */
  removed?: readonly string[];
  /** Extra summary keys (for example the change files a commit applied). */
  summary?: Record<string, string>;
  /** Defaults: `append` without removals, `overwrite` with. */
  operation?: SnapshotSummary['operation'];
  snapshotId?: number;
  timestampMs?: number;
}

export interface WrittenSnapshot extends SnapshotCommit {
  manifestListLocation: string;
  /** Every file written for this snapshot (manifests, manifest list), for cleanup after a known failure. */
  writtenFiles: string[];
}

/**
 * Write the manifests and the manifest list of a new snapshot on top of `main`, and return the commit.
 * Untouched manifests are reused; a manifest holding a removed file is rewritten with that file DELETED
 * and the others EXISTING; manifests left with no live file are dropped.
 */
export async function writeSnapshot(
  metadata: TableMetadata,
  store: FileStore,
  input: SnapshotWriteInput,
): Promise<WrittenSnapshot> {
  const schema = currentSchema(metadata);
  const spec = defaultSpec(metadata);
  const snapshotId = input.snapshotId ?? newSnapshotId(metadata);
  const sequenceNumber = nextSequenceNumber(metadata);
  const commitId = randomUUID();
  const manifestWriter = new SnapshotManifestWriter(metadata, store, schema, {
    id: snapshotId,
    sequenceNumber,
    commitId,
  });
  const removed = new RemovedFiles(new Set(input.removed ?? []));
  const manifests: ManifestFile[] = [];
  const changedPartitions = new Set<string>();

  if (input.added.length > 0) {
    const bound = new BoundPartitionSpec(spec, schema);
    for (const f of input.added) changedPartitions.add(bound.keyOf(f.partition));
    manifests.push(await manifestWriter.writeAdded(spec, input.added));
  }

  for (const m of await readCurrentManifests(metadata, store)) {
    if (m.addedFilesCount + m.existingFilesCount === 0) continue; // nothing live left in it
    if (removed.paths.size === 0) {
      manifests.push(m);
      continue;
    }
    const entries = await readManifestEntries(store, m);
    if (!entries.some((e) => e.status !== EntryStatus.DELETED && removed.paths.has(e.dataFile.filePath))) {
      manifests.push(m);
      continue;
    }
    const mSpec = metadata['partition-specs'].find((s) => s['spec-id'] === m.partitionSpecId);
    if (!mSpec)
      throw new Error(`${m.manifestPath}: partition spec ${m.partitionSpecId} is not in the table metadata`);
    const bound = new BoundPartitionSpec(mSpec, schema);
    const carried = removed.carry(entries, snapshotId, (e) =>
      changedPartitions.add(`${m.partitionSpecId}:${bound.keyOf(e.dataFile.partition)}`),
    );
    manifests.push(await manifestWriter.write(mSpec, carried));
  }
  removed.requireAllFound('remove');

  const operation = input.operation ?? (removed.paths.size > 0 ? 'overwrite' : 'append');
  return finishSnapshot({
    metadata,
    store,
    snapshotId,
    sequenceNumber,
    commitId,
    manifests,
    writtenFiles: manifestWriter.written,
    operation,
    changes: removed.changes(input.added, changedPartitions.size),
    ...(input.summary ? { summary: input.summary } : {}),
    ...(input.timestampMs !== undefined ? { timestampMs: input.timestampMs } : {}),
  });
}

/** The files a snapshot added and what it removed, for its summary. */
export interface SnapshotFileChanges {
  added: readonly DataFile[];
  deletedDataFiles: number;
  deletedRecords: number;
  removedFilesSize: number;
  changedPartitions: number;
}

/**
 * The common end of every snapshot this project writes (commits and compactions): the manifest list over
 * `manifests`, the summary with Iceberg's standard keys and totals, and the snapshot with its commit.
 */
export async function finishSnapshot(input: {
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
  const manifestListLocation = join(metadata.location, 'metadata', `snap-${snapshotId}-1-${commitId}.avro`);
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
