// Gather row ranges of Arrow data into one contiguous column, copying raw buffers (no value ever becomes a
// JS value). The copy-on-write rewrite keeps most rows of a file as ranges of its record batches and
// splices changed rows in between; one contiguous batch per output file keeps the Arrow IPC hand-over to
// the Parquet writer to one message instead of one per range.
//
// A rewrite has tens of thousands of ranges over a handful of sources (the file's record batches and the
// batch of replacement rows), so ranges are held as parallel integer arrays over a list of sources: a
// struct's children reuse the same arrays with their own sources, and no object is made per range.
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

/** Ranges in output order: range i is `length[i]` rows of `sources[source[i]]` from row `start[i]`. */
export interface RangeList {
  sources: readonly arrow.Data[];
  source: Int32Array;
  start: Int32Array;
  length: Int32Array;
  count: number;
}

/** Builds a RangeList, merging a range that continues the previous one of the same source. */
export class RangeListBuilder {
  private readonly sources: arrow.Data[] = [];
  private source = new Int32Array(64);
  private start = new Int32Array(64);
  private length = new Int32Array(64);
  private count = 0;

  /** Index of a source for push (register each source once). */
  addSource(data: arrow.Data): number {
    this.sources.push(data);
    return this.sources.length - 1;
  }

  push(source: number, start: number, length: number): void {
    if (length <= 0) return;
    const last = this.count - 1;
    if (last >= 0 && this.source[last] === source && this.start[last]! + this.length[last]! === start) {
      this.length[last]! += length;
      return;
    }
    if (this.count === this.source.length) {
      const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.source = grow(this.source);
      this.start = grow(this.start);
      this.length = grow(this.length);
    }
    this.source[this.count] = source;
    this.start[this.count] = start;
    this.length[this.count] = length;
    this.count++;
  }

  build(): RangeList {
    return {
      sources: this.sources,
      source: this.source,
      start: this.start,
      length: this.length,
      count: this.count,
    };
  }
}

function toRangeList(ranges: readonly DataRange[]): RangeList {
  const builder = new RangeListBuilder();
  const index = new Map<arrow.Data, number>();
  for (const r of ranges) {
    let s = index.get(r.data);
    if (s === undefined) index.set(r.data, (s = builder.addSource(r.data)));
    builder.push(s, r.start, r.length);
  }
  return builder.build();
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

/** Copy bytes [from, from + n) of src to dst at `to`: a loop for short runs (no view made), else set. */
function copyBytes(dst: Uint8Array, to: number, src: Uint8Array, from: number, n: number): void {
  if (n <= 64) for (let k = 0; k < n; k++) dst[to + k] = src[from + k]!;
  else dst.set(src.subarray(from, from + n), to);
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function hasNulls(d: arrow.Data): boolean {
  return !!d.nullBitmap && d.nullCount > 0;
}

/** Validity of the gathered rows and their null count (no bitmap when nothing is null). */
function gatherValidity(list: RangeList, n: number): { bitmap?: Uint8Array; nullCount: number } {
  if (!list.sources.some(hasNulls)) return { nullCount: 0 };
  const nulls = list.sources.map(hasNulls);
  const bitmap = new Uint8Array((n + 7) >> 3);
  let at = 0;
  let valid = 0;
  for (let i = 0; i < list.count; i++) {
    const d = list.sources[list.source[i]!]!;
    const length = list.length[i]!;
    if (!nulls[list.source[i]!]) {
      setBits(bitmap, at, length);
      valid += length;
    } else {
      valid += copyBits(bitmap, at, d.nullBitmap!, d.offset + list.start[i]!, length);
    }
    at += length;
  }
  return { bitmap, nullCount: n - valid };
}

/**
 * One contiguous Data holding the ranges in order, all of `type`. Undefined for types this does not
 * gather (lists, maps, unions, views): the caller keeps those as a chunked column.
 */
export function concatRanges(type: arrow.DataType, ranges: readonly DataRange[]): arrow.Data | undefined {
  return concatRangeList(type, toRangeList(ranges));
}

/** concatRanges over a RangeList. */
export function concatRangeList(type: arrow.DataType, list: RangeList): arrow.Data | undefined {
  let n = 0;
  for (let i = 0; i < list.count; i++) n += list.length[i]!;
  const { bitmap, nullCount } = gatherValidity(list, n);
  const nullBitmap = bitmap ?? new Uint8Array(0);
  if (arrow.DataType.isBool(type)) {
    const values = new Uint8Array((n + 7) >> 3);
    let at = 0;
    for (let i = 0; i < list.count; i++) {
      const d = list.sources[list.source[i]!]!;
      copyBits(values, at, d.values as Uint8Array, d.offset + list.start[i]!, list.length[i]!);
      at += list.length[i]!;
    }
    return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: values });
  }
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type)) {
    const offsets = new Int32Array(n + 1);
    let bytes = 0;
    for (let i = 0; i < list.count; i++) {
      const o = list.sources[list.source[i]!]!.valueOffsets as Int32Array;
      bytes += o[list.start[i]! + list.length[i]!]! - o[list.start[i]!]!;
    }
    if (bytes > 0x7fffffff) return undefined; // beyond one chunk's 32-bit offsets: stay chunked
    const data = new Uint8Array(bytes);
    let at = 0;
    let pos = 0;
    for (let i = 0; i < list.count; i++) {
      const d = list.sources[list.source[i]!]!;
      const o = d.valueOffsets as Int32Array;
      const start = list.start[i]!;
      const length = list.length[i]!;
      const first = o[start]!;
      const last = o[start + length]!;
      copyBytes(data, pos, d.values as Uint8Array, first, last - first);
      const shift = pos - first;
      for (let k = 1; k <= length; k++) offsets[at + k] = o[start + k]! + shift;
      at += length;
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
      const child = concatRangeList(type.children[k]!.type, {
        ...list,
        sources: list.sources.map((d) => d.children[k]!),
      });
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
  if (!fixedWidth || list.sources.length === 0) return undefined;
  const first = list.sources[0]!;
  const stride = first.stride;
  const template = first.values as Uint8Array; // any typed array; only its constructor and width are used
  const values = new (template.constructor as Uint8ArrayConstructor)(n * stride);
  // copied as bytes: a BigInt64Array element read would make a bigint per value
  const rowBytes = stride * template.BYTES_PER_ELEMENT;
  const out = bytesOf(values);
  const sourceBytes = list.sources.map((d) => bytesOf(d.values as Uint8Array));
  let at = 0;
  for (let i = 0; i < list.count; i++) {
    const length = list.length[i]!;
    copyBytes(
      out,
      at * rowBytes,
      sourceBytes[list.source[i]!]!,
      list.start[i]! * rowBytes,
      length * rowBytes,
    );
    at += length;
  }
  return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: values } as never);
}
