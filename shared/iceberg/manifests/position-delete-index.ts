// Which position delete files apply to a data file, and the set of row positions they delete: what a
// copy-on-write rewrite or a key index needs so that a deleted row is never found again.
//
// The spec's rule (Scan Planning): a position delete file applies to a data file when
//   - the data file's data sequence number is ≤ the delete file's (a delete never reaches rows added
//     after it; equality deletes use < instead, and are not handled here),
//   - both have the same partition spec and partition tuple,
//   - and its rows name the data file's path. The `file_path` bounds say which paths a delete file can
//     name (ours name exactly one), so files whose bounds exclude the path are skipped without reading.
// Sequence numbers are the inherited ones (an ADDED entry's null takes its manifest's), as a scan sees them.

import type { DataFile } from '../io/parquet-data-file.js';
import { readPositionDeletes } from '../io/position-delete-file.js';
import type { Int64 } from '../spec/metadata-types.js';
import { DELETE_FILE_PATH_FIELD_ID } from '../spec/position-delete-schema.js';
import type { IcebergValue } from '../spec/values.js';

/** A live file of a snapshot as scan planning sees it: its entry, data sequence number and spec. */
export interface PlannedFile {
  dataFile: DataFile;
  /** The data sequence number, inherited from the manifest list when the entry's is null. */
  sequenceNumber: Int64;
  /** The partition spec id of the manifest that lists the file. */
  specId: number;
}

function sameValue(a: IcebergValue, b: IcebergValue): boolean {
  if (a === null || b === null) return a === b;
  if (a instanceof Uint8Array || b instanceof Uint8Array)
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  return typeof a === typeof b || typeof a === 'bigint' || typeof b === 'bigint'
    ? String(a) === String(b)
    : false;
}

function samePartition(a: Record<string, IcebergValue>, b: Record<string, IcebergValue>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (!sameValue(a[k] ?? null, b[k] ?? null)) return false;
  return true;
}

/** Whether the delete file's `file_path` bounds admit the path (bytewise, as the inclusive metrics test). */
function pathWithinBounds(deleteFile: DataFile, path: string): boolean {
  const lower = deleteFile.lowerBounds.get(DELETE_FILE_PATH_FIELD_ID);
  const upper = deleteFile.upperBounds.get(DELETE_FILE_PATH_FIELD_ID);
  const bytes = Buffer.from(path, 'utf8');
  if (lower && Buffer.compare(bytes, lower) < 0) return false;
  if (upper && Buffer.compare(bytes, upper) > 0) return false;
  return true;
}

/**
 * The one data file a file-scoped position delete file names (its `file_path` lower and upper bounds
 * are equal, as ours and Iceberg Java's are), or undefined for a delete file that may name several.
 */
export function referencedDataFile(deleteFile: DataFile): string | undefined {
  if (deleteFile.content !== 1) return undefined;
  const lower = deleteFile.lowerBounds.get(DELETE_FILE_PATH_FIELD_ID);
  const upper = deleteFile.upperBounds.get(DELETE_FILE_PATH_FIELD_ID);
  if (!lower || !upper || Buffer.compare(lower, upper) !== 0) return undefined;
  return Buffer.from(lower).toString('utf8');
}

/** The spec's rule: whether a position delete file applies to a data file. */
export function positionDeleteApplies(data: PlannedFile, deletes: PlannedFile): boolean {
  if (data.dataFile.content !== 0 || deletes.dataFile.content !== 1) return false;
  if (BigInt(data.sequenceNumber) > BigInt(deletes.sequenceNumber)) return false;
  if (data.specId !== deletes.specId) return false;
  if (!samePartition(data.dataFile.partition, deletes.dataFile.partition)) return false;
  return pathWithinBounds(deletes.dataFile, data.dataFile.filePath);
}

/** The position delete files among `deletes` that apply to `data`. */
export function positionDeletesFor(data: PlannedFile, deletes: readonly PlannedFile[]): PlannedFile[] {
  return deletes.filter((d) => positionDeleteApplies(data, d));
}

/** The deleted row positions of one data file: a bitmap of its record count. */
export class DeletedPositions {
  readonly #bits: Uint8Array;
  #size = 0;

  constructor(readonly recordCount: number) {
    this.#bits = new Uint8Array(Math.ceil(recordCount / 8));
  }

  /** Mark a position deleted; a position past the file's rows is refused (`source` names the delete file). */
  add(position: number | bigint, source = '<delete file>'): void {
    const p = Number(position);
    if (!Number.isSafeInteger(p) || p < 0 || p >= this.recordCount)
      throw new RangeError(
        `${source}: position ${position} is outside the data file's ${this.recordCount} rows`,
      );
    const mask = 1 << (p & 7);
    if ((this.#bits[p >> 3]! & mask) === 0) {
      this.#bits[p >> 3]! |= mask;
      this.#size++;
    }
  }

  has(position: number): boolean {
    return (
      position >= 0 &&
      position < this.recordCount &&
      (this.#bits[position >> 3]! & (1 << (position & 7))) !== 0
    );
  }

  /** How many rows are deleted. */
  get size(): number {
    return this.#size;
  }

  /** The positions of the rows that remain, ascending. */
  *remaining(): IterableIterator<number> {
    for (let p = 0; p < this.recordCount; p++) if (!this.has(p)) yield p;
  }
}

/**
 * The positions of `data` deleted by the applicable files among `deletes`, each read with `read`
 * (the object store's get). The data file's record count bounds every position. An equality delete
 * file among `deletes` is refused.
 */
export async function deletedPositions(
  data: PlannedFile,
  deletes: readonly PlannedFile[],
  read: (path: string) => Promise<Uint8Array>,
): Promise<DeletedPositions> {
  // Equality deletes (another writer's) would delete rows this set cannot show: refuse rather than miss them.
  const equality = deletes.find((d) => d.dataFile.content === 2);
  if (equality) throw new Error(`${equality.dataFile.filePath}: equality delete files are not supported`);
  const out = new DeletedPositions(data.dataFile.recordCount);
  for (const d of positionDeletesFor(data, deletes)) {
    const path = d.dataFile.filePath;
    for (const p of readPositionDeletes(await read(path), data.dataFile.filePath, path)) out.add(p, path);
  }
  return out;
}
