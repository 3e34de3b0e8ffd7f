// Iceberg data files in Parquet: an Arrow table (field ids in `PARQUET:field_id`) → ZSTD Parquet bytes
// through parquet-wasm, with the `iceberg.schema` key-value and the manifest's column metrics; and the
// reverse, with column projection, back to Arrow or rows exactly.
//
// parquet-wasm consumes the Table and WriterProperties passed to writeParquet (their pointers are zeroed;
// a reused WriterProperties silently writes uncompressed), so both are built fresh for every file, and
// every wasm object not consumed is freed explicitly (wasm memory never shrinks).

import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { arrowTableToRows, rowsToArrowTable } from '../arrow/arrow-rows.js';
import { computeBoundsAndNaNs } from './column-metrics.js';
import { readParquetFooter, type ParquetFooterFacts } from './parquet-footer.js';
import { boundsFromStatistics } from './statistics-bounds.js';
import type { NestedField, Schema } from '../spec/types.js';
import type { IcebergValue, Row } from '../spec/values.js';

/** A data file as a manifest entry describes it (`data_file`, struct id 2 of the manifest entry). */
export interface DataFile {
  /** 0 data, 1 position deletes, 2 equality deletes */
  content: 0 | 1 | 2;
  filePath: string;
  fileFormat: 'PARQUET' | 'AVRO' | 'ORC';
  /** Partition tuple, by partition field name, values in the values.ts form of the result type. */
  partition: Record<string, IcebergValue>;
  recordCount: number;
  fileSizeInBytes: number;
  columnSizes: Map<number, number>;
  valueCounts: Map<number, number>;
  nullValueCounts: Map<number, number>;
  nanValueCounts: Map<number, number>;
  lowerBounds: Map<number, Uint8Array>;
  upperBounds: Map<number, Uint8Array>;
  keyMetadata?: Uint8Array | null;
  splitOffsets?: number[] | null;
  equalityIds?: number[] | null;
  sortOrderId?: number | null;
}

/**
 * Rows per row group of every data file unless told otherwise (parquet-wasm's own default is 1,048,576).
 * A copy-on-write rewrite encodes again only the row groups that hold a changed row and copies the rest
 * (parquet-splice.ts), so smaller groups make a change to a few recent keys cheaper: one group is
 * encoded instead of the whole file (README.md, Measured). 65,536 rows is also one record batch when
 * read (READ_BATCH_ROWS).
 */
export const DEFAULT_ROW_GROUP_ROWS = 65_536;

export interface WriteOptions {
  /** Rows per row group (default DEFAULT_ROW_GROUP_ROWS). */
  maxRowGroupSize?: number;
  /** ZSTD level; parquet-wasm's default when unset. */
  compression?: 'ZSTD' | 'SNAPPY' | 'UNCOMPRESSED';
}

export interface WrittenDataFile {
  bytes: Uint8Array;
  /** Everything of the manifest's data_file except the path and partition, which the caller knows. */
  dataFile: Omit<DataFile, 'filePath' | 'partition'>;
}

/**
 * Dictionary page size per column chunk, at most; past it the column falls back to plain encoding.
 * parquet-wasm's default (1 MiB) dictionary-encodes unique keys and timestamps, which ZSTD then
 * compresses worse than their plain values: the smaller limit writes smaller files in less time
 * (README.md, Measured), and a low-cardinality column still fits its dictionary.
 */
export const DICTIONARY_PAGE_BYTES = 32 * 1024;

/** The writer settings of every data file (built fresh per file: writeParquet consumes them). */
export function dataFileWriterProperties(schema: Schema, options: WriteOptions = {}): pw.WriterProperties {
  return new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression[options.compression ?? 'ZSTD'])
    .setKeyValueMetadata(new Map([['iceberg.schema', JSON.stringify(schema)]]))
    .setDictionaryPageSizeLimit(DICTIONARY_PAGE_BYTES)
    .setMaxRowGroupSize(options.maxRowGroupSize ?? DEFAULT_ROW_GROUP_ROWS)
    .build();
}

