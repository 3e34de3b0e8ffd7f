// Splice Parquet files at row-group boundaries: a new file made of some row groups of an original file,
// copied byte for byte, and the row groups of freshly encoded files, in any order. A copy-on-write
// rewrite uses it to re-encode only the row groups that hold a changed row: the rest of the file is
// copied, not decoded and encoded again (the encoding is most of a rewrite's cost).
//
// Only the footer is rewritten: every byte offset in a copied row group's metadata is moved by the
// distance the group moved. Page indexes (column and offset index) are dropped from the footer rather
// than moved (they are optional; readers then read pages without them). Files with bloom filters,
// encryption or column chunks in other files are refused (SpliceRefused): the caller encodes the whole
// file instead.

import {
  CHUNK,
  chunkMetaData,
  columnChunkStructs,
  decodeFooterStruct,
  FILE,
  GROUP,
  META,
  PARQUET_MAGIC,
  rowGroupStructs,
} from './parquet-footer-struct.js';
import {
  cloneThriftStruct,
  encodeThriftStruct,
  removeThriftFields,
  requiredField,
  setThriftField,
  thriftField,
  ThriftType,
  type ThriftList,
  type ThriftStruct,
} from './thrift-compact.js';

/** Why a splice cannot be done; the caller falls back to encoding the whole file. */
export class SpliceRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpliceRefused';
  }
}

/** One row group of a file: its rows and the bytes its column chunks occupy. */
export interface RowGroupLayout {
  /** Row number of its first row in the file. */
  firstRow: number;
  rows: number;
  /** Byte range [start, end) of its column chunks. */
  start: number;
  end: number;
  metadata: ThriftStruct;
}

export interface ParquetLayout {
  footer: ThriftStruct;
  groups: RowGroupLayout[];
}

/** The decoded footer and the row groups of a Parquet file. Throws SpliceRefused for what it cannot move. */
export function parquetLayout(bytes: Uint8Array, file = '<parquet>'): ParquetLayout {
  const { footer, footerStart } = decodeFooterStruct(bytes, file);
  return footerLayout(footer, footerStart, file);
}

/** parquetLayout from a decoded footer starting at `footerStart` of the file. */
export function footerLayout(footer: ThriftStruct, footerStart: number, file = '<parquet>'): ParquetLayout {
  if (thriftField(footer, FILE.encryption)) throw new SpliceRefused(`${file}: the file is encrypted`);
  const groups: RowGroupLayout[] = [];
  let firstRow = 0;
  for (const metadata of rowGroupStructs(footer)) {
    const rows = Number(requiredField<bigint>(metadata, GROUP.numRows, ThriftType.I64, 'row group num_rows'));
    let start = Infinity;
    let end = 0;
    for (const chunk of columnChunkStructs(metadata)) {
      if (thriftField(chunk, CHUNK.filePath))
        throw new SpliceRefused(`${file}: a column chunk is in another file`);
      if (thriftField(chunk, CHUNK.crypto) || thriftField(chunk, CHUNK.encryptedMetaData)) {
        throw new SpliceRefused(`${file}: a column chunk is encrypted`);
      }
      const meta = chunkMetaData(chunk);
      if (thriftField(meta, META.bloomFilterOffset))
        throw new SpliceRefused(`${file}: the file has bloom filters`);
      const size = Number(
        requiredField<bigint>(meta, META.totalCompressedSize, ThriftType.I64, 'total_compressed_size'),
      );
      const chunkStart = firstPageOffset(meta);
      start = Math.min(start, chunkStart);
      end = Math.max(end, chunkStart + size);
    }
    if (!(start >= 4 && end <= footerStart && start <= end)) {
      throw new Error(
        `${file}: row group ${groups.length} has column chunks outside the data (${start}..${end})`,
      );
    }
    groups.push({ firstRow, rows, start, end, metadata });
    firstRow += rows;
  }
  return { footer, groups };
}

/** parquetLayout, or undefined for a file the splice refuses (other errors are thrown). */
export function spliceableLayout(bytes: Uint8Array, file = '<parquet>'): ParquetLayout | undefined {
  return refusedAsUndefined(() => parquetLayout(bytes, file));
}

/** footerLayout, or undefined for a file the splice refuses (other errors are thrown). */
export function spliceableFooterLayout(
  footer: ThriftStruct,
  footerStart: number,
  file = '<parquet>',
): ParquetLayout | undefined {
  return refusedAsUndefined(() => footerLayout(footer, footerStart, file));
}

