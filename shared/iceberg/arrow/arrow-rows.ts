// Rows (values.ts) ⇄ Arrow, exactly: buffers are filled directly (decimals as 4 little-endian u32 words of
// the two's-complement unscaled value, timestamps/times/longs as BigInt64Array) so no value passes through
// a double, and read back from the raw buffers because apache-arrow's `get()` loses precision on
// timestamps and decimals.

import * as arrow from 'apache-arrow';
import { icebergToArrowSchema, icebergToArrowType } from './arrow-schema.js';
import { bytesToUuid, uuidToBytes } from '../spec/single-value.js';
import { parseDecimal, parseFixed, type IcebergType, type NestedField, type Schema } from '../spec/types.js';
import { newRow, type IcebergValue, type Row } from '../spec/values.js';

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

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** UTF-8 length of a string, counted in JS (cheaper than a native call per short string). */
function utf8Length(s: string): number {
  let bytes = s.length;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && k + 1 < s.length && (s.charCodeAt(k + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
      k++;
    } else bytes += 2;
  }
  return bytes;
}

function varBinary(
  type: arrow.DataType,
  values: readonly IcebergValue[],
  strings: boolean,
  path: string,
): arrow.Data {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  const valid = new Uint8Array((n + 7) >> 3);
  let nullCount = 0;
  // Two passes (sizes, then bytes into one buffer): far cheaper than one small array per value.
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) nullCount++;
    else {
      if (strings ? typeof v !== 'string' : !(v instanceof Uint8Array)) {
        throw typeError(path, strings ? 'string' : 'binary', v);
      }
      total += strings ? utf8Length(v as string) : (v as Uint8Array).length;
      valid[i >> 3]! |= 1 << (i & 7);
    }
    offsets[i + 1] = total;
  }
  if (total > 0x7fffffff)
    throw new RangeError(`column ${path}: ${total} bytes exceed Arrow's 2 GiB limit per chunk`);
  const data = Buffer.allocUnsafe(total);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (strings) data.write(v as string, offsets[i]!, 'utf8');
    else data.set(v as Uint8Array, offsets[i]!);
  }
  return arrow.makeData({
    type: type as arrow.Utf8,
    length: n,
    nullCount,
    nullBitmap: valid,
    valueOffsets: offsets,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
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
  const base = (): { length: number; nullCount: number; nullBitmap: Uint8Array } => {
    const { bits, nulls } = bitmap(values);
    return { length: n, nullCount: nulls, nullBitmap: bits };
  };
  const check = (ok: (v: IcebergValue) => boolean): void => {
    for (const v of values) if (v !== null && v !== undefined && !ok(v)) throw typeError(path, type, v);
  };
  if (typeof type === 'string') {
    switch (type) {
      case 'boolean': {
        check((v) => typeof v === 'boolean');
        const data = new Uint8Array((n + 7) >> 3);
        for (let i = 0; i < n; i++) if (values[i] === true) data[i >> 3]! |= 1 << (i & 7);
        return arrow.makeData({ ...base(), type: arrowType as arrow.Bool, data });
      }
      case 'int':
      case 'date': {
        // One pass per column: validate, fill, count nulls (this is the engine's hottest loop).
        const data = new Int32Array(n);
        const valid = new Uint8Array((n + 7) >> 3);
        let nullCount = 0;
        for (let i = 0; i < n; i++) {
          const v = values[i];
          if (v === null || v === undefined) {
            nullCount++;
            continue;
          }
          if (typeof v !== 'number' || (v | 0) !== v) throw typeError(path, type, v);
          data[i] = v;
          valid[i >> 3]! |= 1 << (i & 7);
        }
        return arrow.makeData({
          type: arrowType as arrow.Int32,
          length: n,
          nullCount,
          nullBitmap: valid,
          data,
        });
      }
      case 'long':
      case 'time':
      case 'timestamp':
      case 'timestamptz': {
        const data = new BigInt64Array(n);
        const valid = new Uint8Array((n + 7) >> 3);
        let nullCount = 0;
        for (let i = 0; i < n; i++) {
          const v = values[i];
          if (v === null || v === undefined) {
            nullCount++;
            continue;
          }
          if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) throw typeError(path, type, v);
          data[i] = v;
          valid[i >> 3]! |= 1 << (i & 7);
        }
        return arrow.makeData({
          type: arrowType as arrow.Int64,
          length: n,
          nullCount,
          nullBitmap: valid,
          data: data as never,
        });
      }
      case 'float':
      case 'double': {
        const data = type === 'float' ? new Float32Array(n) : new Float64Array(n);
        const valid = new Uint8Array((n + 7) >> 3);
        let nullCount = 0;
        for (let i = 0; i < n; i++) {
          const v = values[i];
          if (v === null || v === undefined) {
            nullCount++;
            continue;
          }
          if (typeof v !== 'number') throw typeError(path, type, v);
          data[i] = v;
          valid[i >> 3]! |= 1 << (i & 7);
        }
        return arrow.makeData({
          type: arrowType as arrow.Float64,
          length: n,
          nullCount,
          nullBitmap: valid,
          data: data as Float64Array,
        });
      }
      case 'string':
        return varBinary(arrowType, values, true, path);
      case 'binary':
        return varBinary(arrowType, values, false, path);
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
        return arrow.makeData({ ...base(), type: arrowType as arrow.FixedSizeBinary, data });
      }
    }
    const decimal = parseDecimal(type);
    if (decimal) {
      const limit = 10n ** BigInt(decimal.precision);
      const data = new Uint32Array(n * 4);
      // The 128-bit little-endian value as two int64 halves: low = the value mod 2^64, high = the rest
      // (just the sign extension up to precision 18).
      const halves = new BigInt64Array(data.buffer);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || v === undefined) continue;
        if (typeof v !== 'bigint' || v >= limit || v <= -limit) throw typeError(path, type, v);
        halves[2 * i] = BigInt.asIntN(64, v);
        halves[2 * i + 1] = decimal.precision <= 18 ? (v < 0n ? -1n : 0n) : BigInt.asIntN(64, v >> 64n);
      }
      return arrow.makeData({ ...base(), type: arrowType as arrow.Decimal, data });
    }
    const width = parseFixed(type);
    if (width !== undefined) {
      check((v) => v instanceof Uint8Array && v.length === width);
      const data = new Uint8Array(n * width);
      for (let i = 0; i < n; i++)
        if (values[i] instanceof Uint8Array) data.set(values[i] as Uint8Array, i * width);
      return arrow.makeData({ ...base(), type: arrowType as arrow.FixedSizeBinary, data });
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
      return arrow.makeData({ ...base(), type: arrowType as arrow.Struct, children });
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
      return arrow.makeData({ ...base(), type: arrowType as arrow.List, valueOffsets: offsets, child });
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
      return arrow.makeData({ ...base(), type: mapType, valueOffsets: offsets, child: entries });
    }
  }
}

