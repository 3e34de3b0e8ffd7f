// Growable Arrow column buffers, filled one value at a time. A change-set of a 50 MB file holds
// hundreds of thousands of values; keeping them as JS bigints and strings until the end would make the
// garbage collector copy every one of them into the old generation. Here a value is written straight
// into a typed array (strings as UTF-8 bytes) and the JS value dies young.

import * as arrow from 'apache-arrow';
import { parseDecimal, parseFixed, type IcebergType } from '../iceberg/types.js';
import type { IcebergValue } from '../iceberg/values.js';
import { buildData } from './arrow-columns.js';

const encoder = new TextEncoder();
const MASK64 = (1n << 64n) - 1n;

type TypedArray =
  Int8Array | Int32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array | Uint8Array;
type TypedArrayConstructor<T extends TypedArray> = { new (length: number): T };

function grow<T extends TypedArray>(array: T, needed: number, make: TypedArrayConstructor<T>): T {
  if (needed <= array.length) return array;
  const next = new make(Math.max(needed, array.length * 2, 64));
  (next as unknown as { set(a: T): void }).set(array);
  return next;
}

export abstract class ColumnAccumulator {
  length = 0;
  nullCount = 0;
  private validity = new Uint8Array(64);

  /** Append a value (null for SQL NULL or an absent column). */
  push(value: IcebergValue): void {
    const i = this.length++;
    if (i >> 3 >= this.validity.length) this.validity = grow(this.validity, (i >> 3) + 1, Uint8Array);
    if (value === null) {
      this.nullCount++;
      this.pushNull(i);
    } else {
      this.validity[i >> 3]! |= 1 << (i & 7);
      this.pushValue(i, value);
    }
  }

  protected nullBitmap(): Uint8Array {
    return this.validity.subarray(0, (this.length + 7) >> 3);
  }

  protected abstract pushValue(index: number, value: IcebergValue): void;
  protected abstract pushNull(index: number): void;
  abstract toData(arrowType: arrow.DataType): arrow.Data;
}

/** Int32Array values; one class per array type keeps the element stores monomorphic. */
class Int32Column extends ColumnAccumulator {
  private values = new Int32Array(1024);
  private reserve(index: number): void {
    if (index >= this.values.length) {
      const next = new Int32Array(Math.max(index + 1, this.values.length * 2));
      next.set(this.values);
      this.values = next;
    }
  }
  protected pushValue(index: number, value: IcebergValue): void {
    this.reserve(index);
    this.values[index] = value as number;
  }
  protected pushNull(index: number): void {
    this.reserve(index);
  }
  toData(arrowType: arrow.DataType): arrow.Data {
    return arrow.makeData({
      type: arrowType as arrow.Int32,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      data: this.values.subarray(0, this.length) as unknown as Int32Array,
    });
  }
}

/** BigInt64Array values; one class per array type keeps the element stores monomorphic. */
class BigInt64Column extends ColumnAccumulator {
  private values = new BigInt64Array(1024);
  private reserve(index: number): void {
    if (index >= this.values.length) {
      const next = new BigInt64Array(Math.max(index + 1, this.values.length * 2));
      next.set(this.values);
      this.values = next;
    }
  }
  protected pushValue(index: number, value: IcebergValue): void {
    this.reserve(index);
    this.values[index] = value as bigint;
  }
  protected pushNull(index: number): void {
    this.reserve(index);
  }
  toData(arrowType: arrow.DataType): arrow.Data {
    return arrow.makeData({
      type: arrowType as arrow.Int32,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      data: this.values.subarray(0, this.length) as unknown as Int32Array,
    });
  }
}

/** Float32Array values; one class per array type keeps the element stores monomorphic. */
class Float32Column extends ColumnAccumulator {
  private values = new Float32Array(1024);
  private reserve(index: number): void {
    if (index >= this.values.length) {
      const next = new Float32Array(Math.max(index + 1, this.values.length * 2));
      next.set(this.values);
      this.values = next;
    }
  }
  protected pushValue(index: number, value: IcebergValue): void {
    this.reserve(index);
    this.values[index] = value as number;
  }
  protected pushNull(index: number): void {
    this.reserve(index);
  }
  toData(arrowType: arrow.DataType): arrow.Data {
    return arrow.makeData({
      type: arrowType as arrow.Int32,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      data: this.values.subarray(0, this.length) as unknown as Int32Array,
    });
  }
}

/** Float64Array values; one class per array type keeps the element stores monomorphic. */
class Float64Column extends ColumnAccumulator {
  private values = new Float64Array(1024);
  private reserve(index: number): void {
    if (index >= this.values.length) {
      const next = new Float64Array(Math.max(index + 1, this.values.length * 2));
      next.set(this.values);
      this.values = next;
    }
  }
  protected pushValue(index: number, value: IcebergValue): void {
    this.reserve(index);
    this.values[index] = value as number;
  }
  protected pushNull(index: number): void {
    this.reserve(index);
  }
  toData(arrowType: arrow.DataType): arrow.Data {
    return arrow.makeData({
      type: arrowType as arrow.Int32,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      data: this.values.subarray(0, this.length) as unknown as Int32Array,
    });
  }
}

