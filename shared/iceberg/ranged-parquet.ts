// A Parquet data file read by byte ranges instead of whole: its footer (one ranged read of the file's
// last bytes, a second only when the footer is larger), then only the column chunks or row groups a
// reader needs. On Cloud Storage a whole-file read costs the file's size per commit; the merge-on-read
// key lookup needs the key and order columns of a few row groups (shared/cow/merge-on-read.ts).

import type { FileStore } from './file-store.js';
import { decodeFooterTail, footerLength } from './io/parquet-footer-struct.js';
import { columnSubsetOf, columnSubsetRanges, type ByteRange } from './io/parquet-column-subset.js';
import {
  spliceableFooterLayout,
  spliceRowGroups,
  SpliceRefused,
  type ParquetLayout,
} from './io/parquet-splice.js';
import type { ThriftStruct } from './io/thrift-compact.js';

/** The first read of a footer: the last this many bytes, which hold the whole footer of most files. */
export const FOOTER_READ_BYTES = 64 * 1024;

export interface RangedParquet {
  store: FileStore;
  file: string;
  size: number;
  footer: ThriftStruct;
  footerStart: number;
  /** The last bytes of the file read with the footer (a small file's whole): ranges within are not read again. */
  tail: Uint8Array;
  /** Undefined for a file whose row groups cannot be told apart (parquet-splice.ts refuses it). */
  layout: ParquetLayout | undefined;
}

/**
 * The footer of the Parquet file `file` of `size` bytes (its manifest's file_size_in_bytes), read by
 * range; undefined when the bytes there do not end as a Parquet file (a size that does not match the
 * object): the caller reads the whole file instead.
 */
export async function openRangedParquet(
  store: FileStore,
  file: string,
  size: number,
): Promise<RangedParquet | undefined> {
  if (size < 12) return undefined;
  let tail = await store.getRange(file, Math.max(0, size - FOOTER_READ_BYTES), size);
  if (tail.length !== Math.min(size, FOOTER_READ_BYTES)) return undefined;
  const length = footerLength(tail, size);
  if (length === undefined) return undefined;
  if (length + 8 > tail.length) {
    // a footer larger than the first read: the rest of it
    const rest = await store.getRange(file, size - 8 - length, size - tail.length);
    const whole = new Uint8Array(length + 8);
    whole.set(rest, 0);
    whole.set(tail, rest.length);
    tail = whole;
  }
  const { footer, footerStart } = decodeFooterTail(tail, size, file);
  return {
    store,
    file,
    size,
    footer,
    footerStart,
    tail,
    layout: spliceableFooterLayout(footer, footerStart, file),
  };
}

/**
 * The bytes of `ranges` (disjoint), one request each but for those the tail read with the footer holds,
 * as a reader of [start, end) within one of them.
 */
async function readRanges(
  parquet: RangedParquet,
  ranges: readonly ByteRange[],
): Promise<(start: number, end: number) => Uint8Array | undefined> {
  const tailStart = parquet.size - parquet.tail.length;
  const read = await Promise.all(
    ranges.map(async (r) => ({
      ...r,
      bytes:
        r.start >= tailStart
          ? parquet.tail.subarray(r.start - tailStart, r.end - tailStart)
          : await parquet.store.getRange(parquet.file, r.start, r.end),
    })),
  );
  return (start, end) => {
    const hit = read.find((r) => r.start <= start && end <= r.end && r.bytes.length === r.end - r.start);
    return hit?.bytes.subarray(start - hit.start, end - hit.start);
  };
}

/**
 * columnSubset (parquet-column-subset.ts) of a file read by range: only the chunks of the wanted
 * columns of `rowGroups` (all without) are read. Undefined when the subset cannot be made.
 */
export async function rangedColumnSubset(
  parquet: RangedParquet,
  fieldIds: readonly number[],
  rowGroups?: readonly number[],
): Promise<Uint8Array | undefined> {
  const ranges = columnSubsetRanges(parquet.footer, fieldIds, rowGroups);
  if (!ranges || ranges.some((r) => r.start < 4 || r.end > parquet.footerStart)) return undefined;
  return columnSubsetOf(parquet.footer, await readRanges(parquet, ranges), fieldIds, rowGroups);
}

/**
 * A Parquet file of the row groups `groups` (indexes ascending) of a file read by range, every column,
 * the footer's schema and metadata kept (parquet-splice.ts). Undefined without a layout.
 */
export async function rangedRowGroups(
  parquet: RangedParquet,
  groups: readonly number[],
): Promise<Uint8Array | undefined> {
  const layout = parquet.layout;
  if (!layout) return undefined;
  const chosen = groups.map((g) => layout.groups[g]!);
  // adjacent groups as one range
  const ranges: ByteRange[] = [];
  for (const { start, end } of chosen) {
    const last = ranges[ranges.length - 1];
    if (last && last.end === start) last.end = end;
    else ranges.push({ start, end });
  }
  const read = await readRanges(parquet, ranges);
  const bytes = chosen.map((group) => read(group.start, group.end));
  if (bytes.some((b) => !b)) return undefined;
  try {
    return spliceRowGroups(
      chosen.map((group, i) => ({ bytes: bytes[i]!, bytesStart: group.start, layout, group })),
      layout,
    );
  } catch (error) {
    if (error instanceof SpliceRefused) return undefined;
    throw error;
  }
}
