// Rows (values.ts) ⇄ Arrow, exactly: buffers are filled directly (decimals as 4 little-endian u32 words of
// the two's-complement unscaled value, timestamps/times/longs as BigInt64Array) so no value passes through
// a double, and read back from the raw buffers because apache-arrow's `get()` loses precision on
// timestamps and decimals.

import * as arrow from 'apache-arrow';
import { icebergToArrowSchema, icebergToArrowType } from './arrow-schema.js';
import { bytesToUuid, uuidToBytes } from './single-value.js';
import { parseDecimal, parseFixed, type IcebergType, type NestedField, type Schema } from './types.js';
import type { IcebergValue, Row } from './values.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bitmap(values: readonly IcebergValue[] | readonly unknown[]): { bits: Uint8Array; nulls: number } {
  const bits = new Uint8Array((values.length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null || values[i] === undefined) nulls++;
    else bits[i >> 3]! |= 1 << (i & 7);
  }
  return { bits, nulls };
}

function typeError(path: string, type: IcebergType, value: unknown): Error {
  const shown = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  return new TypeError(`column ${path}: value ${shown} is not a valid ${JSON.stringify(type)} value`);
}

function varBinary(
  type: arrow.DataType,
  values: readonly IcebergValue[],
  toBytes: (v: IcebergValue) => Uint8Array,
): arrow.Data {
  const { bits, nulls } = bitmap(values);
  const offsets = new Int32Array(values.length + 1);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) {
      const b = toBytes(v);
      parts.push(b);
      total += b.length;
    }
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return arrow.makeData({
    type: type as arrow.Utf8,
    length: values.length,
    nullCount: nulls,
    nullBitmap: bits,
    valueOffsets: offsets,
    data,
  });
}

