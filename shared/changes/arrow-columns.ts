// In-memory values (values.ts) ⇄ Arrow column data, built directly on typed arrays. The Arrow builders
// are not used because they take timestamps as epoch milliseconds (losing microseconds) and dates
// as Date objects; here every value keeps its exact form: µs as BigInt64, decimals as 128-bit
// two's complement, dates as int32 days.

import * as arrow from 'apache-arrow';
import { decimalAt, decimalHalves } from '../iceberg/arrow/arrow-rows.js';
import { parseDecimal, parseFixed, type IcebergType } from '../iceberg/spec/types.js';
import { writeUuidBytes } from '../iceberg/spec/single-value.js';
import { newStruct, type IcebergValue } from '../iceberg/spec/values.js';

const encoder = new TextEncoder();
// ignoreBOM: keep a leading U+FEFF as part of the text (the default strips it, changing the value)
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function validity(values: readonly IcebergValue[]): { bitmap: Uint8Array; nullCount: number } {
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null) nullCount++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { bitmap, nullCount };
}

function variableWidth(values: readonly IcebergValue[], toBytes: (v: IcebergValue) => Uint8Array) {
  const offsets = new Int32Array(values.length + 1);
  const parts: Uint8Array[] = new Array<Uint8Array>(values.length);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as IcebergValue;
    const bytes = v === null ? new Uint8Array(0) : toBytes(v);
    parts[i] = bytes;
    total += bytes.length;
    if (total > 0x7fffffff) throw new RangeError('column data exceeds 2 GiB');
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < parts.length; i++) data.set(parts[i] as Uint8Array, offsets[i] as number);
  return { offsets, data };
}