/** A column's values taken from rows; a missing key is null. */
function column(rows: readonly Row[], field: NestedField): IcebergValue[] {
  const out = new Array<IcebergValue>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = rows[i]![field.name] ?? null;
  return out;
}

/** A column of 64-bit integers without nulls, already in a typed array, as Arrow data. */
function longsToArrowData(type: IcebergType, values: BigInt64Array, path: string): arrow.Data {
  if (type !== 'long' && type !== 'time' && type !== 'timestamp' && type !== 'timestamptz') {
    throw new TypeError(`column ${path} of type ${JSON.stringify(type)} cannot take 64-bit integers`);
  }
  return arrow.makeData({
    type: icebergToArrowType(type) as arrow.Int64,
    length: values.length,
    nullCount: 0,
    data: values as never,
  });
}

/**
 * A decimal column's 16-byte little-endian values as signed 64-bit halves (low, high). A view when the
 * buffer is 8-byte aligned, else a copy: IPC only guarantees a decimal buffer 4-byte alignment.
 */
export function decimalHalves(values: ArrayBufferView): BigInt64Array {
  return values.byteOffset % 8 === 0
    ? new BigInt64Array(values.buffer, values.byteOffset, values.byteLength / 8)
    : new BigInt64Array(new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice().buffer);
}