/** Arrow data of one column of values of an Iceberg type. `path` names the column in errors. */
export function valuesToArrowData(
  type: IcebergType,
  values: readonly IcebergValue[],
  path: string,
): arrow.Data {
  const arrowType = icebergToArrowType(type);
  const n = values.length;
  const { bits, nulls } = bitmap(values);
  const base = { length: n, nullCount: nulls, nullBitmap: bits };
  const check = (ok: (v: IcebergValue) => boolean): void => {
    for (const v of values) if (v !== null && v !== undefined && !ok(v)) throw typeError(path, type, v);
  };
  if (typeof type === 'string') {
    switch (type) {
      case 'boolean': {
        check((v) => typeof v === 'boolean');
        const data = new Uint8Array((n + 7) >> 3);
        for (let i = 0; i < n; i++) if (values[i] === true) data[i >> 3]! |= 1 << (i & 7);
        return arrow.makeData({ ...base, type: arrowType as arrow.Bool, data });
      }
      case 'int':
      case 'date': {
        check((v) => typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647);
        const data = new Int32Array(n);
        for (let i = 0; i < n; i++) if (typeof values[i] === 'number') data[i] = values[i] as number;
        return arrow.makeData({ ...base, type: arrowType as arrow.Int32, data });
      }
      case 'long':
      case 'time':
      case 'timestamp':
      case 'timestamptz': {
        check((v) => typeof v === 'bigint' && BigInt.asIntN(64, v) === v);
        const data = new BigInt64Array(n);
        for (let i = 0; i < n; i++) if (typeof values[i] === 'bigint') data[i] = values[i] as bigint;
        return arrow.makeData({ ...base, type: arrowType as arrow.Int64, data: data as never });
      }
      case 'float':
      case 'double': {
        check((v) => typeof v === 'number');
        const data = type === 'float' ? new Float32Array(n) : new Float64Array(n);
        for (let i = 0; i < n; i++) if (typeof values[i] === 'number') data[i] = values[i] as number;
        return arrow.makeData({ ...base, type: arrowType as arrow.Float64, data: data as Float64Array });
      }
      case 'string':
        check((v) => typeof v === 'string');
        return varBinary(arrowType, values, (v) => encoder.encode(v as string));
      case 'binary':
        check((v) => v instanceof Uint8Array);
        return varBinary(arrowType, values, (v) => v as Uint8Array);
      case 'uuid': {
        check((v) => typeof v === 'string');
        const data = new Uint8Array(n * 16);
        for (let i = 0; i < n; i++) {
          const v = values[i];
          if (typeof v === 'string') {
            try {
              data.set(uuidToBytes(v), i * 16);
            } catch {
              throw typeError(path, type, v);
            }
          }
        }
        return arrow.makeData({ ...base, type: arrowType as arrow.FixedSizeBinary, data });
      }
    }
    const decimal = parseDecimal(type);
    if (decimal) {
      const limit = 10n ** BigInt(decimal.precision);
      check((v) => typeof v === 'bigint' && v < limit && v > -limit);
      const data = new Uint32Array(n * 4);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'bigint') continue;
        let x = BigInt.asUintN(128, v);
        for (let w = 0; w < 4; w++) {
          data[i * 4 + w] = Number(x & 0xffffffffn);
          x >>= 32n;
        }
      }
      return arrow.makeData({ ...base, type: arrowType as arrow.Decimal, data });
    }
    const width = parseFixed(type);
    if (width !== undefined) {
      check((v) => v instanceof Uint8Array && v.length === width);
      const data = new Uint8Array(n * width);
      for (let i = 0; i < n; i++)
        if (values[i] instanceof Uint8Array) data.set(values[i] as Uint8Array, i * width);
      return arrow.makeData({ ...base, type: arrowType as arrow.FixedSizeBinary, data });
    }
    throw new Error(`column ${path}: unknown Iceberg type "${type}"`);
  }
  switch (type.type) {
    case 'struct': {
      check((v) => typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array));
      const children = type.fields.map((f) =>
        valuesToArrowData(
          f.type,
          values.map((v) => (v === null || v === undefined ? null : ((v as Row)[f.name] ?? null))),
          `${path}.${f.name}`,
        ),
      );
      return arrow.makeData({ ...base, type: arrowType as arrow.Struct, children });
    }
    case 'list': {
      check((v) => Array.isArray(v));
      const offsets = new Int32Array(n + 1);
      const flat: IcebergValue[] = [];
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (Array.isArray(v)) for (const e of v) flat.push(e as IcebergValue);
        offsets[i + 1] = flat.length;
      }
      const child = valuesToArrowData(type.element, flat, `${path}.element`);
      return arrow.makeData({ ...base, type: arrowType as arrow.List, valueOffsets: offsets, child });
    }
    case 'map': {
      check((v) => Array.isArray(v));
      const offsets = new Int32Array(n + 1);
      const keys: IcebergValue[] = [];
      const vals: IcebergValue[] = [];
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (Array.isArray(v)) {
          for (const entry of v as Array<[IcebergValue, IcebergValue]>) {
            if (entry[0] === null) throw typeError(`${path}.key`, type.key, null);
            keys.push(entry[0]);
            vals.push(entry[1]);
          }
        }
        offsets[i + 1] = keys.length;
      }
      const mapType = arrowType as arrow.Map_;
      const entries = arrow.makeData({
        type: mapType.children[0]!.type as arrow.Struct,
        length: keys.length,
        nullCount: 0,
        children: [
          valuesToArrowData(type.key, keys, `${path}.key`),
          valuesToArrowData(type.value, vals, `${path}.value`),
        ],
      });
      return arrow.makeData({ ...base, type: mapType, valueOffsets: offsets, child: entries });
    }
  }
}

/** A column's values taken from rows; a missing key is null. */
function column(rows: readonly Row[], field: NestedField): IcebergValue[] {
  const out = new Array<IcebergValue>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = rows[i]![field.name] ?? null;
  return out;
}

/** Rows → an Arrow table with the schema's field ids; required columns must have no nulls. */
export function rowsToArrowTable(schema: Schema, rows: readonly Row[]): arrow.Table {
  const arrowSchema = icebergToArrowSchema(schema);
  const children = schema.fields.map((f) => {
    const data = valuesToArrowData(f.type, column(rows, f), f.name);
    if (f.required && data.nullCount > 0) {
      const i = rows.findIndex((r) => r[f.name] === null || r[f.name] === undefined);
      throw new TypeError(`column ${f.name} is required but row ${i} has no value`);
    }
    return data;
  });
  const struct = arrow.makeData({
    type: new arrow.Struct(arrowSchema.fields),
    length: rows.length,
    nullCount: 0,
    children,
  });
  return new arrow.Table([new arrow.RecordBatch(arrowSchema, struct)]);
}