class BoolColumn extends ColumnAccumulator {
  private bits = new Uint8Array(64);
  protected pushValue(index: number, value: IcebergValue): void {
    this.bits = grow(this.bits, (index >> 3) + 1, Uint8Array);
    if (value === true) this.bits[index >> 3]! |= 1 << (index & 7);
  }
  protected pushNull(index: number): void {
    this.bits = grow(this.bits, (index >> 3) + 1, Uint8Array);
  }
  toData(arrowType: arrow.DataType): arrow.Data {
    return arrow.makeData({
      type: arrowType as arrow.Bool,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      data: this.bits.subarray(0, (this.length + 7) >> 3),
    });
  }
}

class DecimalColumn extends ColumnAccumulator {
  private words = new BigUint64Array(128);
  protected pushValue(index: number, value: IcebergValue): void {
    this.words = grow(this.words, (index + 1) * 2, BigUint64Array);
    const n = value as bigint;
    this.words[2 * index] = n & MASK64;
    this.words[2 * index + 1] = (n >> 64n) & MASK64;
  }
  protected pushNull(index: number): void {
    this.words = grow(this.words, (index + 1) * 2, BigUint64Array);
  }
  toData(arrowType: arrow.DataType): arrow.Data {
    const words = this.words.subarray(0, this.length * 2);
    return arrow.makeData({
      type: arrowType as arrow.Decimal,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      data: new Uint32Array(words.buffer, words.byteOffset, this.length * 4),
    });
  }
}

/** Utf8 and Binary: offsets plus one byte buffer. */
class VariableWidth extends ColumnAccumulator {
  private offsets = new Int32Array(1024);
  private bytes = new Uint8Array(16384);
  private size = 0;
  constructor(private readonly utf8: boolean) {
    super();
  }
  private reserve(index: number, extraBytes: number): void {
    // Monomorphic growth (a shared generic helper measured several times slower here).
    if (index + 2 > this.offsets.length) {
      const next = new Int32Array(Math.max(index + 2, this.offsets.length * 2));
      next.set(this.offsets);
      this.offsets = next;
    }
    if (this.size + extraBytes > this.bytes.length) {
      const next = new Uint8Array(Math.max(this.size + extraBytes, this.bytes.length * 2));
      next.set(this.bytes.subarray(0, this.size));
      this.bytes = next;
    }
  }
  protected pushValue(index: number, value: IcebergValue): void {
    if (this.utf8) {
      const text = value as string;
      // UTF-8 needs at most 3 bytes per UTF-16 unit.
      this.reserve(index, text.length * 3);
      this.size += encoder.encodeInto(text, this.bytes.subarray(this.size)).written;
    } else {
      const data = value as Uint8Array;
      this.reserve(index, data.length);
      this.bytes.set(data, this.size);
      this.size += data.length;
    }
    if (this.size > 0x7fffffff) throw new RangeError('column data exceeds 2 GiB');
    this.offsets[index + 1] = this.size;
  }
  protected pushNull(index: number): void {
    this.reserve(index, 0);
    this.offsets[index + 1] = this.size;
  }
  toData(arrowType: arrow.DataType): arrow.Data {
    return arrow.makeData({
      type: arrowType as arrow.Utf8,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullBitmap(),
      valueOffsets: this.offsets.subarray(0, this.length + 1),
      data: this.bytes.subarray(0, this.size),
    });
  }
}

/** Nested and rare types: values kept as they are, encoded at the end. */
class Generic extends ColumnAccumulator {
  private readonly values: IcebergValue[] = [];
  constructor(private readonly type: IcebergType) {
    super();
  }
  protected pushValue(_index: number, value: IcebergValue): void {
    this.values.push(value);
  }
  protected pushNull(): void {
    this.values.push(null);
  }
  toData(arrowType: arrow.DataType): arrow.Data {
    return buildData(this.type, arrowType, this.values);
  }
}

/** An accumulator for a column of this Iceberg type. */
export function columnAccumulator(type: IcebergType): ColumnAccumulator {
  switch (type) {
    case 'boolean':
      return new BoolColumn();
    case 'int':
    case 'date':
      return new Int32Column();
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return new BigInt64Column();
    case 'float':
      return new Float32Column();
    case 'double':
      return new Float64Column();
    case 'string':
      return new VariableWidth(true);
    case 'binary':
      return new VariableWidth(false);
  }
  if (typeof type === 'string' && parseDecimal(type)) return new DecimalColumn();
  if (typeof type === 'string' && parseFixed(type) === undefined && type !== 'uuid') {
    throw new Error(`no Arrow encoding for Iceberg type ${JSON.stringify(type)}`);
  }
  return new Generic(type);
}
