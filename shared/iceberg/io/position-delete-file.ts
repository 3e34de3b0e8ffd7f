// Position delete files (Iceberg v2, content 1) in Parquet, file-scoped: each file names exactly one
// data file. Writing sorts and de-duplicates the positions (the spec requires rows sorted by file_path,
// then pos) and describes the file for its manifest entry; reading returns the positions a delete file
// holds for one data file.
//
// Bounds: Iceberg Java writes position deletes with full metrics on both columns (no truncation), so the
// lower and upper bound of `file_path` are both the one referenced path. Readers (Java, PyIceberg's
// DeleteFileIndex) take equal path bounds to mean "applies to this data file only" and skip the file for
// every other data file; a path truncated to 16 characters would scope it to nothing. `referenced_data_file`
// says the same thing in v3 only, so it is not written.

import * as arrow from 'apache-arrow';
import { columnsToArrowTable } from '../arrow/arrow-rows.js';
import {
  writeArrowDataFile,
  readArrowDataFile,
  type DataFile,
  type WriteOptions,
} from './parquet-data-file.js';
import {
  DELETE_FILE_PATH_FIELD_ID,
  DELETE_POS_FIELD_ID,
  POSITION_DELETE_SCHEMA,
} from '../spec/position-delete-schema.js';
import type { IcebergValue } from '../spec/values.js';

export interface PositionDeleteInput {
  /** The data file the positions belong to, as its manifest entry names it. */
  dataFilePath: string;
  /** Its partition tuple: a position delete file lives in the partition of its data file. */
  partition: Record<string, IcebergValue>;
  /** 0-based row positions in the data file; any order, duplicates allowed. */
  positions: Iterable<number | bigint>;
}

export interface WrittenPositionDeleteFile {
  bytes: Uint8Array;
  /** The manifest's data_file entry, except the delete file's own path, which the caller chooses. */
  dataFile: Omit<DataFile, 'filePath'>;
}

/** The positions sorted ascending, without duplicates; a negative position is refused. */
function sortedPositions(input: PositionDeleteInput): BigInt64Array {
  const all: bigint[] = [];
  for (const p of input.positions) {
    const v = BigInt(p);
    if (v < 0n) throw new RangeError(`position delete of ${input.dataFilePath}: position ${v} is negative`);
    all.push(v);
  }
  const sorted = BigInt64Array.from(all).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++)
    if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  return sorted.slice(0, n);
}

function longBytes(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, v, true);
  return out;
}

/** A position delete file for one data file, and its data_file description (content 1). */
export function writePositionDeleteFile(
  input: PositionDeleteInput,
  options: WriteOptions = {},
): WrittenPositionDeleteFile {
  const positions = sortedPositions(input);
  if (positions.length === 0)
    throw new RangeError(`position delete of ${input.dataFilePath}: no positions to delete`);
  const paths = new Array<string>(positions.length).fill(input.dataFilePath);
  const table = columnsToArrowTable(POSITION_DELETE_SCHEMA, [paths, positions], positions.length);
  const written = writeArrowDataFile(table, POSITION_DELETE_SCHEMA, options);
  const pathBytes = new TextEncoder().encode(input.dataFilePath);
  const lowerBounds = new Map([
    [DELETE_FILE_PATH_FIELD_ID, pathBytes],
    [DELETE_POS_FIELD_ID, longBytes(positions[0]!)],
  ]);
  const upperBounds = new Map([
    [DELETE_FILE_PATH_FIELD_ID, pathBytes],
    [DELETE_POS_FIELD_ID, longBytes(positions[positions.length - 1]!)],
  ]);
  return {
    bytes: written.bytes,
    dataFile: {
      ...written.dataFile,
      content: 1,
      partition: input.partition,
      lowerBounds,
      upperBounds,
      // position deletes are sorted by (file_path, pos), not by a table sort order: the spec wants null
      sortOrderId: null,
    },
  };
}

/**
 * The positions a position delete file (ours or another writer's) deletes in one data file, ascending
 * as the spec requires them; rows naming other data files are skipped. `file` names the delete file in
 * errors.
 */
export function readPositionDeletes(
  bytes: Uint8Array,
  dataFilePath: string,
  file = '<delete file>',
): BigInt64Array {
  const table = readArrowDataFile(bytes, POSITION_DELETE_SCHEMA.fields, file);
  const paths = table.getChild('file_path');
  const pos = table.getChild('pos');
  if (!paths || !pos || !arrow.DataType.isInt(pos.type) || pos.type.bitWidth !== 64)
    throw new Error(`${file}: not a position delete file (no file_path string and pos long columns)`);
  const out = new BigInt64Array(table.numRows);
  let n = 0;
  let last = -1n;
  for (let i = 0; i < table.numRows; i++) {
    const path = paths.get(i) as string | null;
    if (path !== dataFilePath) continue;
    const p = pos.get(i) as bigint | null;
    if (p === null || p < 0n) throw new Error(`${file}: row ${i} deletes position ${p} of ${path}`);
    if (p < last)
      throw new Error(`${file}: row ${i} deletes position ${p} after ${last}: rows are not sorted by pos`);
    if (p !== last) out[n++] = p;
    last = p;
  }
  return out.slice(0, n);
}
