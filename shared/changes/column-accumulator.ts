// Growable Arrow column buffers, filled one value at a time. A change-set of a 50 MB file holds
// hundreds of thousands of values; keeping them as JS bigints and strings until the end would make the
// garbage collector copy every one of them into the old generation. Here a value is written straight
// into a typed array (strings as UTF-8 bytes) and the JS value dies young.
//
// Each accumulator is a pair of closures in one object shape: the builder's call site then makes a
// plain indirect call per value instead of a polymorphic method dispatch (measured: the dispatch cost
// more than the write).

import * as arrow from 'apache-arrow';
import { parseDecimal, parseFixed, type IcebergType } from '../iceberg/spec/types.js';
import { writeUuidBytes } from '../iceberg/spec/single-value.js';
import type { IcebergValue } from '../iceberg/spec/values.js';
import { buildData } from './arrow-columns.js';

const MASK64 = (1n << 64n) - 1n;

/** Where the low 32 bits of a 64-bit integer sit in memory: first on little-endian machines. */
const LOW_HALF = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

export interface ColumnAccumulator {
  /** Append a value (null for SQL NULL or an absent column). */
  push: (value: IcebergValue) => void;
  /** The Arrow data of everything pushed so far. */
  toData: (arrowType: arrow.DataType) => arrow.Data;
}

/** Validity bitmap shared by every accumulator kind. */
class Validity {
  length = 0;
  nullCount = 0;
  bitmap = new Uint8Array(128);

  /** Record the next slot; returns its index. */
  next(isNull: boolean): number {
    const i = this.length++;
    if (i >> 3 >= this.bitmap.length) {
      const grown = new Uint8Array(this.bitmap.length * 2);
      grown.set(this.bitmap);
      this.bitmap = grown;
    }
    if (isNull) this.nullCount++;
    else this.bitmap[i >> 3]! |= 1 << (i & 7);
    return i;
  }

  props(arrowType: arrow.DataType) {
    return {
      type: arrowType,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.bitmap.subarray(0, (this.length + 7) >> 3),
    };
  }
}

function int32Column(): ColumnAccumulator {
  const validity = new Validity();
  let values = new Int32Array(1024);
  return {
    push: (value) => {
      const i = validity.next(value === null);
      if (i >= values.length) {
        const grown = new Int32Array(values.length * 2);
        grown.set(values);
        values = grown;
      }
      if (value !== null) values[i] = value as number;
    },
    toData: (arrowType) =>
      arrow.makeData({
        ...validity.props(arrowType),
        type: arrowType as arrow.Int32,
        data: values.subarray(0, validity.length),
      }),
  };
}

function bigInt64Column(): ColumnAccumulator {
  const validity = new Validity();
  let values = new BigInt64Array(1024);
  return {
    push: (value) => {
      const i = validity.next(value === null);
      if (i >= values.length) {
        const grown = new BigInt64Array(values.length * 2);
        grown.set(values);
        values = grown;
      }
      // A BigInt64Array wraps on write, so an unsigned 64-bit value is stored as its bit pattern.
      if (value !== null) values[i] = value as bigint;
    },
    toData: (arrowType) =>
      arrow.makeData({
        ...validity.props(arrowType),
        type: arrowType as arrow.Int64,
        data: values.subarray(0, validity.length),
      }),
  };
}

/**
 * Whole milliseconds (safe integers, never null) as an Int64 column, written as two 32-bit halves: no
 * bigint per value. The event order's source timestamps.
 */
export function epochMillisColumn(): ColumnAccumulator {
  let length = 0;
  let halves = new Int32Array(2048);
  return {
    push: (value) => {
      if (2 * length + 1 >= halves.length) {
        const grown = new Int32Array(halves.length * 2);
        grown.set(halves);
        halves = grown;
      }
      const ms = value as number;
      const high = Math.floor(ms / 4294967296);
      halves[2 * length + LOW_HALF] = ms - high * 4294967296; // the low half's bits, wrapped to int32
      halves[2 * length + 1 - LOW_HALF] = high;
      length++;
    },
    toData: (arrowType) =>
      arrow.makeData({
        type: arrowType as arrow.Int64,
        length,
        nullCount: 0,
        data: new BigInt64Array(halves.buffer, 0, length),
      }),
  };
}