/** Parquet bytes of an Arrow table (no metrics): the bare parquet-wasm path. */
export function arrowToParquetBytes(
  table: arrow.Table,
  schema: Schema,
  options: WriteOptions = {},
): Uint8Array {
  const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  return pw.writeParquet(wasmTable, dataFileWriterProperties(schema, options));
}

/**
 * Write an Arrow table whose columns are the schema's fields, in order (as rowsToArrowTable builds it),
 * and compute the data_file metrics: sizes, value and null counts per leaf field id from the footer,
 * bounds and NaN counts from the Arrow buffers, split offsets from the row groups.
 */
export function writeArrowDataFile(
  table: arrow.Table,
  schema: Schema,
  options: WriteOptions = {},
): WrittenDataFile {
  if (table.schema.fields.length !== schema.fields.length) {
    throw new Error(
      `the Arrow table has ${table.schema.fields.length} columns, schema ${schema['schema-id']} has ${schema.fields.length}`,
    );
  }
  return describeDataFile(arrowToParquetBytes(table, schema, options), table, schema);
}

/**
 * The data_file description of Parquet bytes from their footer alone, with no Arrow data: undefined unless
 * every top-level column's bounds come from the footer's statistics (statistics-bounds.ts; a float column
 * needs the data for its NaN count). For a file spliced from row groups whose rows were not all read.
 */
export function describeDataFileFromFooter(bytes: Uint8Array, schema: Schema): WrittenDataFile | undefined {
  const footer = readParquetFooter(bytes);
  const fromStatistics = boundsFromStatistics(footer, schema.fields);
  if (!schema.fields.every((f) => fromStatistics.covered.has(f.id))) return undefined;
  return {
    bytes,
    dataFile: footerDataFile(
      bytes,
      footer,
      fromStatistics.lowerBounds,
      fromStatistics.upperBounds,
      new Map(),
    ),
  };
}

/**
 * The data_file description of Parquet bytes that hold exactly `table`'s rows (written by
 * arrowToParquetBytes, or spliced from such files): sizes and counts from the footer, bounds and NaN
 * counts from the Arrow columns.
 */
export function describeDataFile(bytes: Uint8Array, table: arrow.Table, schema: Schema): WrittenDataFile {
  const footer = readParquetFooter(bytes);
  if (footer.rowCount !== table.numRows) {
    throw new Error(`the Parquet file holds ${footer.rowCount} rows, its Arrow table ${table.numRows}`);
  }
  // Bounds from the footer's statistics where they are exact (statistics-bounds.ts), the rest from the
  // Arrow data.
  const fromStatistics = boundsFromStatistics(footer, schema.fields);
  const rest = schema.fields.flatMap((field, k) =>
    fromStatistics.covered.has(field.id)
      ? []
      : [{ field, chunks: table.batches.map((b) => b.data.children[k]!) }],
  );
  const fromData = computeBoundsAndNaNs(
    rest.map((r) => r.field),
    rest.map((r) => r.chunks),
  );
  const lower = new Map([...fromStatistics.lowerBounds, ...fromData.lowerBounds]);
  const upper = new Map([...fromStatistics.upperBounds, ...fromData.upperBounds]);
  return { bytes, dataFile: footerDataFile(bytes, footer, lower, upper, fromData.nanValueCounts) };
}

/** The data_file fields of a Parquet file: sizes and counts from its footer, the bounds given. */
function footerDataFile(
  bytes: Uint8Array,
  footer: ParquetFooterFacts,
  lower: Map<number, Uint8Array>,
  upper: Map<number, Uint8Array>,
  nanValueCounts: Map<number, number>,
): WrittenDataFile['dataFile'] {
  const columnSizes = new Map<number, number>();
  const valueCounts = new Map<number, number>();
  const nullValueCounts = new Map<number, number>();
  for (const leaf of footer.leaves) {
    if (leaf.fieldId === undefined)
      throw new Error(`Parquet column ${leaf.path.join('.')} was written without a field id`);
    columnSizes.set(leaf.fieldId, leaf.compressedSize);
    valueCounts.set(leaf.fieldId, leaf.valueCount);
    if (leaf.nullCount !== undefined) nullValueCounts.set(leaf.fieldId, leaf.nullCount);
  }
  // bounds in column order, as the data alone gives them
  const inColumnOrder = (bounds: Map<number, Uint8Array>) => {
    const out = new Map<number, Uint8Array>();
    for (const { fieldId: id } of footer.leaves) {
      const bound = id === undefined ? undefined : bounds.get(id);
      if (bound) out.set(id!, bound);
    }
    return out;
  };
  return {
    content: 0,
    fileFormat: 'PARQUET',
    recordCount: footer.rowCount,
    fileSizeInBytes: bytes.length,
    columnSizes,
    valueCounts,
    nullValueCounts,
    nanValueCounts,
    lowerBounds: inColumnOrder(lower),
    upperBounds: inColumnOrder(upper),
    splitOffsets: footer.splitOffsets,
    sortOrderId: 0,
  };
}

