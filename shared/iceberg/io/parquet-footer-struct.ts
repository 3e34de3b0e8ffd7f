// A Parquet footer as a Thrift struct tree (thrift-compact.ts), the one footer decoder of the project:
// parquet-footer.ts reads the manifest's facts from it, statistics-bounds.ts the min/max statistics and
// parquet-splice.ts edits and re-encodes it. Locating and decoding it, the field ids of parquet.thrift
// this project uses, and the walk to column chunks.

import {
  decodeThriftStruct,
  ThriftDecodeError,
  requiredField,
  ThriftType,
  type ThriftList,
  type ThriftStruct,
} from './thrift-compact.js';

export const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31]; // PAR1

// FileMetaData, SchemaElement, RowGroup, ColumnChunk, ColumnMetaData and Statistics field ids
// (parquet.thrift).
export const FILE = { schema: 2, numRows: 3, rowGroups: 4, keyValueMetadata: 5, encryption: 8 } as const;
export const SCHEMA = {
  type: 1,
  typeLength: 2,
  name: 4,
  numChildren: 5,
  fieldId: 9,
  logicalType: 10,
} as const;
export const GROUP = { columns: 1, numRows: 3, fileOffset: 5, ordinal: 7 } as const;
export const CHUNK = {
  filePath: 1,
  fileOffset: 2,
  metaData: 3,
  pageIndexes: [4, 5, 6, 7],
  crypto: 8,
  encryptedMetaData: 9,
} as const;
export const META = {
  type: 1,
  pathInSchema: 3,
  numValues: 5,
  totalUncompressedSize: 6,
  totalCompressedSize: 7,
  dataPageOffset: 9,
  indexPageOffset: 10,
  dictionaryPageOffset: 11,
  statistics: 12,
  bloomFilterOffset: 14,
} as const;
export const STATS = { nullCount: 3, maxValue: 5, minValue: 6, maxExact: 7, minExact: 8 } as const;

/** Parquet physical types (parquet.thrift Type). */
export const PHYSICAL = { INT32: 1, INT64: 2, BYTE_ARRAY: 6 } as const;

function isMagic(bytes: Uint8Array, at: number): boolean {
  return PARQUET_MAGIC.every((b, i) => bytes[at + i] === b);
}

/** The FileMetaData struct of a Parquet file and where it starts. `file` names it in errors. */
export function decodeFooterStruct(
  bytes: Uint8Array,
  file = '<parquet>',
): { footer: ThriftStruct; footerStart: number } {
  const n = bytes.length;
  if (n < 12 || !isMagic(bytes, 0) || !isMagic(bytes, n - 4)) {
    throw new Error(`${file}: not a Parquet file (no PAR1 at both ends)`);
  }
  return decodeFooterTail(bytes, n, file);
}

/**
 * The length of the footer of a Parquet file of `size` bytes from a tail of it (at least its last 8
 * bytes); undefined when the tail does not end as a Parquet file does.
 */
export function footerLength(tail: Uint8Array, size: number): number | undefined {
  const n = tail.length;
  if (n < 8 || size < 12 || !isMagic(tail, n - 4)) return undefined;
  const length = new DataView(tail.buffer, tail.byteOffset + n - 8, 4).getUint32(0, true);
  return size - 8 - length >= 4 ? length : undefined;
}

/**
 * The footer from the last bytes of a Parquet file of `size` bytes (`tail` holding at least the footer
 * and its 8 closing bytes); footerStart is its offset in the file.
 */
export function decodeFooterTail(
  tail: Uint8Array,
  size: number,
  file = '<parquet>',
): { footer: ThriftStruct; footerStart: number } {
  const n = tail.length;
  if (n < 8 || !isMagic(tail, n - 4)) throw new Error(`${file}: not a Parquet file (no PAR1 at its end)`);
  const length = new DataView(tail.buffer, tail.byteOffset + n - 8, 4).getUint32(0, true);
  const footerStart = size - 8 - length;
  if (footerStart < 4) throw new Error(`${file}: Parquet footer length ${length} is too large`);
  if (length + 8 > n)
    throw new Error(`${file}: the ${n} bytes read hold only part of the ${length}-byte footer`);
  try {
    return { footer: decodeThriftStruct(tail.subarray(n - 8 - length, n - 8)).struct, footerStart };
  } catch (e) {
    if (e instanceof ThriftDecodeError) throw new Error(`${file}: unreadable Parquet footer: ${e.message}`);
    throw e;
  }
}

export function rowGroupStructs(footer: ThriftStruct): ThriftStruct[] {
  return requiredField<ThriftList>(footer, FILE.rowGroups, ThriftType.List, 'row_groups')
    .items as ThriftStruct[];
}

/** A row group's column chunks, in leaf-column order. */
export function columnChunkStructs(group: ThriftStruct): ThriftStruct[] {
  return requiredField<ThriftList>(group, GROUP.columns, ThriftType.List, 'row group columns')
    .items as ThriftStruct[];
}

export function chunkMetaData(chunk: ThriftStruct): ThriftStruct {
  return requiredField<ThriftStruct>(chunk, CHUNK.metaData, ThriftType.Struct, 'column meta_data');
}
