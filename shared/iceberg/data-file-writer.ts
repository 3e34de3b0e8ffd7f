// Writing a table's data files: rows or Arrow tables of the current schema encoded as Parquet (the table's
// row-group property honoured) and stored under `<location>/data/<partition path>/<uuid>.parquet`.

import { randomUUID } from 'node:crypto';
import type * as arrow from 'apache-arrow';
import { rowsToArrowTable } from './arrow/arrow-rows.js';
import { writePositionDeleteFile, type PositionDeleteInput } from './io/position-delete-file.js';
import {
  writeArrowDataFile,
  type DataFile,
  type WriteOptions,
  type WrittenDataFile,
} from './io/parquet-data-file.js';
import { currentSchema, defaultSpec } from './spec/metadata-access.js';
import type { TableMetadata } from './spec/metadata-types.js';
import { BoundPartitionSpec } from './spec/partitioning.js';
import type { Row } from './spec/values.js';
import type { FileStore } from './file-store.js';
import { ROW_GROUP_LIMIT_PROPERTY } from './table-properties.js';

/** `location` joined with the non-empty `parts` by single slashes. */
export function tablePath(location: string, ...parts: string[]): string {
  return [location.replace(/\/+$/, ''), ...parts.filter((p) => p !== '')].join('/');
}

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
  const path = tablePath(metadata.location, 'data', spec.pathOf(partition), `${randomUUID()}.parquet`);
  await store.put(path, written.bytes, { ifAbsent: true, contentType: 'application/vnd.apache.parquet' });
  return { ...written.dataFile, filePath: path, partition };
}

/**
 * Write one position delete file for one data file (file-scoped, in the data file's partition folder,
 * `<uuid>-deletes.parquet`); returns its manifest entry's data_file (content 1).
 */
export async function writePositionDeletes(
  metadata: TableMetadata,
  store: FileStore,
  input: PositionDeleteInput,
): Promise<DataFile> {
  const written = writePositionDeleteFile(input, tableWriteOptions(metadata));
  const spec = new BoundPartitionSpec(defaultSpec(metadata), currentSchema(metadata));
  const path = tablePath(
    metadata.location,
    'data',
    spec.pathOf(input.partition),
    `${randomUUID()}-deletes.parquet`,
  );
  await store.put(path, written.bytes, { ifAbsent: true, contentType: 'application/vnd.apache.parquet' });
  return { ...written.dataFile, filePath: path };
}
