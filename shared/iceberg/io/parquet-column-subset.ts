// A Parquet file holding only some top-level primitive columns of another (and only some of its row
// groups), made by copying those columns' chunks byte for byte and re-encoding the footer. parquet-wasm's
// column projection still costs most of a whole-file read; a file of just the chunks wanted costs what
// those columns do (the merge-on-read key lookup reads key and order columns this way: shared/cow/README.md,
// Merge-on-read).

import {
  chunkMetaData,
  CHUNK,
  columnChunkStructs,
  decodeFooterStruct,
  FILE,
  GROUP,
  META,
  PARQUET_MAGIC,
  rowGroupStructs,
  SCHEMA,
} from './parquet-footer-struct.js';
import { firstPageOffset } from './parquet-splice.js';
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

/** FileMetaData.column_orders, RowGroup.total_byte_size / sorting_columns / total_compressed_size. */
const FILE_COLUMN_ORDERS = 7;
const GROUP_TOTAL_BYTE_SIZE = 2;
const GROUP_SORTING_COLUMNS = 4;
const GROUP_TOTAL_COMPRESSED_SIZE = 6;
const META_BLOOM_FILTER = [META.bloomFilterOffset, 15];

function int(struct: ThriftStruct, id: number): number | undefined {
  const v = thriftField(struct, id)?.value;
  return typeof v === 'number' || typeof v === 'bigint' ? Number(v) : undefined;
}

/**
 * The columns of `bytes` with the given Parquet field ids (top-level, primitive; those missing from the
 * file are left out), of the row groups `rowGroups` (indexes ascending; all without), as a Parquet file.
 * Undefined when it cannot be made (an encrypted file or chunk, a chunk in another file, a wanted column
 * that is a group): the caller reads the original instead.
 */
export function columnSubset(
  bytes: Uint8Array,
  file: string,
  fieldIds: readonly number[],
  rowGroups?: readonly number[],
): Uint8Array | undefined {
  const { footer } = decodeFooterStruct(bytes, file);
  return columnSubsetOf(
    footer,
    (start, end) => (end <= bytes.length ? bytes.subarray(start, end) : undefined),
    fieldIds,
    rowGroups,
  );
}

/** A byte range [start, end) of a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The byte ranges of the column chunks columnSubsetOf copies (adjacent chunks of a row group as one
 * range), for a read of just those; undefined when the subset cannot be made.
 */
export function columnSubsetRanges(
  footer: ThriftStruct,
  fieldIds: readonly number[],
  rowGroups?: readonly number[],
): ByteRange[] | undefined {
  const kept = keptColumns(footer, fieldIds);
  if (!kept) return undefined;
  const groups = rowGroupStructs(footer);
  const ranges: ByteRange[] = [];
  for (const g of rowGroups ?? groups.map((_, g) => g)) {
    const chunks = columnChunkStructs(groups[g]!);
    const own: ByteRange[] = [];
    for (const k of kept.leaves) {
      const chunk = chunks[k]!;
      if (thriftField(chunk, CHUNK.filePath) || thriftField(chunk, CHUNK.crypto)) return undefined;
      if (thriftField(chunk, CHUNK.encryptedMetaData)) return undefined;
      const meta = chunkMetaData(chunk);
      const start = firstPageOffset(meta);
      own.push({ start, end: start + (int(meta, META.totalCompressedSize) ?? 0) });
    }
    own.sort((a, b) => a.start - b.start);
    for (const r of own) {
      const last = ranges[ranges.length - 1];
      if (last && last.end === r.start) last.end = r.end;
      else ranges.push({ ...r });
    }
  }
  return ranges;
}

/** The top-level columns with the given field ids, and the leaf (column chunk) index of each. */
function keptColumns(
  footer: ThriftStruct,
  fieldIds: readonly number[],
): { root: ThriftStruct; elements: ThriftStruct[]; leaves: number[] } | undefined {
  const elements = requiredField<ThriftList>(footer, FILE.schema, ThriftType.List, 'schema')
    .items as ThriftStruct[];
  const keptElements: ThriftStruct[] = [];
  const keptLeaves: number[] = [];
  let at = 1;
  let leaf = 0;
  const wanted = new Set(fieldIds);
  const skip = (): number => {
    // the leaves under the element at `at` (itself when a leaf); moves `at` past its subtree
    const el = elements[at++]!;
    const children = int(el, SCHEMA.numChildren) ?? 0;
    if (children === 0) return 1;
    let leaves = 0;
    for (let c = 0; c < children; c++) leaves += skip();
    return leaves;
  };
  const rootChildren = int(elements[0]!, SCHEMA.numChildren) ?? 0;
  for (let c = 0; c < rootChildren; c++) {
    const el = elements[at]!;
    const id = int(el, SCHEMA.fieldId);
    const leaves = skip();
    if (id !== undefined && wanted.has(id)) {
      if ((int(el, SCHEMA.numChildren) ?? 0) > 0) return undefined;
      keptElements.push(el);
      keptLeaves.push(leaf);
    }
    leaf += leaves;
  }
  return { root: elements[0]!, elements: keptElements, leaves: keptLeaves };
}

/**
 * columnSubset from a decoded footer and a reader of the file's bytes [start, end) (undefined when it
 * does not hold them): the whole file's bytes, or the ranges columnSubsetRanges names.
 */