/** The decimal at `index` of decimalHalves, unscaled: one bigint when the high half only extends the sign. */
export function decimalAt(halves: BigInt64Array, index: number): bigint {
  const lo = halves[2 * index]!;
  const hi = halves[2 * index + 1]!;
  // Up to precision 18 the high half is only the sign extension of the low half.
  return hi === (lo < 0n ? -1n : 0n) ? lo : (hi << 64n) | BigInt.asUintN(64, lo);
}

/** Rows → an Arrow table with the schema's field ids; required columns must have no nulls. */
export function rowsToArrowTable(schema: Schema, rows: readonly Row[]): arrow.Table {
  return columnsToArrowTable(
    schema,
    schema.fields.map((f) => column(rows, f)),
    rows.length,
  );
}

/**
 * Columns of values (one array per schema field, in order, each `length` long) → an Arrow table with
 * the schema's field ids; required columns must have no nulls.
 */
export function columnsToArrowTable(
  schema: Schema,
  columns: readonly (readonly IcebergValue[] | BigInt64Array)[],
  length: number,
): arrow.Table {
  const arrowSchema = icebergToArrowSchema(schema);
  const children = schema.fields.map((f, k) => {
    const values = columns[k]!;
    if (values.length !== length)
      throw new RangeError(`column ${f.name} has ${values.length} values, expected ${length}`);
    if (values instanceof BigInt64Array) return longsToArrowData(f.type, values, f.name);
    const data = valuesToArrowData(f.type, values, f.name);
    if (f.required && data.nullCount > 0) {
      const i = values.findIndex((v) => v === null || v === undefined);
      throw new TypeError(`column ${f.name} is required but row ${i} has no value`);
    }
    return data;
  });
  const struct = arrow.makeData({
    type: new arrow.Struct(arrowSchema.fields),
    length,
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
    const values = data.values as Uint8Array;
    const text =
      type === 'string' ? Buffer.from(values.buffer, values.byteOffset, values.byteLength) : undefined;
    const latin1 = text?.toString('latin1');
    const halves = decimal ? decimalHalves(values) : undefined;
    const dense = !data.nullBitmap || data.nullCount === 0;
    for (let i = 0; i < n; i++) {
      if (!dense && !isValid(data, i)) continue;
      if (type === 'boolean') {
        const j = off + i;
        out[i] = (data.values[j >> 3] & (1 << (j & 7))) !== 0;
      } else if (type === 'string' || type === 'binary') {
        const o = data.valueOffsets as Int32Array;
        const start = o[i]!;
        const end = o[i + 1]!;
        if (type === 'binary') out[i] = values.slice(start, end);
        else {
          // ASCII values are cut from one latin1 decoding of the whole buffer (a byte is a character
          // there): much cheaper than a UTF-8 decode per value. Others are decoded on their own.
          let ascii = true;
          for (let k = start; k < end; k++) {
            if (values[k]! > 0x7f) {
              ascii = false;
              break;
            }
          }
          out[i] = ascii ? latin1!.substring(start, end) : text!.toString('utf8', start, end);
        }
      } else if (decimal) {
        out[i] = decimalAt(halves!, i);
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
      const row: Row = newRow();
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
  const columnIndex = (f: NestedField): number => {
    const byId = table.schema.fields.findIndex((a) => a.metadata.get('PARQUET:field_id') === String(f.id));
    return byId >= 0 ? byId : table.schema.fields.findIndex((a) => a.name === f.name);
  };
  const indexes = fields.map(columnIndex);
  const names = fields.map((f) => f.name);
  const rows: Row[] = new Array<Row>(table.numRows);
  let at = 0;
  for (const batch of table.batches) {
    const columns = fields.map((f, k) =>
      indexes[k]! < 0 ? undefined : arrowDataToValues(f.type, batch.data.children[indexes[k]!]!),
    );
    // Row by row, every key in the same order: all rows share one object shape.
    for (let i = 0; i < batch.numRows; i++) {
      const row: Row = newRow();
      for (let k = 0; k < names.length; k++) row[names[k]!] = columns[k] ? columns[k]![i]! : null;
      rows[at++] = row;
    }
  }
  return rows;
}
