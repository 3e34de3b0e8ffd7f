// Which live data files may hold one of a batch's keys, from manifest metadata alone: a file is a
// candidate when some batch key's first key column lies within the file's lower/upper bounds of that
// column (files are written sorted by key, so their bounds are narrow). A file without bounds for the
// column is always a candidate. Candidates are then confirmed by reading their key columns.

import { fromSingleValueBytes } from '../iceberg/spec/single-value.js';
import type { LiveDataFile } from '../iceberg/table-files.js';
import type { NestedField } from '../iceberg/spec/types.js';
import type { IcebergValue } from '../iceberg/spec/values.js';
import { compareValue } from './keys.js';

/** `sorted`: the batch's first key values in compareValue order (sortedValues). */
export function candidateFiles(
  live: readonly LiveDataFile[],
  firstKeyField: NestedField,
  sorted: ArrayLike<IcebergValue>,
): LiveDataFile[] {
  if (sorted.length === 0) return [];
  return live.filter((file) => {
    const lowerBytes = file.dataFile.lowerBounds.get(firstKeyField.id);
    const upperBytes = file.dataFile.upperBounds.get(firstKeyField.id);
    const lower = lowerBytes ? fromSingleValueBytes(firstKeyField.type, lowerBytes) : undefined;
    const upper = upperBytes ? fromSingleValueBytes(firstKeyField.type, upperBytes) : undefined;
    return someWithin(sorted, lower, upper);
  });
}

/** Whether some of the sorted values lies within [lower, upper] (an undefined bound is open). */
export function someWithin(
  sorted: ArrayLike<IcebergValue>,
  lower: IcebergValue | undefined,
  upper: IcebergValue | undefined,
): boolean {
  return countWithin(sorted, lower, upper) > 0;
}

/** How many of the sorted values lie within [lower, upper] (an undefined bound is open). */
export function countWithin(
  sorted: ArrayLike<IcebergValue>,
  lower: IcebergValue | undefined,
  upper: IcebergValue | undefined,
): number {
  // the first value ≥ lower and the first value > upper
  const first = lower === undefined ? 0 : firstIndex(sorted, (v) => compareValue(v, lower) >= 0);
  const end =
    upper === undefined ? sorted.length : firstIndex(sorted, (v) => compareValue(v, upper) > 0, first);
  return Math.max(0, end - first);
}

/** The first index from `from` whose value passes `atOrAfter` (which is monotone over sorted values). */
function firstIndex(
  sorted: ArrayLike<IcebergValue>,
  atOrAfter: (v: IcebergValue) => boolean,
  from = 0,
): number {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (atOrAfter(sorted[mid] ?? null)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** How many of the sorted values lie within the file's bounds of the first key column. */
export function keysWithinBounds(
  file: LiveDataFile,
  firstKeyField: NestedField,
  sorted: ArrayLike<IcebergValue>,
): number {
  const lowerBytes = file.dataFile.lowerBounds.get(firstKeyField.id);
  const upperBytes = file.dataFile.upperBounds.get(firstKeyField.id);
  const lower = lowerBytes ? fromSingleValueBytes(firstKeyField.type, lowerBytes) : undefined;
  const upper = upperBytes ? fromSingleValueBytes(firstKeyField.type, upperBytes) : undefined;
  return countWithin(sorted, lower, upper);
}

const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n - 1n;

/**
 * The values in compareValue order. Integer keys (all bigints, or all numbers) are sorted natively in a
 * typed array, which is returned as it is: the generic comparison per pair was most of this function's
 * time for 20,000 keys, and copying back to an array made a bigint per key.
 */
export function sortedValues(values: readonly IcebergValue[]): ArrayLike<IcebergValue> {
  // a range check, not BigInt.asIntN(64, v) === v, which makes a bigint per value
  if (values.length > 0 && values.every((v) => typeof v === 'bigint' && v >= MIN_LONG && v <= MAX_LONG)) {
    return BigInt64Array.from(values as bigint[]).sort();
  }
  if (values.every((v) => typeof v === 'number' && !Number.isNaN(v) && !Object.is(v, -0))) {
    return Float64Array.from(values as number[]).sort();
  }
  return [...values].sort(compareValue);
}
