// The one snapshot producer every writer commits through. A new snapshot on top of `main` is: one
// manifest of the data files it adds, one delete manifest (content 1) per partition spec of the position
// delete files it adds, the base snapshot's other manifests carried forward (removed files DELETED, the
// others EXISTING), the manifest list, the summary with Iceberg's standard keys and totals, and the
// commit (requirements + updates) to send to the catalog. How the base's manifests are carried is the
// only difference between writers:
//   rewrite-touched  untouched manifests reused by path, each manifest holding a removed file rewritten,
//                    manifests left with no live file dropped (commits: append, overwrite, delete);
//   merge-per-spec   every manifest merged into one per partition spec and content (data, deletes), so
//                    main keeps a handful of manifests however many small commits built it
//                    (compaction: replace).
// Data and delete manifests are carried the same way; a manifest never mixes the two.
//
// Delete files are file-scoped (each names one data file, see io/position-delete-file.ts). Two rules
// keep them consistent with the data files, for every caller alike:
//   - a removed data file takes its file-scoped delete files with it, in the same snapshot (they could
//     never apply to anything again; left live they would be dead weight every reader plans);
//   - an added delete file must name a data file that is live in the base (or added by this snapshot)
//     and not removed by it: a retry on fresh metadata whose data file another writer rewrote meanwhile
//     fails loudly instead of committing deletes that no longer apply (the deleted rows would come back).

import { randomUUID } from 'node:crypto';
import { EntryStatus, partitionFieldTypes, writeManifest, type ManifestEntry } from './manifests/manifest.js';
import {
  countEntries,
  summarizePartitions,
  writeManifestList,
  type ManifestFile,
} from './manifests/manifest-list.js';
import { referencedDataFile } from './manifests/position-delete-index.js';
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
  /**
   * Paths of live data files to remove (copy-on-write replaces them with rewritten ones in `added`).
   * Their file-scoped delete files are removed with them (see the top of this file).
   */
  removed?: readonly string[];
  /**
   * Position delete files already written (writePositionDeletes), to add: each names one data file
   * (file-scoped) that is live, listed in a delete manifest of this snapshot (the data file's spec).
   */
  addedDeletes?: readonly DataFile[];
  /**
   * Paths of live delete files to remove (folded ones); those of removed data files need not be listed.
   * A path that is not live fails loudly, as for data files.
   */
  removedDeletes?: readonly string[];
  /** Extra summary keys (for example the change files a commit applied). */
  summary?: Record<string, string>;
  /**
   * Defaults: `replace` when merging per spec; else with delete files added, `overwrite` when data
   * files are added too and `delete` when not; else `append` without removals, `overwrite` with.
   */
  operation?: SnapshotSummary['operation'];
  snapshotId?: number;
  timestampMs?: number;
}

export interface WrittenSnapshot extends SnapshotCommit {
  manifestListLocation: string;
  /** Every file written for this snapshot (manifests, manifest list), for cleanup after a known failure. */
  writtenFiles: string[];
  /**
   * Delete files the snapshot removed because their data file was removed (not listed in
   * `removedDeletes`): the commit's caller may want to report them.
   */
  impliedRemovedDeletes: string[];
}

const CONTENT_NAME = { 0: 'data', 1: 'deletes' } as const;

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

  /**
   * The manifest of the files the snapshot adds (ADDED entries; their sequence numbers are inherited,
   * so added delete files take the new sequence number and apply to every older data file they name).
   */
  writeAdded(spec: PartitionSpec, files: readonly DataFile[], content: 0 | 1 = 0): Promise<ManifestFile> {
    return this.write(
      spec,
      files.map((dataFile) => ({
        status: EntryStatus.ADDED,
        snapshotId: this.snapshot.id,
        sequenceNumber: null,
        fileSequenceNumber: null,
        dataFile,
      })),
      content,
    );
  }

  /** Write one manifest of `entries` (all of one partition spec and content) and return its list record. */
  async write(spec: PartitionSpec, entries: ManifestEntry[], content: 0 | 1 = 0): Promise<ManifestFile> {
    const { id, sequenceNumber, commitId } = this.snapshot;
    const bytes = writeManifest({ schema: this.schema, spec, entries, content: CONTENT_NAME[content] });
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
      content,
      sequenceNumber,
      minSequenceNumber,
      addedSnapshotId: id,
      // for a delete manifest, the spec's counts are of delete files and of their rows (positions)
      ...countEntries(entries),
      partitions: summarizePartitions(partitionFieldTypes(spec, this.schema), entries),
      keyMetadata: null,
    };
  }
}

function specOf(metadata: TableMetadata, specId: number, what: string): PartitionSpec {
  const found = metadata['partition-specs'].find((s) => s['spec-id'] === specId);
  if (!found) throw new Error(`${what}: partition spec ${specId} is not in the table metadata`);
  return found;
}

