// The manifest side of a new snapshot, shared by commits (table-writer.ts) and compactions
// (maintenance/replace-snapshot.ts): writing its manifests under metadata/ with their manifest-list
// records, and carrying a manifest's entries forward with the removed files marked DELETED.

import { EntryStatus, partitionFieldTypes, writeManifest, type ManifestEntry } from './manifests/manifest.js';
import { countEntries, summarizePartitions, type ManifestFile } from './manifests/manifest-list.js';
import type { Int64, PartitionSpec, TableMetadata } from './spec/metadata-types.js';
import type { DataFile } from './io/parquet-data-file.js';
import type { FileStore, SnapshotFileChanges } from './table-writer.js';
import type { Schema } from './spec/types.js';

/** Writes the manifests of one snapshot: `<commitId>-m<n>.avro` under the table's metadata folder. */
export class SnapshotManifestWriter {
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
    const path = `${this.metadata.location.replace(/\/+$/, '')}/metadata/${commitId}-m${this.next++}.avro`;
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

/** What carrying entries forward removed, summed over every manifest of the snapshot. */
export class RemovedFiles {
  readonly found = new Set<string>();
  sizeInBytes = 0;
  records = 0;

  constructor(readonly paths: ReadonlySet<string>) {}

  /**
   * The live entries of a manifest for the new snapshot: a removed file DELETED (by `snapshotId`, and
   * tallied), every other live file EXISTING; entries DELETED by an earlier snapshot are dropped.
   * `onRemoved` sees each removed entry (a commit counts its partition).
   */
  carry(entries: readonly ManifestEntry[], snapshotId: Int64, onRemoved?: (entry: ManifestEntry) => void) {
    const carried: ManifestEntry[] = [];
    for (const e of entries) {
      if (e.status === EntryStatus.DELETED) continue;
      if (this.paths.has(e.dataFile.filePath)) {
        this.found.add(e.dataFile.filePath);
        this.sizeInBytes += e.dataFile.fileSizeInBytes;
        this.records += e.dataFile.recordCount;
        onRemoved?.(e);
        carried.push({ ...e, status: EntryStatus.DELETED, snapshotId });
      } else {
        carried.push({ ...e, status: EntryStatus.EXISTING });
      }
    }
    return carried;
  }

  /** The snapshot summary's file counts: the files added, and these removed ones. */
  changes(added: readonly DataFile[], changedPartitions: number): SnapshotFileChanges {
    return {
      added,
      deletedDataFiles: this.paths.size,
      deletedRecords: this.records,
      removedFilesSize: this.sizeInBytes,
      changedPartitions,
    };
  }

  /** Throws when a file asked to be removed was not live in the table (`what`: "remove", "replace"). */
  requireAllFound(what: string): void {
    const missing = [...this.paths].filter((p) => !this.found.has(p));
    if (missing.length > 0) {
      throw new Error(`cannot ${what} files that are not live in the table: ${missing.join(', ')}`);
    }
  }
}
