// Lower/upper bounds (Appendix D bytes, strings and binaries truncated to 16 as Iceberg Java's default
// metrics mode) and NaN counts, computed from the exact Arrow buffers of the data written. Only columns
// outside lists and maps get bounds (a bound of a repeated column says nothing per row, Java skips them).
// Comparisons follow Iceberg: signed for numbers, unsigned bytewise for strings (= code point order) and
// binaries, NaN excluded from float bounds, -0.0 below 0.0.

import type * as arrow from 'apache-arrow';
import {
  decimalToBytes,
  DEFAULT_TRUNCATE_LENGTH,
  stringBoundBytes,
  toSingleValueBytes,
  truncateBinaryLower,
  truncateBinaryUpper,
} from '../spec/single-value.js';
import { parseDecimal, parseFixed, type IcebergType, type NestedField } from '../spec/types.js';

export interface BoundsAndNaNs {
  lowerBounds: Map<number, Uint8Array>;
  upperBounds: Map<number, Uint8Array>;
  nanValueCounts: Map<number, number>;
}

function isValid(data: arrow.Data, i: number): boolean {
  if (!data.nullBitmap || data.nullCount === 0) return true;
  const j = data.offset + i;
  return (data.nullBitmap[j >> 3]! & (1 << (j & 7))) !== 0;
}

function compareBytes(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let k = 0; k < n; k++) {
    const d = a[aStart + k]! - b[bStart + k]!;
    if (d !== 0) return d;
  }
  return aEnd - aStart - (bEnd - bStart);
}

/** compareBytes four bytes at a time (big-endian words compare like bytes): strings share long prefixes. */
function compareBytesWide(
  av: DataView,
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  bv: DataView,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const x = av.getUint32(aStart + k);
    const y = bv.getUint32(bStart + k);
    if (x !== y) return x < y ? -1 : 1;
  }
  for (; k < n; k++) {
    const d = a[aStart + k]! - b[bStart + k]!;
    if (d !== 0) return d;
  }
  return aEnd - aStart - (bEnd - bStart);
}

