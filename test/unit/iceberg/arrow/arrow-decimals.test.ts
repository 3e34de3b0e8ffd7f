// Decimals read from Arrow data are exact on either side of the 64-bit edge, and a values buffer that is
// only 4-byte aligned (all IPC guarantees for a decimal buffer) reads the same as an 8-byte aligned one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { arrowDataToValues, rowsToArrowTable } from '../../../../shared/iceberg/arrow/arrow-rows.js';
import type { Schema } from '../../../../shared/iceberg/spec/types.js';

const TYPE = 'decimal(38, 4)';
const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [{ id: 1, name: 'd', required: false, type: TYPE }],
};

test('decimal values read from Arrow data at 8- and 4-byte alignment are the values written', () => {
  const values = [
    0n,
    -1n,
    12345n,
    2n ** 63n - 1n,
    -(2n ** 63n),
    2n ** 63n,
    -(2n ** 63n) - 1n,
    10n ** 38n - 1n,
  ];
  const written = [...values, null, -(10n ** 38n) + 1n];
  const data = rowsToArrowTable(
    SCHEMA,
    written.map((d) => ({ d })),
  ).batches[0]!.data.children[0]!;
  assert.deepEqual(arrowDataToValues(TYPE, data), written);

  const words = data.values as Uint32Array;
  const shifted = new Uint32Array(words.length + 1).subarray(1); // byteOffset 4
  shifted.set(words);
  assert.equal(shifted.byteOffset % 8, 4);
  const unaligned = arrow.makeData({
    type: data.type as arrow.Decimal,
    length: data.length,
    nullCount: data.nullCount,
    nullBitmap: data.nullBitmap,
    data: shifted,
  });
  assert.deepEqual(arrowDataToValues(TYPE, unaligned), written);
});