function float64Column(single: boolean): ColumnAccumulator {
  const validity = new Validity();
  let values = new Float64Array(1024);
  return {
    push: (value) => {
      const i = validity.next(value === null);
      if (i >= values.length) {
        const grown = new Float64Array(values.length * 2);
        grown.set(values);
        values = grown;
      }
      if (value !== null) values[i] = value as number;
    },
    toData: (arrowType) => {
      const data = values.subarray(0, validity.length);
      return single
        ? arrow.makeData({
            ...validity.props(arrowType),
            type: arrowType as arrow.Float32,
            data: Float32Array.from(data),
          })
        : arrow.makeData({ ...validity.props(arrowType), type: arrowType as arrow.Float64, data });
    },
  };
}

function boolColumn(): ColumnAccumulator {
  const validity = new Validity();
  let bits = new Uint8Array(128);
  return {
    push: (value) => {
      const i = validity.next(value === null);
      if (i >> 3 >= bits.length) {
        const grown = new Uint8Array(bits.length * 2);
        grown.set(bits);
        bits = grown;
      }
      if (value === true) bits[i >> 3]! |= 1 << (i & 7);
    },
    toData: (arrowType) =>
      arrow.makeData({
        ...validity.props(arrowType),
        type: arrowType as arrow.Bool,
        data: bits.subarray(0, (validity.length + 7) >> 3),
      }),
  };
}

function decimalColumn(): ColumnAccumulator {
  const validity = new Validity();
  let words = new BigUint64Array(2048);
  return {
    push: (value) => {
      const i = validity.next(value === null);
      if (2 * i + 1 >= words.length) {
        const grown = new BigUint64Array(words.length * 2);
        grown.set(words);
        words = grown;
      }
      if (value !== null) {
        const n = value as bigint;
        words[2 * i] = n & MASK64;
        words[2 * i + 1] = (n >> 64n) & MASK64;
      }
    },
    toData: (arrowType) => {
      const used = words.subarray(0, validity.length * 2);
      return arrow.makeData({
        ...validity.props(arrowType),
        type: arrowType as arrow.Decimal,
        data: new Uint32Array(used.buffer, used.byteOffset, validity.length * 4),
      });
    },
  };
}

/** Grows a byte buffer (a Buffer: its utf8 write needs no view per call) to hold `needed` bytes. */
function grownBytes(bytes: Buffer<ArrayBuffer>, used: number, needed: number): Buffer<ArrayBuffer> {
  if (needed <= bytes.length) return bytes;
  if (needed > 0x7fffffff) throw new RangeError('column data exceeds 2 GiB');
  const grown = Buffer.allocUnsafe(Math.min(0x7fffffff, Math.max(needed, bytes.length * 2)));
  bytes.copy(grown, 0, 0, used);
  return grown;
}

function grownOffsets(offsets: Int32Array<ArrayBuffer>, needed: number): Int32Array<ArrayBuffer> {
  if (needed <= offsets.length) return offsets;
  const grown = new Int32Array(Math.max(needed, offsets.length * 2));
  grown.set(offsets);
  return grown;
}

/** Strings pending in one UTF-8 write: enough to amortise the call, few enough to die young. */
const STRING_BATCH = 256;
const STRING_BATCH_UNITS = 65536;

/**
 * Utf8: offsets plus one byte buffer. Strings are encoded in batches: a batch is joined and written
 * with one native UTF-8 write (much cheaper than a write per string or a copy loop per string;
 * shared/datastream/README.md, Measured). When the batch is all ASCII — the bytes written equal the
 * UTF-16 units joined — the offsets follow from the string lengths; otherwise each string's UTF-8 length is taken.
 */
function utf8Column(): ColumnAccumulator {
  const validity = new Validity();
  let offsets = new Int32Array(1024);
  let bytes = Buffer.allocUnsafe(16384);
  let size = 0;
  let pending: string[] = []; // values from index `flushed` on, '' for null
  let pendingUnits = 0;
  let flushed = 0;
  const flush = () => {
    if (pending.length === 0) return;
    const joined = pending.join('');
    bytes = grownBytes(bytes, size, size + joined.length * 3); // at most 3 bytes per UTF-16 unit
    const written = bytes.write(joined, size, 'utf8');
    offsets = grownOffsets(offsets, flushed + pending.length + 1);
    let end = size;
    if (written === joined.length) {
      for (let k = 0; k < pending.length; k++) offsets[flushed + k + 1] = end += pending[k]!.length;
    } else {
      for (let k = 0; k < pending.length; k++) {
        offsets[flushed + k + 1] = end += Buffer.byteLength(pending[k]!, 'utf8');
      }
    }
    size += written;
    flushed += pending.length;
    pending = [];
    pendingUnits = 0;
  };
  return {
    push: (value) => {
      validity.next(value === null);
      const text = value === null ? '' : (value as string);
      pending.push(text);
      pendingUnits += text.length;
      if (pending.length >= STRING_BATCH || pendingUnits >= STRING_BATCH_UNITS) flush();
    },
    toData: (arrowType) => {
      flush();
      return arrow.makeData({
        ...validity.props(arrowType),
        type: arrowType as arrow.Utf8,
        valueOffsets: offsets.subarray(0, validity.length + 1),
        data: new Uint8Array(bytes.buffer, bytes.byteOffset, size),
      });
    },
  };
}

