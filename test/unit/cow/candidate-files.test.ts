import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countWithin, someWithin, sortedValues } from '../../../shared/cow/candidate-files.js';
import { compareValue } from '../../../shared/cow/keys.js';
import type { IcebergValue } from '../../../shared/iceberg/spec/values.js';
import { seeded } from '../../support/random.js';

/** The count by comparing every value, the reference for the binary searches. */
function countByScan(values: readonly IcebergValue[], lower?: IcebergValue, upper?: IcebergValue): number {
  return values.filter(
    (v) =>
      (lower === undefined || compareValue(v, lower) >= 0) &&
      (upper === undefined || compareValue(v, upper) <= 0),
  ).length;
}

test('the values within a key range are counted as a scan counts them: longs, doubles, strings, open bounds, empty ranges', () => {
  const random = seeded(1707);
  const kinds: ((n: number) => IcebergValue)[] = [
    (n) => BigInt(n) * 3n,
    (n) => n / 4,
    (n) => `k${String(n).padStart(4, '0')}`,
  ];
  for (const make of kinds) {
    for (let round = 0; round < 200; round++) {
      const values = Array.from({ length: Math.floor(random() * 40) }, () =>
        make(Math.floor(random() * 100)),
      );
      const sorted = sortedValues(values);
      const a = make(Math.floor(random() * 110) - 5);
      const b = make(Math.floor(random() * 110) - 5);
      const [lower, upper] = compareValue(a, b) <= 0 ? [a, b] : [b, a];
      const bounds: [IcebergValue | undefined, IcebergValue | undefined][] = [
        [lower, upper],
        [undefined, upper],
        [lower, undefined],
        [undefined, undefined],
        [upper, lower],
      ];
      for (const [lo, hi] of bounds) {
        const expected = countByScan(values, lo, hi);
        assert.equal(
          countWithin(sorted, lo, hi),
          expected,
          `${String(lo)}..${String(hi)} of ${values.join(',')}`,
        );
        assert.equal(someWithin(sorted, lo, hi), expected > 0);
      }
    }
  }
});