// ---- Arrow → values ------------------------------------------------------------------------------

function isValid(data: arrow.Data, i: number): boolean {
  if (!data.nullBitmap || data.nullCount === 0) return true;
  const j = data.offset + i;
  return (data.nullBitmap[j >> 3]! & (1 << (j & 7))) !== 0;
}

/**
 * Values of one Arrow data chunk, read from the raw buffers. apache-arrow slices value and offset buffers
 * (and struct children) when it slices data, but not validity or boolean bitmaps: those alone are
 * indexed with `data.offset`.
 */
export function arrowDataToValues(type: IcebergType, data: arrow.Data): IcebergValue[] {
  const n = data.length;
  const out = new Array<IcebergValue>(n).fill(null);
  const off = data.offset;
  if (typeof type === 'string') {
    const decimal = parseDecimal(type);
    const width = parseFixed(type) ?? (type === 'uuid' ? 16 : undefined);
    for (let i = 0; i < n; i++) {
      if (!isValid(data, i)) continue;
      if (type === 'boolean') {
        const j = off + i;
        out[i] = (data.values[j >> 3] & (1 << (j & 7))) !== 0;
      } else if (type === 'string' || type === 'binary') {
        const o = data.valueOffsets as Int32Array;
        const bytes = (data.values as Uint8Array).subarray(o[i]!, o[i + 1]!);
        out[i] = type === 'string' ? decoder.decode(bytes) : Uint8Array.from(bytes);
      } else if (decimal) {
        const w = data.values as Uint32Array;
        let x = 0n;
        for (let k = 3; k >= 0; k--) x = (x << 32n) | BigInt(w[i * 4 + k]!);
        out[i] = BigInt.asIntN(128, x);
      } else if (width !== undefined) {
        const bytes = (data.values as Uint8Array).subarray(i * width, (i + 1) * width);
        out[i] = type === 'uuid' ? bytesToUuid(bytes) : Uint8Array.from(bytes);
      } else {
        // int/date: Int32Array; long/time/timestamp: BigInt64Array; float/double: float arrays
        out[i] = data.values[i] as number | bigint;
      }
    }
    return out;
  }
  if (type.type === 'struct') {
    const children = type.fields.map((f, k) => arrowDataToValues(f.type, data.children[k]!));
    for (let i = 0; i < n; i++) {
      if (!isValid(data, i)) continue;
      const row: Row = {};
      type.fields.forEach((f, k) => (row[f.name] = children[k]![i]!));
      out[i] = row;
    }
    return out;
  }
  const o = data.valueOffsets as Int32Array;
  if (type.type === 'list') {
    const child = arrowDataToValues(type.element, data.children[0]!);
    for (let i = 0; i < n; i++) if (isValid(data, i)) out[i] = child.slice(o[i]!, o[i + 1]!);
    return out;
  }
  const entries = data.children[0]!;
  const keys = arrowDataToValues(type.key, entries.children[0]!);
  const vals = arrowDataToValues(type.value, entries.children[1]!);
  for (let i = 0; i < n; i++) {
    if (!isValid(data, i)) continue;
    const pairs: Array<[IcebergValue, IcebergValue]> = [];
    for (let k = o[i]!; k < o[i + 1]!; k++) pairs.push([keys[k]!, vals[k]!]);
    out[i] = pairs;
  }
  return out;
}

/** Arrow table → rows with the given fields (matched by `PARQUET:field_id`, else by name). */
export function arrowTableToRows(table: arrow.Table, fields: readonly NestedField[]): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < table.numRows; i++) rows.push({});
  const columnIndex = (f: NestedField): number => {
    const byId = table.schema.fields.findIndex((a) => a.metadata.get('PARQUET:field_id') === String(f.id));
    return byId >= 0 ? byId : table.schema.fields.findIndex((a) => a.name === f.name);
  };
  for (const f of fields) {
    const index = columnIndex(f);
    let at = 0;
    if (index < 0) {
      for (const row of rows) row[f.name] = null;
      continue;
    }
    for (const batch of table.batches) {
      const values = arrowDataToValues(f.type, batch.data.children[index]!);
      for (const v of values) rows[at++]![f.name] = v;
    }
  }
  return rows;
}
