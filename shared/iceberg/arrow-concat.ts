// Gather row ranges of Arrow data into one contiguous column, copying raw buffers (no value ever becomes a
// JS value). The copy-on-write rewrite keeps most rows of a file as ranges of its record batches and
// splices changed rows in between; one contiguous batch per output file keeps the Arrow IPC hand-over to
// the Parquet writer to one message instead of one per range.
//
// apache-arrow's slicing: value and offset buffers (and struct children) are sliced with the data, so a
// value is indexed by its logical position; validity and boolean bitmaps are not, so they are indexed
// with `data.offset` added.

import * as arrow from 'apache-arrow';

/** `length` rows of `data` from logical row `start`. */
export interface DataRange {
  data: arrow.Data;
  start: number;
  length: number;
}

function bitAt(bits: Uint8Array, i: number): boolean {
  return (bits[i >> 3]! & (1 << (i & 7))) !== 0;
}

/** Copy `length` bits from `src` at bit `from` into `dst` at bit `to` (dst bits start cleared). */
function copyBits(dst: Uint8Array, to: number, src: Uint8Array, from: number, length: number): number {
  let set = 0;
  for (let i = 0; i < length; i++) {
    if (bitAt(src, from + i)) {
      dst[(to + i) >> 3]! |= 1 << ((to + i) & 7);
      set++;
    }
  }
  return set;
}

/** Set bits [to, to + length) of `dst`, a byte at a time where aligned. */
function setBits(dst: Uint8Array, to: number, length: number): void {
  let i = to;
  const end = to + length;
  while (i < end && (i & 7) !== 0) {
    dst[i >> 3]! |= 1 << (i & 7);
    i++;
  }
  if (i + 8 <= end) {
    dst.fill(0xff, i >> 3, end >> 3);
    i = end & ~7;
  }
  for (; i < end; i++) dst[i >> 3]! |= 1 << (i & 7);
}

/** Validity of the gathered rows and their null count (no bitmap when nothing is null). */
function gatherValidity(ranges: readonly DataRange[], n: number): { bitmap?: Uint8Array; nullCount: number } {
  if (ranges.every((r) => !r.data.nullBitmap || r.data.nullCount === 0)) return { nullCount: 0 };
  const bitmap = new Uint8Array((n + 7) >> 3);
  let at = 0;
  let valid = 0;
  for (const r of ranges) {
    if (!r.data.nullBitmap || r.data.nullCount === 0) {
      setBits(bitmap, at, r.length);
      valid += r.length;
    } else {
      valid += copyBits(bitmap, at, r.data.nullBitmap, r.data.offset + r.start, r.length);
    }
    at += r.length;
  }
  return { bitmap, nullCount: n - valid };
}

/**
 * One contiguous Data holding the ranges in order, all of `type`. Undefined for types this does not
 * gather (lists, maps, unions, views): the caller keeps those as a chunked column.
 */
export function concatRanges(type: arrow.DataType, ranges: readonly DataRange[]): arrow.Data | undefined {
  let n = 0;
  for (const r of ranges) n += r.length;
  const { bitmap, nullCount } = gatherValidity(ranges, n);
  const nullBitmap = bitmap ?? new Uint8Array(0);
  if (arrow.DataType.isBool(type)) {
    const values = new Uint8Array((n + 7) >> 3);
    let at = 0;
    for (const r of ranges) {
      copyBits(values, at, r.data.values as Uint8Array, r.data.offset + r.start, r.length);
      at += r.length;
    }
    return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: values });
  }
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type)) {
    const offsets = new Int32Array(n + 1);
    let bytes = 0;
    for (const r of ranges) {
      const o = r.data.valueOffsets as Int32Array;
      bytes += o[r.start + r.length]! - o[r.start]!;
    }
    if (bytes > 0x7fffffff) return undefined; // beyond one chunk's 32-bit offsets: stay chunked
    const data = new Uint8Array(bytes);
    let at = 0;
    let pos = 0;
    for (const r of ranges) {
      const o = r.data.valueOffsets as Int32Array;
      const first = o[r.start]!;
      const last = o[r.start + r.length]!;
      data.set((r.data.values as Uint8Array).subarray(first, last), pos);
      const shift = pos - first;
      for (let i = 1; i <= r.length; i++) offsets[at + i] = o[r.start + i]! + shift;
      at += r.length;
      pos += last - first;
    }
    return arrow.makeData({
      type: type as arrow.Utf8,
      length: n,
      nullCount,
      nullBitmap,
      valueOffsets: offsets,
      data,
    });
  }
  if (arrow.DataType.isStruct(type)) {
    const children: arrow.Data[] = [];
    for (let k = 0; k < type.children.length; k++) {
      const child = concatRanges(
        type.children[k]!.type,
        ranges.map((r) => ({ data: r.data.children[k]!, start: r.start, length: r.length })),
      );
      if (!child) return undefined;
      children.push(child);
    }
    return arrow.makeData({ type, length: n, nullCount, nullBitmap, children });
  }
  const fixedWidth =
    arrow.DataType.isInt(type) ||
    arrow.DataType.isFloat(type) ||
    arrow.DataType.isDecimal(type) ||
    arrow.DataType.isDate(type) ||
    arrow.DataType.isTime(type) ||
    arrow.DataType.isTimestamp(type) ||
    arrow.DataType.isFixedSizeBinary(type);
  if (!fixedWidth || ranges.length === 0) return undefined;
  const stride = ranges[0]!.data.stride;
  const first = ranges[0]!.data.values as Uint8Array; // any typed array; only its constructor is used
  const values = new (first.constructor as Uint8ArrayConstructor)(n * stride);
  let at = 0;
  for (const r of ranges) {
    const v = r.data.values as Uint8Array;
    values.set(v.subarray(r.start * stride, (r.start + r.length) * stride), at * stride);
    at += r.length;
  }
  return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: values } as never);
}
