// Growable Arrow column buffers, filled one value at a time. A change-set of a 50 MB file holds
// hundreds of thousands of values; keeping them as JS bigints and strings until the end would make the
// garbage collector copy every one of them into the old generation. Here a value is written straight
// into a typed array (strings as UTF-8 bytes) and the JS value dies young.
//
// Each accumulator is a pair of closures in one object shape: the builder's call site then makes a
// plain indirect call per value instead of a polymorphic method dispatch (measured: the dispatch cost
// more than the write).

import * as arrow from 'apache-arrow';
import { parseDecimal, parseFixed, type IcebergType } from '../iceberg/types.js';
import type { IcebergValue } from '../iceberg/values.js';
import { buildData } from './arrow-columns.js';

const MASK64 = (1n << 64n) - 1n;

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

/** Utf8 and Binary: offsets plus one byte buffer (a Buffer: its utf8 write needs no view per value). */
function variableWidthColumn(utf8: boolean): ColumnAccumulator {
  const validity = new Validity();
  let offsets = new Int32Array(1024);
  let bytes = Buffer.allocUnsafe(16384);
  let size = 0;
  const reserve = (i: number, extra: number) => {
    if (i + 2 > offsets.length) {
      const grown = new Int32Array(Math.max(i + 2, offsets.length * 2));
      grown.set(offsets);
      offsets = grown;
    }
    if (size + extra > bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(size + extra, bytes.length * 2));
      bytes.copy(grown, 0, 0, size);
      bytes = grown;
    }
  };
  return {
    push: (value) => {
      const i = validity.next(value === null);
      if (value === null) {
        reserve(i, 0);
      } else if (utf8) {
        const text = value as string;
        // UTF-8 needs at most 3 bytes per UTF-16 unit.
        reserve(i, text.length * 3);
        size += writeUtf8(bytes, text, size);
      } else {
        const data = value as Uint8Array;
        reserve(i, data.length);
        bytes.set(data, size);
        size += data.length;
      }
      if (size > 0x7fffffff) throw new RangeError('column data exceeds 2 GiB');
      offsets[i + 1] = size;
    },
    toData: (arrowType) =>
      arrow.makeData({
        ...validity.props(arrowType),
        type: arrowType as arrow.Utf8,
        valueOffsets: offsets.subarray(0, validity.length + 1),
        data: new Uint8Array(bytes.buffer, bytes.byteOffset, size),
      }),
  };
}

/**
 * Short ASCII strings (ids, codes, names, timestamps as text) are copied by a plain loop: for them the
 * call into Buffer's native UTF-8 writer costs more than the copy (measured: about a third of the
 * builder's string time). Anything longer or non-ASCII goes to the native writer.
 */
function writeUtf8(bytes: Buffer, text: string, at: number): number {
  const n = text.length;
  if (n <= SHORT_STRING) {
    let j = 0;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c >= 0x80) break;
      bytes[at + j] = c;
    }
    if (j === n) return n;
  }
  return bytes.write(text, at, 'utf8');
}
const SHORT_STRING = 64;

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
      return variableWidthColumn(true);
    case 'binary':
      return variableWidthColumn(false);
  }
  if (typeof type === 'string' && parseDecimal(type)) return decimalColumn();
  if (typeof type === 'string' && parseFixed(type) === undefined && type !== 'uuid') {
    throw new Error(`no Arrow encoding for Iceberg type ${JSON.stringify(type)}`);
  }
  return genericColumn(type);
}
