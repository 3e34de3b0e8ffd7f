// Reading a table's current snapshot back: its manifests, their entries with inherited sequence numbers,
// its live data files (with each file's bounds, for the copy-on-write engine, and the position delete
// files that apply to it, for merge-on-read) and its rows (for the tests and the CLI).

import { EntryStatus, readManifest, type ManifestEntry } from './manifests/manifest.js';
import {
  deletedPositions,
  positionDeleteApplies,
  type PlannedFile,
} from './manifests/position-delete-index.js';
import { readManifestList, type ManifestFile } from './manifests/manifest-list.js';
import { readRowsDataFile } from './io/parquet-data-file.js';
import { currentSchema } from './spec/metadata-access.js';
import type { Int64, TableMetadata } from './spec/metadata-types.js';
import { currentSnapshot } from './spec/snapshot.js';
import type { NestedField } from './spec/types.js';
import type { Row } from './spec/values.js';
import type { FileStore } from './file-store.js';

/** A live file of a snapshot with its data sequence number and the manifest that lists it. */
export interface LiveFile extends PlannedFile {
  fileSequenceNumber: Int64;
  snapshotId: Int64;
  manifestPath: string;
}

/** A live data file (content 0) and the live position delete files that apply to it (spec rules). */
export interface LiveDataFile extends LiveFile {
  deletes: readonly LiveFile[];
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

/** Every live file of the current snapshot, data and delete files apart. */
export async function readLiveFiles(
  metadata: TableMetadata,
  store: FileStore,
): Promise<{ data: LiveFile[]; deletes: LiveFile[] }> {
  const data: LiveFile[] = [];
  const deletes: LiveFile[] = [];
  for (const m of await readCurrentManifests(metadata, store)) {
    for (const e of await readManifestEntries(store, m)) {
      if (e.status === EntryStatus.DELETED) continue;
      const file: LiveFile = {
        dataFile: e.dataFile,
        sequenceNumber: e.sequenceNumber!,
        fileSequenceNumber: e.fileSequenceNumber!,
        snapshotId: e.snapshotId!,
        specId: m.partitionSpecId,
        manifestPath: m.manifestPath,
      };
      if (e.dataFile.content === 2)
        throw new Error(`${e.dataFile.filePath}: equality delete files are not supported`);
      (e.dataFile.content === 0 ? data : deletes).push(file);
    }
  }
  return { data, deletes };
}

/** Every live data file of the current snapshot, with its bounds, sequence numbers and delete files. */
export async function readLiveDataFiles(metadata: TableMetadata, store: FileStore): Promise<LiveDataFile[]> {
  const { data, deletes } = await readLiveFiles(metadata, store);
  return data.map((f) => ({
    ...f,
    deletes: deletes.length > 0 ? deletes.filter((d) => positionDeleteApplies(f, d)) : [],
  }));
}

/** The rows of one live data file that no position delete removes (projected to `fields`). */
export async function readLiveRows(
  store: FileStore,
  file: LiveDataFile,
  fields: readonly NestedField[],
): Promise<Row[]> {
  const path = file.dataFile.filePath;
  const rows = readRowsDataFile(await store.get(path), fields, path);
  if (file.deletes.length === 0) return rows;
  const deleted = await deletedPositions(file, file.deletes, (p) => store.get(p));
  return rows.filter((_, i) => !deleted.has(i));
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
    for (const r of await readLiveRows(store, f, projection)) rows.push(r);
  }
  return rows;
}
