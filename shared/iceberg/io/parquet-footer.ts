// What the manifest needs from a Parquet footer: per leaf column (keyed by its Parquet field_id) the
// compressed size summed over row groups, the value count (nulls included) and the null count; the
// row-group start offsets (`split_offsets`); the top-level columns. The footer is decoded once, by the
// Thrift codec the splice needs anyway (parquet-footer-struct.ts), and its row-group structs are kept so
// statistics-bounds.ts reads min/max from the same decoded footer.

import {
  chunkMetaData,
  columnChunkStructs,
  decodeFooterStruct,
  FILE,
  GROUP,
  META,
  rowGroupStructs,
  SCHEMA,
  STATS,
} from './parquet-footer-struct.js';
import { thriftField, ThriftType, type ThriftList, type ThriftStruct } from './thrift-compact.js';

export interface LeafColumnFacts {
  fieldId: number | undefined;
  path: string[];
  compressedSize: number;
  /** Uncompressed size (encoded pages) summed over row groups. */
  uncompressedSize: number;
  valueCount: number;
  nullCount: number | undefined;
}

/** One element of the Parquet schema (depth-first, the root first). */
export interface ParquetSchemaElement {
  name: string;
  /** Physical type (parquet.thrift Type), leaves only. */
  physicalType: number | undefined;
  typeLength: number | undefined;
  fieldId: number | undefined;
  numChildren: number;
  /** The LogicalType union as decoded, when the writer set one. */
  logicalType: ThriftStruct | undefined;
}

export interface ParquetFooterFacts {
  rowCount: number;
  splitOffsets: number[];
  leaves: LeafColumnFacts[];
  /** Top-level columns in file order, with their field ids. */
  columns: { name: string; fieldId: number | undefined }[];
  /** The full Parquet schema elements (depth-first), for inspection. */
  schema: ParquetSchemaElement[];
  keyValueMetadata: Map<string, string>;
  /** The decoded RowGroup structs, for the statistics (statistics-bounds.ts). */
  rowGroups: ThriftStruct[];
}

const utf8 = new TextDecoder();

function int(struct: ThriftStruct, id: number): number | undefined {
  const v = thriftField(struct, id)?.value;
  return typeof v === 'number' || typeof v === 'bigint' ? Number(v) : undefined;
}

function text(struct: ThriftStruct, id: number): string | undefined {
  const v = thriftField(struct, id)?.value;
  return v instanceof Uint8Array ? utf8.decode(v) : undefined;
}

function structs(struct: ThriftStruct, id: number): ThriftStruct[] {
  const f = thriftField(struct, id);
  return f?.type === ThriftType.List ? ((f.value as ThriftList).items as ThriftStruct[]) : [];
}

function strings(struct: ThriftStruct, id: number): string[] {
  const f = thriftField(struct, id);
  if (f?.type !== ThriftType.List) return [];
  return (f.value as ThriftList).items.map((v) => (v instanceof Uint8Array ? utf8.decode(v) : ''));
}

function schemaElement(el: ThriftStruct): ParquetSchemaElement {
  const logical = thriftField(el, SCHEMA.logicalType);
  return {
    name: text(el, SCHEMA.name) ?? '',
    physicalType: int(el, SCHEMA.type),
    typeLength: int(el, SCHEMA.typeLength),
    fieldId: int(el, SCHEMA.fieldId),
    numChildren: int(el, SCHEMA.numChildren) ?? 0,
    logicalType: logical?.type === ThriftType.Struct ? (logical.value as ThriftStruct) : undefined,
  };
}

/** Facts of a whole Parquet file's bytes. `file` names it in errors. */
export function readParquetFooter(bytes: Uint8Array, file = '<parquet>'): ParquetFooterFacts {
  return footerFacts(decodeFooterStruct(bytes, file).footer);
}

/** Facts of an already decoded footer (FileMetaData struct). */
export function footerFacts(footer: ThriftStruct): ParquetFooterFacts {
  const schema = structs(footer, FILE.schema).map(schemaElement);
  // Leaf field ids in column-chunk order: the depth-first leaves of the schema.
  const leafIds: (number | undefined)[] = [];
  const columns: { name: string; fieldId: number | undefined }[] = [];
  let i = 1;
  const walk = (depth: number): void => {
    const el = schema[i++];
    if (!el) throw new Error(`the Parquet schema ends before its declared children`);
    if (depth === 0) columns.push({ name: el.name, fieldId: el.fieldId });
    if (el.numChildren === 0) leafIds.push(el.fieldId);
    for (let c = 0; c < el.numChildren; c++) walk(depth + 1);
  };
  const rootChildren = schema[0]?.numChildren ?? 0;
  for (let c = 0; c < rootChildren; c++) walk(0);

  const rowGroups = rowGroupStructs(footer);
  const firstChunks = rowGroups[0] ? columnChunkStructs(rowGroups[0]) : [];
  const leaves: LeafColumnFacts[] = leafIds.map((fieldId, k) => {
    const chunk = firstChunks[k];
    return {
      fieldId,
      path: chunk ? strings(chunkMetaData(chunk), META.pathInSchema) : [],
      compressedSize: 0,
      uncompressedSize: 0,
      valueCount: 0,
      nullCount: 0,
    };
  });
  const splitOffsets: number[] = [];
  for (const group of rowGroups) {
    const chunks = columnChunkStructs(group);
    const first = chunks[0] ? chunkMetaData(chunks[0]) : undefined;
    const start =
      int(group, GROUP.fileOffset) ??
      (first && (int(first, META.dictionaryPageOffset) ?? int(first, META.dataPageOffset)));
    if (start !== undefined) splitOffsets.push(start);
    chunks.forEach((chunk, k) => {
      const leaf = leaves[k];
      if (!leaf) return;
      const md = chunkMetaData(chunk);
      leaf.compressedSize += int(md, META.totalCompressedSize) ?? 0;
      leaf.uncompressedSize += int(md, META.totalUncompressedSize) ?? 0;
      leaf.valueCount += int(md, META.numValues) ?? 0;
      const stats = thriftField(md, META.statistics);
      const nulls =
        stats?.type === ThriftType.Struct ? int(stats.value as ThriftStruct, STATS.nullCount) : undefined;
      leaf.nullCount =
        nulls === undefined || leaf.nullCount === undefined ? undefined : leaf.nullCount + nulls;
    });
  }
  splitOffsets.sort((a, b) => a - b);
  const keyValueMetadata = new Map<string, string>();
  for (const kv of structs(footer, FILE.keyValueMetadata)) {
    const key = text(kv, 1);
    if (key !== undefined) keyValueMetadata.set(key, text(kv, 2) ?? '');
  }
  return {
    rowCount: int(footer, FILE.numRows) ?? 0,
    splitOffsets,
    leaves,
    columns,
    schema,
    keyValueMetadata,
    rowGroups,
  };
}
