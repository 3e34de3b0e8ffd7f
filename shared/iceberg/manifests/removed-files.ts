// Carrying a manifest's entries into a new snapshot with the removed files marked DELETED, and the
// tally of what was removed for the snapshot summary. Pure: the entries come in and go out as values.

import { EntryStatus, type ManifestEntry } from './manifest.js';
import type { Int64 } from '../spec/metadata-types.js';
import type { DataFile } from '../io/parquet-data-file.js';

/** The files a snapshot added and what it removed, for its summary. */
export interface SnapshotFileChanges {
  added: readonly DataFile[];
  addedDeletes: readonly DataFile[];
  deletedDataFiles: number;
  deletedRecords: number;
  removedDeleteFiles: number;
  removedPositionDeletes: number;
  /** Data and delete files together, as Iceberg's `removed-files-size`. */
  removedFilesSize: number;
  changedPartitions: number;
}

/** What carrying entries forward removed, summed over every manifest of the snapshot. */
export class RemovedFiles {
  readonly found = new Set<string>();
  /** Removed files that were not asked for by path (`also`): the delete files of removed data files. */
  readonly implied = new Set<string>();
  sizeInBytes = 0;
  records = 0;

  /**
   * `paths` must all be live (requireAllFound); `also` removes further live files without requiring
   * any (the file-scoped delete files of a removed data file).
   */
  constructor(
    readonly paths: ReadonlySet<string>,
    private readonly also?: (file: DataFile) => boolean,
  ) {}

  /** Whether carrying a manifest can remove anything, so untouched manifests are reused unread. */
  get active(): boolean {
    return this.paths.size > 0 || this.also !== undefined;
  }

  /** How many files were removed. */
  get count(): number {
    return this.found.size + this.implied.size;
  }

  private removes(file: DataFile): boolean {
    if (this.paths.has(file.filePath)) {
      this.found.add(file.filePath);
      return true;
    }
    if (this.also?.(file)) {
      this.implied.add(file.filePath);
      return true;
    }
    return false;
  }

  /** Whether any live entry of `entries` would be removed (without tallying it). */
  touches(entries: readonly ManifestEntry[]): boolean {
    return entries.some(
      (e) =>
        e.status !== EntryStatus.DELETED &&
        (this.paths.has(e.dataFile.filePath) || !!this.also?.(e.dataFile)),
    );
  }

  /**
   * The live entries of a manifest for the new snapshot: a removed file DELETED (by `snapshotId`, and
   * tallied), every other live file EXISTING; entries DELETED by an earlier snapshot are dropped.
   * `onRemoved` sees each removed entry (a commit counts its partition).
   */
  carry(entries: readonly ManifestEntry[], snapshotId: Int64, onRemoved?: (entry: ManifestEntry) => void) {
    const carried: ManifestEntry[] = [];
    for (const e of entries) {
      if (e.status === EntryStatus.DELETED) continue;
      if (this.removes(e.dataFile)) {
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

  /** Throws when a file asked to be removed was not live in the table (`what`: "remove", "replace"). */
  requireAllFound(what: string, kind = 'files'): void {
    const missing = [...this.paths].filter((p) => !this.found.has(p));
    if (missing.length > 0) {
      throw new Error(`cannot ${what} ${kind} that are not live in the table: ${missing.join(', ')}`);
    }
  }
}