function refusedAsUndefined(layout: () => ParquetLayout): ParquetLayout | undefined {
  try {
    return layout();
  } catch (error) {
    if (error instanceof SpliceRefused) return undefined;
    throw error;
  }
}

/** Where a column chunk's pages start: its dictionary page when it has one, else its first data page. */
export function firstPageOffset(meta: ThriftStruct): number {
  const data = Number(requiredField<bigint>(meta, META.dataPageOffset, ThriftType.I64, 'data_page_offset'));
  const dictionary = thriftField(meta, META.dictionaryPageOffset);
  const index = thriftField(meta, META.indexPageOffset);
  let start = data;
  for (const f of [dictionary, index]) {
    if (f && f.type === ThriftType.I64 && (f.value as bigint) > 0n) start = Math.min(start, Number(f.value));
  }
  return start;
}

/** A copy of a row group's metadata with every byte offset moved by `delta` and its page indexes dropped. */
function movedRowGroup(group: ThriftStruct, delta: bigint, ordinal: number): ThriftStruct {
  const moved = cloneThriftStruct(group);
  const shift = (struct: ThriftStruct, id: number): void => {
    const f = thriftField(struct, id);
    // 0 means "not set" for the deprecated offsets some writers leave at 0
    if (f && f.type === ThriftType.I64 && (f.value as bigint) > 0n) f.value = (f.value as bigint) + delta;
  };
  shift(moved, GROUP.fileOffset);
  if (thriftField(moved, GROUP.ordinal)) setThriftField(moved, GROUP.ordinal, ThriftType.I16, ordinal);
  for (const chunk of columnChunkStructs(moved)) {
    shift(chunk, CHUNK.fileOffset);
    removeThriftFields(chunk, CHUNK.pageIndexes);
    const meta = chunkMetaData(chunk);
    shift(meta, META.dataPageOffset);
    shift(meta, META.indexPageOffset);
    shift(meta, META.dictionaryPageOffset);
  }
  return moved;
}

/** A row group taken from a file: the file's bytes, its layout and the group's. */
export interface SplicedGroup {
  /** The file's bytes from `bytesStart` (0 without) on: the whole file, or a range holding the group. */
  bytes: Uint8Array;
  bytesStart?: number;
  layout: ParquetLayout;
  group: RowGroupLayout;
}

/**
 * A Parquet file made of the given row groups, in order. The footer (schema, key-value metadata, writer,
 * column orders) is `footerFrom`'s, so every group must come from a file with the same Parquet schema:
 * any other is refused (SpliceRefused).
 */
export function spliceRowGroups(groups: readonly SplicedGroup[], footerFrom: ParquetLayout): Uint8Array {
  const schema = schemaBytes(footerFrom.footer);
  for (const layout of new Set(groups.map((g) => g.layout))) {
    if (layout !== footerFrom && Buffer.compare(schemaBytes(layout.footer), schema) !== 0) {
      throw new SpliceRefused('the row groups were written with different Parquet schemas');
    }
  }
  let size = 4;
  for (const g of groups) size += g.group.end - g.group.start;
  const body = new Uint8Array(size);
  body.set(PARQUET_MAGIC, 0);
  let at = 4;
  let rows = 0n;
  const moved: ThriftStruct[] = [];
  groups.forEach(({ bytes, bytesStart = 0, group }, ordinal) => {
    body.set(bytes.subarray(group.start - bytesStart, group.end - bytesStart), at);
    moved.push(movedRowGroup(group.metadata, BigInt(at - group.start), ordinal));
    at += group.end - group.start;
    rows += BigInt(group.rows);
  });
  const footer = cloneThriftStruct(footerFrom.footer);
  setThriftField(footer, FILE.numRows, ThriftType.I64, rows);
  setThriftField(footer, FILE.rowGroups, ThriftType.List, {
    kind: ThriftType.List,
    elementType: ThriftType.Struct,
    items: moved,
  });
  const encoded = encodeThriftStruct(footer);
  const out = new Uint8Array(size + encoded.length + 8);
  out.set(body, 0);
  out.set(encoded, size);
  new DataView(out.buffer).setUint32(size + encoded.length, encoded.length, true);
  out.set(PARQUET_MAGIC, size + encoded.length + 4);
  return out;
}

function schemaBytes(footer: ThriftStruct): Uint8Array {
  const schema = requiredField<ThriftList>(footer, FILE.schema, ThriftType.List, 'schema');
  return encodeThriftStruct({ fields: [{ id: FILE.schema, type: ThriftType.List, value: schema }] });
}