function bytesToUuid(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const MASK64 = (1n << 64n) - 1n;

/** Arrow data for a column of one Iceberg type; `arrowType` is icebergToArrowType(type) (with field ids). */
export function buildData(
  type: IcebergType,
  arrowType: arrow.DataType,
  values: readonly IcebergValue[],
): arrow.Data {
  const length = values.length;
  const { bitmap: nullBitmap, nullCount } = validity(values);
  const base = { type: arrowType, length, nullCount, nullBitmap };
  if (typeof type !== 'string') {
    switch (type.type) {
      case 'list': {
        const offsets = new Int32Array(length + 1);
        const flat: IcebergValue[] = [];
        for (let i = 0; i < length; i++) {
          const v = values[i] as IcebergValue;
          if (v !== null) for (const item of v as IcebergValue[]) flat.push(item);
          offsets[i + 1] = flat.length;
        }
        const childType = (arrowType as arrow.List).children[0]!.type;
        const child = buildData(type.element, childType, flat);
        return arrow.makeData({ ...base, type: arrowType as arrow.List, valueOffsets: offsets, child });
      }
      case 'struct': {
        const structType = arrowType as arrow.Struct;
        const children = type.fields.map((f, j) =>
          buildData(
            f.type,
            structType.children[j]!.type,
            values.map((v) => (v === null ? null : ((v as Record<string, IcebergValue>)[f.name] ?? null))),
          ),
        );
        return arrow.makeData({ ...base, type: structType, children });
      }
      case 'map': {
        const mapType = arrowType as arrow.Map_;
        const offsets = new Int32Array(length + 1);
        const keys: IcebergValue[] = [];
        const items: IcebergValue[] = [];
        for (let i = 0; i < length; i++) {
          const v = values[i] as IcebergValue;
          if (v !== null) {
            for (const [k, item] of v as Array<[IcebergValue, IcebergValue]>) {
              keys.push(k);
              items.push(item);
            }
          }
          offsets[i + 1] = keys.length;
        }
        const entriesType = mapType.children[0]!.type as arrow.Struct;
        const entries = arrow.makeData({
          type: entriesType,
          length: keys.length,
          nullCount: 0,
          children: [
            buildData(type.key, entriesType.children[0]!.type, keys),
            buildData(type.value, entriesType.children[1]!.type, items),
          ],
        });
        return arrow.makeData({ ...base, type: mapType, valueOffsets: offsets, child: entries });
      }
    }
  }
  switch (type) {
    case 'boolean': {
      const data = new Uint8Array((length + 7) >> 3);
      for (let i = 0; i < length; i++) if (values[i] === true) data[i >> 3]! |= 1 << (i & 7);
      return arrow.makeData({ ...base, type: arrowType as arrow.Bool, data });
    }
    case 'int':
    case 'date': {
      const data = new Int32Array(length);
      for (let i = 0; i < length; i++) if (values[i] !== null) data[i] = values[i] as number;
      return arrow.makeData({ ...base, type: arrowType as arrow.Int32, data });
    }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz': {
      const data = new BigInt64Array(length);
      for (let i = 0; i < length; i++) if (values[i] !== null) data[i] = values[i] as bigint;
      return arrow.makeData({ ...base, type: arrowType as arrow.Int64, data });
    }
    case 'float': {
      const data = new Float32Array(length);
      for (let i = 0; i < length; i++) if (values[i] !== null) data[i] = values[i] as number;
      return arrow.makeData({ ...base, type: arrowType as arrow.Float32, data });
    }
    case 'double': {
      const data = new Float64Array(length);
      for (let i = 0; i < length; i++) if (values[i] !== null) data[i] = values[i] as number;
      return arrow.makeData({ ...base, type: arrowType as arrow.Float64, data });
    }
    case 'string': {
      const { offsets, data } = variableWidth(values, (v) => encoder.encode(v as string));
      return arrow.makeData({ ...base, type: arrowType as arrow.Utf8, valueOffsets: offsets, data });
    }
    case 'binary': {
      const { offsets, data } = variableWidth(values, (v) => v as Uint8Array);
      return arrow.makeData({ ...base, type: arrowType as arrow.Binary, valueOffsets: offsets, data });
    }
    case 'uuid': {
      const data = new Uint8Array(length * 16);
      for (let i = 0; i < length; i++)
        if (values[i] !== null) writeUuidBytes(values[i] as string, data, i * 16);
      return arrow.makeData({ ...base, type: arrowType as arrow.FixedSizeBinary, data });
    }
  }
  if (parseDecimal(type)) {
    const words = new BigUint64Array(length * 2);
    for (let i = 0; i < length; i++) {
      const v = values[i];
      if (v === null) continue;
      const n = v as bigint;
      words[2 * i] = n & MASK64;
      words[2 * i + 1] = (n >> 64n) & MASK64;
    }
    return arrow.makeData({ ...base, type: arrowType as arrow.Decimal, data: new Uint32Array(words.buffer) });
  }
  const fixed = parseFixed(type);
  if (fixed !== undefined) {
    const data = new Uint8Array(length * fixed);
    for (let i = 0; i < length; i++) if (values[i] !== null) data.set(values[i] as Uint8Array, i * fixed);
    return arrow.makeData({ ...base, type: arrowType as arrow.FixedSizeBinary, data });
  }
  throw new Error(`no Arrow encoding for Iceberg type ${JSON.stringify(type)}`);
}

/**
 * A reader of one column's values: readValue with the type's dispatch done once, for the columns a
 * change-set decode reads value by value (the per-value dispatch, decimal type parsing and TextDecoder
 * calls on short strings were most of a change-set's decoding).
 */
