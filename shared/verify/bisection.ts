// Finding the keys that differ between the table and the source without moving every row: the key space
// is cut into ranges at the table's own keys, each range fingerprinted on both sides (row count and sum
// of row hashes, row-hash.ts); ranges that agree are done, ranges that differ are cut again (`fanout`
// parts), until a range holds at most `leafRows` rows on both sides: then its (key, hash) pairs are
// fetched from the source and compared one by one. With d differing keys in n rows this hashes about
// fanout · d · log_fanout(n / leafRows) ranges and fetches at most d · leafRows pairs.
//
// The table side is in memory (one hash per row, sorted by key); the source side answers range queries.

import { compareKey } from '../cow/keys.js';
import type { IcebergValue } from '../iceberg/spec/values.js';

export type Key = readonly IcebergValue[];

/** [lower, upper): null bounds are open (the whole key space on that side). */
export interface KeyRange {
  lower: Key | null;
  upper: Key | null;
}

export interface RangeSummary {
  count: number;
  sum: bigint;
}

export interface RangeSource {
  /** Fingerprints of the source's rows in each range. */
  summarize(ranges: readonly KeyRange[]): Promise<RangeSummary[]>;
  /** Every source row in the range: its key id (TableEntries.ids) and its row hash. */
  rowHashes(range: KeyRange): Promise<Array<{ id: string; hash: bigint }>>;
}

/** The table's rows as keys and row hashes, sorted by key; a row's key id is computed when needed. */
export interface TableEntries {
  keys: Key[];
  hashes: ArrayLike<bigint>;
  idOf(index: number): string;
}

export interface BisectionOptions {
  fanout: number;
  leafRows: number;
  /** The source's fingerprint of the whole key space, when already known (saves the first round). */
  total?: RangeSummary;
  /** Called after each round of range fingerprints (progress). */
  onRound?: (round: number, ranges: number) => void;
}

export interface BisectionResult {
  /** Key ids that differ: absent on one side, present twice in the table, or with another row hash. */
  differing: string[];
  /** The table's entries (indexes) whose key is among them. */
  differingEntries: number[];
  /** Ranges fingerprinted by the source, and ranges whose rows were fetched (with the rows). */
  rangesHashed: number;
  rangesFetched: number;
  rowsFetched: number;
}

interface Span {
  range: KeyRange;
  /** The table's entries in the range: [from, to). */
  from: number;
  to: number;
}

/** The first index whose key is ≥ key (entries sorted). */
function lowerBound(keys: readonly Key[], key: Key, from: number, to: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKey(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Cut a span at the keys of evenly spaced entries (at most `fanout` parts, none empty on our side). */
export function splitSpan(entries: TableEntries, span: Span, fanout: number): Span[] {
  const out: Span[] = [];
  let from = span.from;
  let lower = span.range.lower;
  for (let part = 1; part < fanout; part++) {
    let at = span.from + Math.floor(((span.to - span.from) * part) / fanout);
    if (at <= from) continue;
    // a key present twice (a broken table) stays in one part: cut at its first entry
    at = lowerBound(entries.keys, entries.keys[at]!, from, at + 1);
    if (at <= from) continue;
    const cut = entries.keys[at]!;
    out.push({ range: { lower, upper: cut }, from, to: at });
    from = at;
    lower = cut;
  }
  out.push({ range: { lower, upper: span.range.upper }, from, to: span.to });
  return out;
}

export function prefixSums(hashes: ArrayLike<bigint>): bigint[] {
  const sums = new Array<bigint>(hashes.length + 1);
  sums[0] = 0n;
  for (let i = 0; i < hashes.length; i++) sums[i + 1] = sums[i]! + hashes[i]!;
  return sums;
}

/** The differing keys of a leaf: both sides' (id, hash) pairs compared as multisets per id. */
export function compareLeaf(
  table: Array<{ id: string; hash: bigint }>,
  source: Array<{ id: string; hash: bigint }>,
): string[] {
  const ours = new Map<string, bigint[]>();
  for (const t of table) ours.set(t.id, [...(ours.get(t.id) ?? []), t.hash]);
  const theirs = new Map<string, bigint[]>();
  for (const s of source) theirs.set(s.id, [...(theirs.get(s.id) ?? []), s.hash]);
  const differing: string[] = [];
  for (const id of new Set([...ours.keys(), ...theirs.keys()])) {
    const a = ours.get(id) ?? [];
    const b = theirs.get(id) ?? [];
    if (a.length !== b.length || a.some((h, i) => h !== b[i])) differing.push(id);
  }
  return differing;
}

export async function bisect(
  entries: TableEntries,
  source: RangeSource,
  options: BisectionOptions,
): Promise<BisectionResult> {
  const sums = prefixSums(entries.hashes);
  const result: BisectionResult = {
    differing: [],
    differingEntries: [],
    rangesHashed: 0,
    rangesFetched: 0,
    rowsFetched: 0,
  };
  const leaves: Span[] = [];
  let pending: Span[] = [{ range: { lower: null, upper: null }, from: 0, to: entries.keys.length }];
  for (let round = 1; pending.length > 0; round++) {
    const summaries =
      round === 1 && options.total ? [options.total] : await source.summarize(pending.map((s) => s.range));
    result.rangesHashed += pending.length;
    options.onRound?.(round, pending.length);
    const next: Span[] = [];
    pending.forEach((span, i) => {
      const theirs = summaries[i]!;
      const count = span.to - span.from;
      if (theirs.count === count && theirs.sum === sums[span.to]! - sums[span.from]!) return;
      if (Math.max(count, theirs.count) <= options.leafRows || count < 2) leaves.push(span);
      else {
        const parts = splitSpan(entries, span, options.fanout);
        // one key all through the span (a broken table holding it many times): nothing left to cut
        if (parts.length === 1) leaves.push(span);
        else next.push(...parts);
      }
    });
    pending = next;
  }
  for (const leaf of leaves) {
    const theirs = await source.rowHashes(leaf.range);
    result.rangesFetched += 1;
    result.rowsFetched += theirs.length;
    const ours: Array<{ id: string; hash: bigint; index: number }> = [];
    for (let i = leaf.from; i < leaf.to; i++)
      ours.push({ id: entries.idOf(i), hash: entries.hashes[i]!, index: i });
    ours.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    theirs.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    const differing = compareLeaf(ours, theirs);
    result.differing.push(...differing);
    const wanted = new Set(differing);
    for (const entry of ours) if (wanted.has(entry.id)) result.differingEntries.push(entry.index);
  }
  return result;
}