/** What the two ways of carrying the base's manifests share. */
interface Carry {
  metadata: TableMetadata;
  store: FileStore;
  schema: Schema;
  snapshotId: Int64;
  writer: SnapshotManifestWriter;
  /** Data files removed, and delete files removed (listed, or implied by a removed data file). */
  removed: RemovedFiles;
  removedDeletes: RemovedFiles;
  /** Keys of the partitions the snapshot changes (spec id and tuple); the added files' are in already. */
  changedPartitions: Set<string>;
  manifests: ManifestFile[];
}

function partitionKey(metadata: TableMetadata, schema: Schema, specId: number, file: DataFile): string {
  const bound = new BoundPartitionSpec(specOf(metadata, specId, metadata.location), schema);
  return `${specId}:${bound.keyOf(file.partition)}`;
}

const removedOf = (c: Carry, m: ManifestFile): RemovedFiles =>
  m.content === 0 ? c.removed : c.removedDeletes;

/** rewrite-touched: reuse untouched manifests, rewrite those holding a removed file, drop empty ones. */
async function rewriteTouched(c: Carry, base: readonly ManifestFile[]): Promise<void> {
  for (const m of base) {
    if (m.addedFilesCount + m.existingFilesCount === 0) continue; // nothing live left in it
    const removed = removedOf(c, m);
    if (!removed.active) {
      c.manifests.push(m);
      continue;
    }
    const entries = await readManifestEntries(c.store, m);
    if (!removed.touches(entries)) {
      c.manifests.push(m);
      continue;
    }
    const mSpec = specOf(c.metadata, m.partitionSpecId, m.manifestPath);
    const carried = removed.carry(entries, c.snapshotId, (e) =>
      c.changedPartitions.add(partitionKey(c.metadata, c.schema, m.partitionSpecId, e.dataFile)),
    );
    c.manifests.push(await c.writer.write(mSpec, carried, m.content));
  }
  c.removed.requireAllFound('remove');
  c.removedDeletes.requireAllFound('remove', 'delete files');
}

/** merge-per-spec: every live entry of main into one manifest per partition spec and content. */
async function mergePerSpec(c: Carry, base: readonly ManifestFile[]): Promise<void> {
  const kept = new Map<string, { specId: number; content: 0 | 1; entries: ManifestEntry[] }>();
  for (const m of base) {
    const key = `${m.content}:${m.partitionSpecId}`;
    let group = kept.get(key);
    if (!group) kept.set(key, (group = { specId: m.partitionSpecId, content: m.content, entries: [] }));
    const carried = removedOf(c, m).carry(await readManifestEntries(c.store, m), c.snapshotId, (e) =>
      c.changedPartitions.add(partitionKey(c.metadata, c.schema, m.partitionSpecId, e.dataFile)),
    );
    group.entries.push(...carried);
  }
  c.removed.requireAllFound('replace');
  c.removedDeletes.requireAllFound('replace', 'delete files');
  const groups = [...kept.values()].sort((a, b) => a.content - b.content || a.specId - b.specId);
  for (const g of groups) {
    if (g.entries.length > 0)
      c.manifests.push(
        await c.writer.write(specOf(c.metadata, g.specId, c.metadata.location), g.entries, g.content),
      );
  }
}

/**
 * The partition spec of each added delete file: that of the live data file it names (a delete file
 * applies only within its data file's spec). Throws when the named data file is not live or is removed
 * by this very snapshot, or the delete file is not file-scoped or not in its data file's partition.
 */
async function addedDeleteSpecs(
  c: Carry,
  base: readonly ManifestFile[],
  addedData: readonly DataFile[],
  addedDeletes: readonly DataFile[],
  defaultSpecId: number,
): Promise<Map<number, DataFile[]>> {
  const wanted = new Map<string, DataFile[]>();
  for (const d of addedDeletes) {
    const target = d.content === 1 ? referencedDataFile(d) : undefined;
    if (target === undefined)
      throw new Error(`${d.filePath}: an added delete file must be a file-scoped position delete file`);
    if (c.removed.paths.has(target))
      throw new Error(`${d.filePath}: names ${target}, which this snapshot removes`);
    let list = wanted.get(target);
    if (!list) wanted.set(target, (list = []));
    list.push(d);
  }
  const live = new Map<string, { specId: number; file: DataFile }>();
  for (const f of addedData)
    if (wanted.has(f.filePath)) live.set(f.filePath, { specId: defaultSpecId, file: f });
  for (const m of base) {
    if (m.content !== 0 || live.size === wanted.size) continue;
    for (const e of await readManifestEntries(c.store, m)) {
      if (e.status !== EntryStatus.DELETED && wanted.has(e.dataFile.filePath))
        live.set(e.dataFile.filePath, { specId: m.partitionSpecId, file: e.dataFile });
    }
  }
  const bySpec = new Map<number, DataFile[]>();
  for (const [target, deletes] of wanted) {
    const data = live.get(target);
    if (!data)
      throw new Error(
        `cannot add delete files for a data file that is not live in the table: ${target} (${deletes.map((d) => d.filePath).join(', ')})`,
      );
    const key = partitionKey(c.metadata, c.schema, data.specId, data.file);
    for (const d of deletes) {
      if (partitionKey(c.metadata, c.schema, data.specId, d) !== key)
        throw new Error(`${d.filePath}: its partition is not that of the data file it names, ${target}`);
      c.changedPartitions.add(key);
    }
    let list = bySpec.get(data.specId);
    if (!list) bySpec.set(data.specId, (list = []));
    list.push(...deletes);
  }
  return bySpec;
}