/** Signed compare of two 128-bit little-endian two's-complement values held as 4 u32 words. */
function compareDecimalWords(w: Uint32Array, i: number, j: number): number {
  const hi = (w[i * 4 + 3]! | 0) - (w[j * 4 + 3]! | 0);
  if (hi !== 0) return hi;
  for (let k = 2; k >= 0; k--) {
    const d = w[i * 4 + k]! - w[j * 4 + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

function wordsToBigInt(w: Uint32Array, i: number): bigint {
  let x = 0n;
  for (let k = 3; k >= 0; k--) x = (x << 32n) | BigInt(w[i * 4 + k]!);
  return BigInt.asIntN(128, x);
}

type Bounds = { lower?: Uint8Array; upper?: Uint8Array; nans?: number };

/**
 * Min/max (and NaN count) over the chunks of one primitive column. Each type has its own function: a
 * loop that only ever sees one kind of buffer is optimized once and stays so, where one function for all
 * types was deoptimized whenever a column of another type came through.
 */
function primitiveBounds(type: string, chunks: readonly arrow.Data[]): Bounds {
  if (type === 'string' || type === 'binary') return bytesBounds(type, chunks);
  const decimal = parseDecimal(type as IcebergType);
  if (decimal) return decimalBounds(decimal.precision, chunks);
  const width = parseFixed(type as IcebergType) ?? (type === 'uuid' ? 16 : undefined);
  if (width !== undefined) return fixedBounds(width, chunks);
  if (type === 'boolean') return booleanBounds(chunks);
  if (type === 'long' || type === 'time' || type === 'timestamp' || type === 'timestamptz') {
    return int64Bounds(type, chunks);
  }
  if (type === 'float' || type === 'double') return floatBounds(type, chunks);
  if (type === 'int' || type === 'date') return int32Bounds(type, chunks);
  return {};
}

function bytesBounds(type: 'string' | 'binary', chunks: readonly arrow.Data[]): Bounds {
  let minC: arrow.Data | undefined,
    minI = 0,
    maxC: arrow.Data | undefined,
    maxI = 0;
  // The current min/max as (buffer, start, end), so each value costs two inlined comparisons.
  let minB: Uint8Array = new Uint8Array(0),
    minView = new DataView(minB.buffer),
    maxView = minView,
    minS = 0,
    minE = 0,
    maxB = minB,
    maxS = 0,
    maxE = 0;
  for (const d of chunks) {
    const o = d.valueOffsets as Int32Array;
    const v = d.values as Uint8Array;
    const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
    const dense = !d.nullBitmap || d.nullCount === 0;
    for (let i = 0; i < d.length; i++) {
      if (!dense && !isValid(d, i)) continue;
      const s = o[i]!;
      const e = o[i + 1]!;
      if (!minC) {
        minC = maxC = d;
        minI = maxI = i;
        minB = maxB = v;
        minView = maxView = view;
        minS = maxS = s;
        minE = maxE = e;
        continue;
      }
      // first bytes decide most comparisons; compareBytes only on a tie
      const first = s < e ? v[s]! : -1;
      const minFirst = minS < minE ? minB[minS]! : -1;
      if (
        first < minFirst ||
        (first === minFirst && compareBytesWide(view, v, s, e, minView, minB, minS, minE) < 0)
      ) {
        minC = d;
        minI = i;
        minB = v;
        minView = view;
        minS = s;
        minE = e;
      }
      const maxFirst = maxS < maxE ? maxB[maxS]! : -1;
      if (
        first > maxFirst ||
        (first === maxFirst && compareBytesWide(view, v, s, e, maxView, maxB, maxS, maxE) > 0)
      ) {
        maxC = d;
        maxI = i;
        maxB = v;
        maxView = view;
        maxS = s;
        maxE = e;
      }
    }
  }
  if (!minC || !maxC) return {};
  // Only the start of a value can be part of a bound (truncated to 16 characters, of at most 4 bytes
  // each): a copy of the whole min or max could be hundreds of MB.
  const slice = (d: arrow.Data, i: number): Uint8Array => {
    const o = d.valueOffsets as Int32Array;
    const end = Math.min(o[i + 1]!, o[i]! + 4 * DEFAULT_TRUNCATE_LENGTH + 1);
    return Uint8Array.from((d.values as Uint8Array).subarray(o[i]!, end));
  };
  const min = slice(minC, minI);
  const max = slice(maxC, maxI);
  if (type === 'string') {
    const b = stringBoundBytes(min, max);
    return b.upper ? { lower: b.lower, upper: b.upper } : { lower: b.lower };
  }
  const upper = truncateBinaryUpper(max);
  return upper ? { lower: truncateBinaryLower(min), upper } : { lower: truncateBinaryLower(min) };
}

function decimalBounds(precision: number, chunks: readonly arrow.Data[]): Bounds {
  let minV: bigint | undefined, maxV: bigint | undefined;
  for (const d of chunks) {
    const w = d.values as Uint32Array;
    const dense = !d.nullBitmap || d.nullCount === 0;
    let minI = -1,
      maxI = -1;
    if (precision <= 18) {
      // the value fits the low 64 bits: compare (signed word 1, unsigned word 0) like int64Bounds
      const hi = new Int32Array(w.buffer, w.byteOffset, w.length);
      for (let i = 0; i < d.length; i++) {
        if (!dense && !isValid(d, i)) continue;
        if (minI < 0) {
          minI = maxI = i;
          continue;
        }
        const h = hi[4 * i + 1]!;
        const l = w[4 * i]!;
        const mh = hi[4 * minI + 1]!;
        if (h < mh || (h === mh && l < w[4 * minI]!)) minI = i;
        const xh = hi[4 * maxI + 1]!;
        if (h > xh || (h === xh && l > w[4 * maxI]!)) maxI = i;
      }
    } else {
      for (let i = 0; i < d.length; i++) {
        if (!dense && !isValid(d, i)) continue;
        if (minI < 0) {
          minI = maxI = i;
          continue;
        }
        if (compareDecimalWords(w, i, minI) < 0) minI = i;
        if (compareDecimalWords(w, i, maxI) > 0) maxI = i;
      }
    }
    if (minI < 0) continue;
    const lo = wordsToBigInt(w, minI);
    const hi = wordsToBigInt(w, maxI);
    if (minV === undefined || lo < minV) minV = lo;
    if (maxV === undefined || hi > maxV) maxV = hi;
  }
  if (minV === undefined || maxV === undefined) return {};
  return { lower: decimalToBytes(minV), upper: decimalToBytes(maxV) };
}

function fixedBounds(width: number, chunks: readonly arrow.Data[]): Bounds {
  let min: Uint8Array | undefined, max: Uint8Array | undefined;
  for (const d of chunks) {
    const v = d.values as Uint8Array;
    for (let i = 0; i < d.length; i++) {
      if (!isValid(d, i)) continue;
      const cur = v.subarray(i * width, (i + 1) * width);
      if (!min || compareBytes(cur, 0, width, min, 0, width) < 0) min = cur;
      if (!max || compareBytes(cur, 0, width, max, 0, width) > 0) max = cur;
    }
  }
  if (!min || !max) return {};
  // fixed and uuid bounds are not truncated (Java truncates only string and binary)
  return { lower: Uint8Array.from(min), upper: Uint8Array.from(max) };
}

function booleanBounds(chunks: readonly arrow.Data[]): Bounds {
  let seenFalse = false,
    seenTrue = false;
  for (const d of chunks) {
    for (let i = 0; i < d.length; i++) {
      if (!isValid(d, i)) continue;
      const j = d.offset + i;
      if ((d.values[j >> 3] & (1 << (j & 7))) !== 0) seenTrue = true;
      else seenFalse = true;
    }
  }
  if (!seenFalse && !seenTrue) return {};
  return { lower: Uint8Array.of(seenFalse ? 0 : 1), upper: Uint8Array.of(seenTrue ? 1 : 0) };
}

/** float and double: NaN excluded from the bounds and counted, -0.0 below 0.0. */
function floatBounds(type: string, chunks: readonly arrow.Data[]): Bounds {
  let min: number | undefined, max: number | undefined;
  let nans = 0;
  for (const d of chunks) {
    const v = d.values as Float32Array | Float64Array;
    const dense = !d.nullBitmap || d.nullCount === 0;
    for (let i = 0; i < d.length; i++) {
      if (!dense && !isValid(d, i)) continue;
      const x = v[i]!;
      if (Number.isNaN(x)) {
        nans++;
        continue;
      }
      if (min === undefined || x < min || (x === min && Object.is(x, -0))) min = x;
      if (max === undefined || x > max || (x === max && Object.is(max, -0) && Object.is(x, 0))) max = x;
    }
  }
  if (min === undefined || max === undefined) return { nans };
  return {
    nans,
    lower: toSingleValueBytes(type as IcebergType, min),
    upper: toSingleValueBytes(type as IcebergType, max),
  };
}

/** int and date (32-bit values). */
function int32Bounds(type: string, chunks: readonly arrow.Data[]): Bounds {
  let min: number | undefined, max: number | undefined;
  for (const d of chunks) {
    const v = d.values as Int32Array;
    const dense = !d.nullBitmap || d.nullCount === 0;
    for (let i = 0; i < d.length; i++) {
      if (!dense && !isValid(d, i)) continue;
      const x = v[i]!;
      if (min === undefined || x < min) min = x;
      if (max === undefined || x > max) max = x;
    }
  }
  if (min === undefined || max === undefined) return {};
  return {
    lower: toSingleValueBytes(type as IcebergType, min),
    upper: toSingleValueBytes(type as IcebergType, max),
  };
}

/**
 * Min/max of 64-bit integer columns compared as (signed high word, unsigned low word) pairs of 32-bit
 * views: reading a BigInt64Array allocates a bigint per value, which made this the slowest column.
 */
function int64Bounds(
  type: string,
  chunks: readonly arrow.Data[],
): { lower?: Uint8Array; upper?: Uint8Array } {
  let minV: bigint | undefined, maxV: bigint | undefined;
  for (const d of chunks) {
    const big = d.values as BigInt64Array;
    const hi = new Int32Array(big.buffer, big.byteOffset, big.length * 2);
    const lo = new Uint32Array(big.buffer, big.byteOffset, big.length * 2);
    const dense = !d.nullBitmap || d.nullCount === 0;
    let minI = -1,
      maxI = -1;
    for (let i = 0; i < d.length; i++) {
      if (!dense && !isValid(d, i)) continue;
      if (minI < 0) {
        minI = maxI = i;
        continue;
      }
      const h = hi[2 * i + 1]!;
      const l = lo[2 * i]!;
      const mh = hi[2 * minI + 1]!;
      if (h < mh || (h === mh && l < lo[2 * minI]!)) minI = i;
      const xh = hi[2 * maxI + 1]!;
      if (h > xh || (h === xh && l > lo[2 * maxI]!)) maxI = i;
    }
    if (minI < 0) continue;
    if (minV === undefined || big[minI]! < minV) minV = big[minI]!;
    if (maxV === undefined || big[maxI]! > maxV) maxV = big[maxI]!;
  }
  if (minV === undefined || maxV === undefined) return {};
  return {
    lower: toSingleValueBytes(type as IcebergType, minV),
    upper: toSingleValueBytes(type as IcebergType, maxV),
  };
}

/** Bounds and NaN counts of every non-repeated primitive column (struct members included). */
export function computeBoundsAndNaNs(
  fields: readonly NestedField[],
  columns: readonly (readonly arrow.Data[])[],
): BoundsAndNaNs {
  const result: BoundsAndNaNs = { lowerBounds: new Map(), upperBounds: new Map(), nanValueCounts: new Map() };
  const visit = (field: NestedField, chunks: readonly arrow.Data[]): void => {
    const type = field.type;
    if (typeof type === 'string') {
      const b = primitiveBounds(type, chunks);
      if (b.lower) result.lowerBounds.set(field.id, b.lower);
      if (b.upper) result.upperBounds.set(field.id, b.upper);
      if (b.nans !== undefined) result.nanValueCounts.set(field.id, b.nans);
      return;
    }
    if (type.type === 'struct') {
      // A struct child's values at null struct slots are ignored by Parquet too; Arrow children keep
      // their own validity, which our writer sets to null there.
      type.fields.forEach((child, k) =>
        visit(
          child,
          chunks.map((d) => d.children[k]!),
        ),
      );
    }
  };
  fields.forEach((f, k) => visit(f, columns[k]!));
  return result;
}
