// Bounds taken from Parquet footer statistics equal the bounds computed from the Arrow data, on random
// rows of every eligible type (nulls, negative values, all-null columns, several row groups, multi-byte
// and long strings); columns whose statistics cannot give exact bounds are left to the data.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowsToArrowTable } from '../../../../shared/iceberg/arrow/arrow-rows.js';
import { computeBoundsAndNaNs } from '../../../../shared/iceberg/io/column-metrics.js';
import { writeRowsDataFile } from '../../../../shared/iceberg/io/parquet-data-file.js';
import { readParquetFooter } from '../../../../shared/iceberg/io/parquet-footer.js';
import { boundsFromStatistics } from '../../../../shared/iceberg/io/statistics-bounds.js';
import type { Schema } from '../../../../shared/iceberg/spec/types.js';
import type { Row } from '../../../../shared/iceberg/spec/values.js';
import { seeded } from '../../../support/random.js';

const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'i', required: false, type: 'int' },
    { id: 3, name: 'day', required: false, type: 'date' },
    { id: 4, name: 't', required: false, type: 'time' },
    { id: 5, name: 'ts', required: false, type: 'timestamp' },
    { id: 6, name: 'tstz', required: false, type: 'timestamptz' },
    { id: 7, name: 'd9', required: false, type: 'decimal(9, 3)' },
    { id: 8, name: 'd18', required: false, type: 'decimal(18, 2)' },
    { id: 9, name: 'd38', required: false, type: 'decimal(38, 0)' },
    { id: 10, name: 's', required: false, type: 'string' },
    { id: 11, name: 'nothing', required: false, type: 'string' },
    { id: 12, name: 'f', required: false, type: 'double' },
  ],
};

const WORDS = ['', 'a', 'é', '가나다', '🚚', 'z\u0000z', 'zz', '\uffff'];

function randomRow(random: () => number, i: number): Row {
  const maybe = <T>(v: T): T | null => (random() < 0.2 ? null : v);
  const int = (range: number) => Math.floor(random() * range) - Math.floor(range / 2);
  const big = (range: number) => BigInt(int(range)) * BigInt(int(range));
  const text = () => {
    const parts = Array.from({ length: Math.floor(random() * 4) }, () => WORDS[int(WORDS.length) + 4] ?? '');
    // now and then a long string: the writer may truncate its statistics
    return random() < 0.02 ? parts.join('') + 'w'.repeat(100 + int(50)) : parts.join('');
  };
  return {
    id: BigInt(i),
    i: maybe(int(2 ** 31)),
    day: maybe(int(200_000)),
    t: maybe(BigInt(Math.floor(random() * 86_400_000_000))),
    ts: maybe(big(2 ** 26)),
    tstz: maybe(big(2 ** 26)),
    d9: maybe(BigInt(int(999_999_999))),
    d18: maybe(big(999_999_999)),
    d38: maybe(big(2 ** 40) * 10n ** 10n),
    s: maybe(text()),
    nothing: null,
    f: maybe(random() < 0.05 ? Number.NaN : random() * 10 - 5),
  };
}

test('bounds from the footer statistics equal the bounds computed from the data', () => {
  const random = seeded(7);
  let coveredString = 0;
  for (let round = 0; round < 40; round++) {
    const n = 1 + Math.floor(random() * 600);
    const rows = Array.from({ length: n }, (_, i) => randomRow(random, i));
    const maxRowGroupSize = 1 + Math.floor(random() * 200);
    const { bytes } = writeRowsDataFile(rows, SCHEMA, { maxRowGroupSize });
    const footer = readParquetFooter(bytes);
    const fromStatistics = boundsFromStatistics(footer, SCHEMA.fields);
    const table = rowsToArrowTable(SCHEMA, rows);
    const fromData = computeBoundsAndNaNs(
      SCHEMA.fields,
      SCHEMA.fields.map((_, k) => table.batches.map((b) => b.data.children[k]!)),
    );
    for (const id of [1, 2, 3, 4, 5, 6, 7, 8, 11]) {
      assert.ok(fromStatistics.covered.has(id), `field ${id} is taken from the statistics, round ${round}`);
    }
    assert.ok(!fromStatistics.covered.has(12), 'doubles are left to the data (NaN counts, -0.0)');
    if (fromStatistics.covered.has(10)) coveredString++;
    for (const id of fromStatistics.covered) {
      assert.deepEqual(
        fromStatistics.lowerBounds.get(id),
        fromData.lowerBounds.get(id),
        `lower ${id}, round ${round}`,
      );
      assert.deepEqual(
        fromStatistics.upperBounds.get(id),
        fromData.upperBounds.get(id),
        `upper ${id}, round ${round}`,
      );
    }
  }
  assert.ok(coveredString > 10, `strings were taken from the statistics in ${coveredString} of 40 rounds`);
});