/**
 * Write the manifests and the manifest list of a new snapshot on top of `main`, and return the commit.
 * A removed file that is not live fails loudly: another writer changed it and the change must be redone.
 * Nothing is visible before the catalog commit; on a refused commit `writtenFiles` are garbage (the
 * data and delete files in the input are the caller's).
 */
export async function produceSnapshot(
  metadata: TableMetadata,
  store: FileStore,
  input: SnapshotWriteInput,
  existing: ExistingManifests = 'rewrite-touched',
): Promise<WrittenSnapshot> {
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
  const removedData = new Set(input.removed ?? []);
  const addedDeletes = input.addedDeletes ?? [];
  const carry: Carry = {
    metadata,
    store,
    schema,
    snapshotId,
    writer,
    removed: new RemovedFiles(removedData),
    removedDeletes: new RemovedFiles(
      new Set(input.removedDeletes ?? []),
      // a removed data file takes its file-scoped delete files with it
      removedData.size > 0
        ? (f) => {
            const target = referencedDataFile(f);
            return target !== undefined && removedData.has(target);
          }
        : undefined,
    ),
    changedPartitions: new Set(input.added.map((f) => partitionKey(metadata, schema, spec['spec-id'], f))),
    manifests: [],
  };
  const base = await readCurrentManifests(metadata, store);
  const deleteSpecs =
    addedDeletes.length > 0
      ? await addedDeleteSpecs(carry, base, input.added, addedDeletes, spec['spec-id'])
      : new Map<number, DataFile[]>();
  if (input.added.length > 0) carry.manifests.push(await writer.writeAdded(spec, input.added));
  for (const [specId, files] of [...deleteSpecs].sort(([a], [b]) => a - b))
    carry.manifests.push(await writer.writeAdded(specOf(metadata, specId, metadata.location), files, 1));
  if (existing === 'merge-per-spec') await mergePerSpec(carry, base);
  else await rewriteTouched(carry, base);

  const { removed, removedDeletes } = carry;
  const operation =
    input.operation ??
    (existing === 'merge-per-spec'
      ? 'replace'
      : addedDeletes.length > 0
        ? input.added.length > 0
          ? 'overwrite'
          : 'delete'
        : removed.count > 0 || removedDeletes.count > 0
          ? 'overwrite'
          : 'append');
  const written = await finishSnapshot({
    metadata,
    store,
    snapshotId,
    sequenceNumber,
    commitId,
    manifests: carry.manifests,
    writtenFiles: writer.written,
    operation,
    changes: {
      added: input.added,
      addedDeletes,
      deletedDataFiles: removed.count,
      deletedRecords: removed.records,
      removedDeleteFiles: removedDeletes.count,
      removedPositionDeletes: removedDeletes.records,
      removedFilesSize: removed.sizeInBytes + removedDeletes.sizeInBytes,
      changedPartitions: carry.changedPartitions.size,
    },
    ...(input.summary ? { summary: input.summary } : {}),
    ...(input.timestampMs !== undefined ? { timestampMs: input.timestampMs } : {}),
  });
  return { ...written, impliedRemovedDeletes: [...removedDeletes.implied] };
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
}): Promise<Omit<WrittenSnapshot, 'impliedRemovedDeletes'>> {
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
    if (m.content === 0) {
      totals.dataFiles += m.addedFilesCount + m.existingFilesCount;
      totals.records += m.addedRowsCount + m.existingRowsCount;
    } else {
      totals.deleteFiles += m.addedFilesCount + m.existingFilesCount;
      totals.positionDeletes += m.addedRowsCount + m.existingRowsCount;
    }
  }
  const sum = (files: readonly DataFile[], f: (d: DataFile) => number): number =>
    files.reduce((a, d) => a + f(d), 0);
  const summary = buildSummary(
    input.operation,
    {
      addedDataFiles: changes.added.length,
      deletedDataFiles: changes.deletedDataFiles,
      addedRecords: sum(changes.added, (f) => f.recordCount),
      deletedRecords: changes.deletedRecords,
      addedDeleteFiles: changes.addedDeletes.length,
      addedPositionDeletes: sum(changes.addedDeletes, (f) => f.recordCount),
      removedDeleteFiles: changes.removedDeleteFiles,
      removedPositionDeletes: changes.removedPositionDeletes,
      addedFilesSize:
        sum(changes.added, (f) => f.fileSizeInBytes) + sum(changes.addedDeletes, (f) => f.fileSizeInBytes),
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