export function columnReader(type: IcebergType, data: arrow.Data): (index: number) => IcebergValue {
  if (data.offset !== 0) return (index) => readValue(type, data, index);
  const nullable = data.nullCount > 0;
  const read = ((): ((index: number) => IcebergValue) | undefined => {
    switch (type) {
      case 'int':
      case 'date':
      case 'float':
      case 'double':
      case 'long':
      case 'time':
      case 'timestamp':
      case 'timestamptz': {
        const values = data.values as ArrayLike<number | bigint>;
        return (index) => values[index]!;
      }
      case 'string': {
        const offsets = data.valueOffsets as Int32Array;
        const bytes = data.values as Uint8Array;
        // Buffer's native UTF-8 slice: much cheaper than TextDecoder per short string, and it keeps a
        // leading U+FEFF too
        const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        return (index) => buffer.toString('utf8', offsets[index], offsets[index + 1]);
      }
    }
    if (typeof type === 'string' && parseDecimal(type)) {
      // as two signed 64-bit halves, as data files are read: one bigint, not four joined by shifts
      const halves = decimalHalves(data.values as Uint32Array);
      return (index) => decimalAt(halves, index);
    }
    return undefined;
  })();
  if (!read) return (index) => readValue(type, data, index);
  if (!nullable) return read;
  // the validity bitmap read directly (offset 0 here): Data.getValid costs a call chain per value
  const valid = data.nullBitmap as Uint8Array;
  return (index) => ((valid[index >> 3]! & (1 << (index & 7))) !== 0 ? read(index) : null);
}

/** The value at `index` of Arrow data built by buildData (or read back from IPC). */
export function readValue(type: IcebergType, data: arrow.Data, index: number): IcebergValue {
  if (!data.getValid(index)) return null;
  const values = data.values as ArrayLike<unknown>;
  if (typeof type !== 'string') {
    switch (type.type) {
      case 'list': {
        const offsets = data.valueOffsets as Int32Array;
        const child = data.children[0] as arrow.Data;
        const out: IcebergValue[] = [];
        for (let j = offsets[index] as number; j < (offsets[index + 1] as number); j++) {
          out.push(readValue(type.element, child, j));
        }
        return out;
      }
      case 'struct': {
        const out: Record<string, IcebergValue> = newStruct();
        type.fields.forEach(
          (f, j) => (out[f.name] = readValue(f.type, data.children[j] as arrow.Data, index)),
        );
        return out;
      }
      case 'map': {
        const offsets = data.valueOffsets as Int32Array;
        const entries = data.children[0] as arrow.Data;
        const out: Array<[IcebergValue, IcebergValue]> = [];
        for (let j = offsets[index] as number; j < (offsets[index + 1] as number); j++) {
          out.push([
            readValue(type.key, entries.children[0] as arrow.Data, j),
            readValue(type.value, entries.children[1] as arrow.Data, j),
          ]);
        }
        return out;
      }
    }
  }
  switch (type) {
    case 'boolean': {
      const bit = data.offset + index;
      return ((data.values as Uint8Array)[bit >> 3]! & (1 << (bit & 7))) !== 0;
    }
    case 'int':
    case 'date':
    case 'float':
    case 'double':
      return values[index] as number;
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return values[index] as bigint;
    case 'string':
    case 'binary': {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = (data.values as Uint8Array).subarray(offsets[index], offsets[index + 1]);
      return type === 'string' ? decoder.decode(bytes) : bytes.slice();
    }
    case 'uuid':
      return bytesToUuid((data.values as Uint8Array).subarray(index * 16, index * 16 + 16));
  }
  if (parseDecimal(type)) {
    // 32-bit words: IPC buffers are only guaranteed 4-byte aligned for a Uint32Array.
    const words = data.values as Uint32Array;
    const at = index * 4;
    const n =
      BigInt(words[at] as number) |
      (BigInt(words[at + 1] as number) << 32n) |
      (BigInt(words[at + 2] as number) << 64n) |
      (BigInt(words[at + 3] as number) << 96n);
    return BigInt.asIntN(128, n);
  }
  const fixed = parseFixed(type);
  if (fixed !== undefined) return (data.values as Uint8Array).slice(index * fixed, index * fixed + fixed);
  throw new Error(`no Arrow decoding for Iceberg type ${JSON.stringify(type)}`);
}