export function writeRowsDataFile(
  rows: readonly Row[],
  schema: Schema,
  options: WriteOptions = {},
): WrittenDataFile {
  return writeArrowDataFile(rowsToArrowTable(schema, rows), schema, options);
}

/**
 * Rows per Arrow record batch when a data file is read, at most. parquet-wasm's default (1,024) turns a
 * 250,000-row file into 245 IPC messages and record batches, which cost more to hand over and walk than
 * the decoding itself.
 */
export const READ_BATCH_ROWS = 65_536;

/**
 * Encoded bytes of one column per record batch, at most: a batch of wide values is cut smaller so a
 * string column stays far below Arrow's 2 GiB per chunk (decoded values can be larger than encoded ones:
 * dictionaries).
 */
const READ_BATCH_BYTES = 128 * 1024 * 1024;

/**
 * The reader options of every data file read (the copy-on-write bench times bare parquet-wasm with
 * them): READ_BATCH_ROWS rows per batch, fewer (down to 1,024) when the widest column's encoded bytes
 * per row would make a batch's column larger than READ_BATCH_BYTES.
 */
export function dataFileReadOptions(footer: ParquetFooterFacts, columns?: string[]): pw.ReaderOptions {
  let widest = 0;
  for (const leaf of footer.leaves) widest = Math.max(widest, leaf.uncompressedSize);
  const perRow = footer.rowCount > 0 ? widest / footer.rowCount : 0;
  const rows = perRow > 0 ? Math.floor(READ_BATCH_BYTES / perRow) : READ_BATCH_ROWS;
  const batchSize = Math.max(1024, Math.min(READ_BATCH_ROWS, rows));
  return columns ? { batchSize, columns } : { batchSize };
}

/**
 * Read a data file into Arrow, projecting the given fields (by field id, as Iceberg resolves columns;
 * a field missing from the file, e.g. added later, reads as nulls when converted to rows).
 */
export function readArrowDataFile(
  bytes: Uint8Array,
  fields?: readonly NestedField[],
  file = '<parquet>',
  /** Only these row groups (indexes, ascending), in order. */
  rowGroups?: readonly number[],
): arrow.Table {
  let columns: string[] | undefined;
  const footer = readParquetFooter(bytes, file);
  if (fields) {
    columns = [];
    for (const f of fields) {
      const col = footer.columns.find((c) => c.fieldId === f.id);
      if (col) columns.push(col.name);
    }
    if (columns.length === 0) return new arrow.Table();
  }
  const options = dataFileReadOptions(footer, columns);
  const wasmTable = pw.readParquet(bytes, rowGroups ? { ...options, rowGroups: [...rowGroups] } : options);
  try {
    // intoIPCStream consumes the table; the finally only matters if it throws first.
    return arrow.tableFromIPC(wasmTable.intoIPCStream());
  } catch (e) {
    throw new Error(`${file}: cannot read Parquet data: ${(e as Error).message}`);
  }
}

export function readRowsDataFile(
  bytes: Uint8Array,
  fields: readonly NestedField[],
  file = '<parquet>',
): Row[] {
  const table = readArrowDataFile(bytes, fields, file);
  if (table.numCols === 0) {
    const n = readParquetFooter(bytes, file).rowCount;
    return Array.from({ length: n }, () => Object.fromEntries(fields.map((f) => [f.name, null])));
  }
  return arrowTableToRows(table, fields);
}