/** Binary: offsets plus one byte buffer. */
function binaryColumn(): ColumnAccumulator {
  const validity = new Validity();
  let offsets = new Int32Array(1024);
  let bytes = Buffer.allocUnsafe(16384);
  let size = 0;
  return {
    push: (value) => {
      const i = validity.next(value === null);
      offsets = grownOffsets(offsets, i + 2);
      if (value !== null) {
        const data = value as Uint8Array;
        bytes = grownBytes(bytes, size, size + data.length);
        bytes.set(data, size);
        size += data.length;
      }
      offsets[i + 1] = size;
    },
    toData: (arrowType) =>
      arrow.makeData({
        ...validity.props(arrowType),
        type: arrowType as arrow.Binary,
        valueOffsets: offsets.subarray(0, validity.length + 1),
        data: new Uint8Array(bytes.buffer, bytes.byteOffset, size),
      }),
  };
}

/**
 * UUIDs as their 16 bytes (Arrow fixed-size binary), decoded when pushed: kept as strings until the
 * end, every one of them outlived the young generation and was copied by the garbage collector.
 */
function uuidColumn(): ColumnAccumulator {
  const validity = new Validity();
  let bytes = new Uint8Array(16 * 1024);
  return {
    push: (value) => {
      const i = validity.next(value === null);
      if (16 * i + 16 > bytes.length) {
        const grown = new Uint8Array(bytes.length * 2);
        grown.set(bytes);
        bytes = grown;
      }
      if (value !== null) writeUuidBytes(value as string, bytes, 16 * i);
    },
    toData: (arrowType) =>
      arrow.makeData({
        ...validity.props(arrowType),
        type: arrowType as arrow.FixedSizeBinary,
        data: bytes.subarray(0, 16 * validity.length),
      }),
  };
}

/**
 * Lists of a type with its own accumulator: offsets here, the elements pushed straight into the child
 * accumulator (the arrays die young instead of being kept until the end).
 */
function listColumn(element: ColumnAccumulator): ColumnAccumulator {
  const validity = new Validity();
  let offsets = new Int32Array(1024);
  let size = 0;
  return {
    push: (value) => {
      const i = validity.next(value === null);
      if (i + 2 > offsets.length) {
        const grown = new Int32Array(offsets.length * 2);
        grown.set(offsets);
        offsets = grown;
      }
      if (value !== null) {
        const items = value as IcebergValue[];
        for (let j = 0; j < items.length; j++) element.push(items[j] as IcebergValue);
        size += items.length;
      }
      offsets[i + 1] = size;
    },
    toData: (arrowType) => {
      const listType = arrowType as arrow.List;
      const child = element.toData(listType.children[0]!.type);
      return arrow.makeData({
        ...validity.props(arrowType),
        type: listType,
        valueOffsets: offsets.subarray(0, validity.length + 1),
        child,
      });
    },
  };
}

/** Nested and rare types: values kept as they are, encoded at the end. */
function genericColumn(type: IcebergType): ColumnAccumulator {
  const values: IcebergValue[] = [];
  return {
    push: (value) => {
      values.push(value);
    },
    toData: (arrowType) => buildData(type, arrowType, values),
  };
}

/** An accumulator for a column of this Iceberg type. */
export function columnAccumulator(type: IcebergType): ColumnAccumulator {
  switch (type) {
    case 'boolean':
      return boolColumn();
    case 'int':
    case 'date':
      return int32Column();
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return bigInt64Column();
    case 'float':
      return float64Column(true);
    case 'double':
      return float64Column(false);
    case 'string':
      return utf8Column();
    case 'binary':
      return binaryColumn();
  }
  if (type === 'uuid') return uuidColumn();
  if (typeof type !== 'string' && type.type === 'list') {
    const element = columnAccumulator(type.element);
    return listColumn(element);
  }
  if (typeof type === 'string' && parseDecimal(type)) return decimalColumn();
  if (typeof type === 'string' && parseFixed(type) === undefined) {
    throw new Error(`no Arrow encoding for Iceberg type ${JSON.stringify(type)}`);
  }
  return genericColumn(type);
}
