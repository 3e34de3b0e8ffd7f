// Folding position deletes into data: one data file's rows minus the rows its position delete files
// delete, read in the current schema and written again as new data files, so that the data file and its
// delete files can leave the table together. Compaction folds every file with deletes it meets; a
// merge-on-read commit may fold one file whose delete debt passed its bound. Writing here commits
// nothing: the caller puts the result in its snapshot (added / removed / removedDeletes). It sits in the
// table layer so that both the commit engine (pipeline) and maintenance can call it.

import { conformRow, widenedFields } from '../cow/conform.js';
import { writeDataFiles, type DataFileWriteOptions } from '../iceberg/data-file-writer.js';
import type { FileStore } from '../iceberg/file-store.js';
import { readRowsDataFile, type DataFile } from '../iceberg/io/parquet-data-file.js';
import { deletedPositions, referencedDataFile } from '../iceberg/manifests/position-delete-index.js';
import { currentSchema } from '../iceberg/spec/metadata-access.js';
import type { TableMetadata } from '../iceberg/spec/metadata-types.js';
import type { Row } from '../iceberg/spec/values.js';
import type { LiveDataFile } from '../iceberg/table-files.js';

export interface LiveRowsOfFile {
  /** The rows no delete removes, in file order, conformed to the current schema. */
  rows: Row[];
  /** How many rows its delete files remove (distinct positions). */
  deletedRows: number;
}

/**
 * The rows of one live data file that its position deletes leave, in the current schema (values of a
 * widened column conformed). A file holding another row count than its manifest entry says is refused:
 * its positions would name other rows.
 */
export async function readLiveRowsOfFile(
  metadata: TableMetadata,
  store: FileStore,
  file: LiveDataFile,
): Promise<LiveRowsOfFile> {
  const schema = currentSchema(metadata);
  const longs = widenedFields(schema.fields);
  const path = file.dataFile.filePath;
  const read = readRowsDataFile(await store.get(path), schema.fields, path);
  if (read.length !== file.dataFile.recordCount)
    throw new Error(
      `${path}: holds ${read.length} rows, its manifest entry says ${file.dataFile.recordCount}`,
    );
  const deleted =
    file.deletes.length > 0 ? await deletedPositions(file, file.deletes, (p) => store.get(p)) : undefined;
  const rows: Row[] = [];
  for (let i = 0; i < read.length; i++) {
    if (deleted?.has(i)) continue;
    const row = read[i]!;
    rows.push(longs.length > 0 ? conformRow(row, longs) : row);
  }
  return { rows, deletedRows: deleted?.size ?? 0 };
}

/**
 * The delete files that leave the table with `file`: those naming only it (file-scoped). A delete file
 * that may name other data files (another writer's, partition-scoped) stays for them; it no longer
 * applies to the rewritten rows, whose data sequence number is newer.
 */
export function foldedDeleteFiles(file: LiveDataFile): string[] {
  return file.deletes
    .filter((d) => referencedDataFile(d.dataFile) === file.dataFile.filePath)
    .map((d) => d.dataFile.filePath);
}

export interface FoldedFile {
  /** The data files written for the rows left: none when every row was deleted. */
  added: DataFile[];
  /** The folded data file's path. */
  removed: string[];
  /** Its file-scoped delete files (the snapshot producer removes them with it in any case). */
  removedDeletes: string[];
  /** Rows written, and rows the deletes removed. */
  rows: number;
  deletedRows: number;
}

/**
 * Fold one live data file (from readLiveDataFiles, so it carries its delete files): write its rows left
 * as new data files of the default spec and return what the snapshot adds and removes. Nothing is
 * committed; on a refused commit `added` are the caller's garbage.
 */
export async function foldDataFile(
  metadata: TableMetadata,
  store: FileStore,
  file: LiveDataFile,
  options: DataFileWriteOptions = {},
): Promise<FoldedFile> {
  const { rows, deletedRows } = await readLiveRowsOfFile(metadata, store, file);
  const added = rows.length > 0 ? await writeDataFiles(metadata, store, rows, options) : [];
  return {
    added,
    removed: [file.dataFile.filePath],
    removedDeletes: foldedDeleteFiles(file),
    rows: rows.length,
    deletedRows,
  };
}
