// Reading a table's current snapshot back: its manifests, their entries with inherited sequence numbers,
// its live data files (with each file's bounds, for the copy-on-write engine) and its rows (for the
// tests and the CLI).

import { EntryStatus, readManifest, type ManifestEntry } from './manifests/manifest.js';
import { readManifestList, type ManifestFile } from './manifests/manifest-list.js';
import { readRowsDataFile, type DataFile } from './io/parquet-data-file.js';
import { currentSchema } from './spec/metadata-access.js';
import type { Int64, TableMetadata } from './spec/metadata-types.js';
import { currentSnapshot } from './spec/snapshot.js';
import type { NestedField } from './spec/types.js';
import type { Row } from './spec/values.js';
import type { FileStore } from './file-store.js';

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
