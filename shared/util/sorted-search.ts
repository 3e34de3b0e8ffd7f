// Binary search over ascending start offsets (of record batches, row groups): which run holds an index.

/** The index of the last of the ascending `starts` that is ≤ `at` (0 when none is). */
export function lastStartAtOrBefore(starts: readonly number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
