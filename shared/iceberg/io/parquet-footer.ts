// What the manifest needs from a Parquet footer, read with hyparquet's thrift decoder: per leaf column
// (keyed by its Parquet field_id) the compressed size summed over row groups, the value count (nulls
// included) and the null count; the row-group start offsets (`split_offsets`); the top-level columns.
// Statistics min/max are not used: hyparquet decodes them lossily, bounds come from the Arrow data.

import { parquetMetadata, type SchemaElement } from 'hyparquet';

export interface LeafColumnFacts {
  fieldId: number | undefined;
  path: string[];
  compressedSize: number;
  /** Uncompressed size (encoded pages) summed over row groups. */
  uncompressedSize: number;
  valueCount: number;
  nullCount: number | undefined;
}

export interface ParquetFooterFacts {
  rowCount: number;
  splitOffsets: number[];
  leaves: LeafColumnFacts[];
  /** Top-level columns in file order, with their field ids. */
  columns: { name: string; fieldId: number | undefined }[];
  /** The full Parquet schema elements (depth-first), for inspection. */
  schema: SchemaElement[];
  keyValueMetadata: Map<string, string>;
}

function asArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes.buffer;
  }
  // Copy into a fresh array: Buffer.prototype.slice makes a view, not a copy, and a Buffer from a
  // network read often sits inside Node's shared pool, whose .buffer holds other data too.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

/** Facts of a whole Parquet file's bytes. `file` names it in errors. */
export function readParquetFooter(bytes: Uint8Array, file = '<parquet>'): ParquetFooterFacts {
  // Only the footer is handed to the decoder, so no copy of the whole file is made.
  if (bytes.length < 12) throw new Error(`${file}: not a Parquet file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const footerLength = view.getUint32(bytes.length - 8, true);
  if (footerLength + 8 > bytes.length)
    throw new Error(`${file}: Parquet footer length ${footerLength} is too large`);
  const footer = bytes.subarray(bytes.length - footerLength - 8);
  let meta;
  try {
    meta = parquetMetadata(asArrayBuffer(footer));
  } catch (e) {
    throw new Error(`${file}: unreadable Parquet footer: ${(e as Error).message}`);
  }
  // Leaf field ids in column-chunk order: the depth-first leaves of the schema.
  const leafIds: (number | undefined)[] = [];
  const columns: { name: string; fieldId: number | undefined }[] = [];
  let i = 1;
  const walk = (depth: number): void => {
    const el = meta.schema[i++]!;
    if (depth === 0) columns.push({ name: el.name, fieldId: el.field_id });
    const children = el.num_children ?? 0;
    if (children === 0) leafIds.push(el.field_id);
    for (let c = 0; c < children; c++) walk(depth + 1);
  };
  const rootChildren = meta.schema[0]?.num_children ?? 0;
  for (let c = 0; c < rootChildren; c++) walk(0);

  const leaves: LeafColumnFacts[] = leafIds.map((fieldId, k) => ({
    fieldId,
    path: meta.row_groups[0]?.columns[k]?.meta_data?.path_in_schema ?? [],
    compressedSize: 0,
    uncompressedSize: 0,
    valueCount: 0,
    nullCount: 0,
  }));
  const splitOffsets: number[] = [];
  for (const rg of meta.row_groups) {
    const first = rg.columns[0]?.meta_data;
    const start = rg.file_offset ?? first?.dictionary_page_offset ?? first?.data_page_offset;
    if (start !== undefined) splitOffsets.push(Number(start));
    rg.columns.forEach((chunk, k) => {
      const leaf = leaves[k];
      const md = chunk.meta_data;
      if (!leaf || !md) return;
      leaf.compressedSize += Number(md.total_compressed_size);
      leaf.uncompressedSize += Number(md.total_uncompressed_size);
      leaf.valueCount += Number(md.num_values);
      const nulls = md.statistics?.null_count;
      leaf.nullCount =
        nulls === undefined || leaf.nullCount === undefined ? undefined : leaf.nullCount + Number(nulls);
    });
  }
  splitOffsets.sort((a, b) => a - b);
  const keyValueMetadata = new Map<string, string>();
  for (const kv of meta.key_value_metadata ?? []) keyValueMetadata.set(kv.key, kv.value ?? '');
  return {
    rowCount: Number(meta.num_rows),
    splitOffsets,
    leaves,
    columns,
    schema: meta.schema,
    keyValueMetadata,
  };
}
