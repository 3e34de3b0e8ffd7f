// Carrying a manifest's entries into a new snapshot with the removed files marked DELETED, and the
// tally of what was removed for the snapshot summary. Pure: the entries come in and go out as values.

import { EntryStatus, type ManifestEntry } from './manifest.js';
import type { Int64 } from '../spec/metadata-types.js';
import type { DataFile } from '../io/parquet-data-file.js';

/** The files a snapshot added and what it removed, for its summary. */
export interface SnapshotFileChanges {
  added: readonly DataFile[];
  deletedDataFiles: number;
  deletedRecords: number;
  removedFilesSize: number;
  changedPartitions: number;
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