export function columnSubsetOf(
  footer: ThriftStruct,
  bytesAt: (start: number, end: number) => Uint8Array | undefined,
  fieldIds: readonly number[],
  rowGroups?: readonly number[],
): Uint8Array | undefined {
  if (thriftField(footer, FILE.encryption)) return undefined;
  const kept = keptColumns(footer, fieldIds);
  if (!kept) return undefined;
  const { elements: keptElements, leaves: keptLeaves } = kept;
  const root = cloneThriftStruct(kept.root);
  setThriftField(root, SCHEMA.numChildren, ThriftType.I32, keptElements.length);

  const groups = rowGroupStructs(footer);
  const chosen = rowGroups ?? groups.map((_, g) => g);
  const parts: Uint8Array[] = [];
  let size = 4;
  let rows = 0n;
  const newGroups: ThriftStruct[] = [];
  for (const [ordinal, g] of chosen.entries()) {
    const group = groups[g]!;
    const chunks = columnChunkStructs(group);
    const moved: ThriftStruct[] = [];
    let byteSize = 0n;
    let compressed = 0n;
    for (const k of keptLeaves) {
      const chunk = cloneThriftStruct(chunks[k]!);
      if (thriftField(chunk, CHUNK.filePath) || thriftField(chunk, CHUNK.crypto)) return undefined;
      if (thriftField(chunk, CHUNK.encryptedMetaData)) return undefined;
      const meta = chunkMetaData(chunk);
      const start = firstPageOffset(meta);
      const length = int(meta, META.totalCompressedSize) ?? 0;
      const chunkBytes = start < 4 ? undefined : bytesAt(start, start + length);
      if (!chunkBytes) return undefined;
      parts.push(chunkBytes);
      const delta = BigInt(size - start);
      for (const [struct, id] of [
        [chunk, CHUNK.fileOffset],
        [meta, META.dataPageOffset],
        [meta, META.indexPageOffset],
        [meta, META.dictionaryPageOffset],
      ] as const) {
        const f = thriftField(struct, id);
        if (f && f.type === ThriftType.I64 && (f.value as bigint) > 0n) f.value = (f.value as bigint) + delta;
      }
      removeThriftFields(chunk, CHUNK.pageIndexes);
      removeThriftFields(meta, META_BLOOM_FILTER);
      byteSize += BigInt(int(meta, META.totalUncompressedSize) ?? 0);
      compressed += BigInt(length);
      size += length;
      moved.push(chunk);
    }
    const copy = cloneThriftStruct(group);
    setThriftField(copy, GROUP.columns, ThriftType.List, {
      kind: ThriftType.List,
      elementType: ThriftType.Struct,
      items: moved,
    });
    setThriftField(copy, GROUP_TOTAL_BYTE_SIZE, ThriftType.I64, byteSize);
    removeThriftFields(copy, [GROUP_SORTING_COLUMNS]);
    if (thriftField(copy, GROUP_TOTAL_COMPRESSED_SIZE))
      setThriftField(copy, GROUP_TOTAL_COMPRESSED_SIZE, ThriftType.I64, compressed);
    if (thriftField(copy, GROUP.fileOffset)) {
      const first = moved[0] ? firstPageOffset(chunkMetaData(moved[0])) : size;
      setThriftField(copy, GROUP.fileOffset, ThriftType.I64, BigInt(first));
    }
    if (thriftField(copy, GROUP.ordinal)) setThriftField(copy, GROUP.ordinal, ThriftType.I16, ordinal);
    rows += BigInt(int(group, GROUP.numRows) ?? 0);
    newGroups.push(copy);
  }

  const out = cloneThriftStruct({ ...footer, fields: footer.fields.filter((f) => f.id !== FILE.rowGroups) });
  setThriftField(out, FILE.schema, ThriftType.List, {
    kind: ThriftType.List,
    elementType: ThriftType.Struct,
    items: [root, ...keptElements.map((e) => cloneThriftStruct(e))],
  });
  setThriftField(out, FILE.numRows, ThriftType.I64, rows);
  setThriftField(out, FILE.rowGroups, ThriftType.List, {
    kind: ThriftType.List,
    elementType: ThriftType.Struct,
    items: newGroups,
  });
  // the Arrow schema a writer embeds describes every column: without it the reader maps the Parquet
  // schema kept (field ids included)
  const kv = thriftField(out, FILE.keyValueMetadata);
  if (kv?.type === ThriftType.List) {
    const list = kv.value as ThriftList;
    list.items = list.items.filter((item) => {
      const key = thriftField(item as ThriftStruct, 1)?.value;
      return !(key instanceof Uint8Array && new TextDecoder().decode(key) === 'ARROW:schema');
    });
  }
  const orders = thriftField(out, FILE_COLUMN_ORDERS);
  if (orders?.type === ThriftType.List) {
    const list = orders.value as ThriftList;
    list.items = keptLeaves.map((k) => list.items[k]!);
  }
  const encoded = encodeThriftStruct(out);
  const result = new Uint8Array(size + encoded.length + 8);
  result.set(PARQUET_MAGIC, 0);
  let offset = 4;
  for (const p of parts) {
    result.set(p, offset);
    offset += p.length;
  }
  result.set(encoded, size);
  new DataView(result.buffer).setUint32(size + encoded.length, encoded.length, true);
  result.set(PARQUET_MAGIC, size + encoded.length + 4);
  return result;
}
