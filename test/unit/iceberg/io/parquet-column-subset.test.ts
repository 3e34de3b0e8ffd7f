// A Parquet file of some columns' chunks of another: read back, it holds exactly those columns' values of
// the row groups chosen (strings, nulls, longs at group edges), other columns absent; a nested column
// cannot be chosen.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowsToArrowTable } from '../../../../shared/iceberg/arrow/arrow-rows.js';
import { columnSubset } from '../../../../shared/iceberg/io/parquet-column-subset.js';
import { readParquetFooter } from '../../../../shared/iceberg/io/parquet-footer.js';
import {
  readArrowDataFile,
  readRowsDataFile,
  writeArrowDataFile,
} from '../../../../shared/iceberg/io/parquet-data-file.js';
import type { Schema } from '../../../../shared/iceberg/spec/types.js';
import { plain } from '../../../support/plain-rows.js';

const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'note', required: false, type: 'string' },
    {
      id: 3,
      name: 'point',
      required: false,
      type: { type: 'struct', fields: [{ id: 6, name: 'x', required: false, type: 'double' }] },
    },
    { id: 4, name: 'code', required: false, type: 'string' },
    { id: 5, name: 'ts', required: true, type: 'long' },
  ],
};

const rows = Array.from({ length: 50 }, (_, i) => ({
  id: BigInt(i * 3),
  note: i % 4 === 0 ? null : `note ${i}`,
  point: { x: i / 2 },
  code: `c${i % 7}`,
  ts: BigInt(1_700_000_000_000 + i),
}));
const { bytes } = writeArrowDataFile(rowsToArrowTable(SCHEMA, rows), SCHEMA, { maxRowGroupSize: 8 });
const fields = (...ids: number[]) => SCHEMA.fields.filter((f) => ids.includes(f.id));

test('a column subset of all row groups reads as the projection of the whole file', () => {
  const subset = columnSubset(bytes, 'f.parquet', [1, 4, 5])!;
  assert.ok(subset.length < bytes.length / 2, `${subset.length} of ${bytes.length} bytes`);
  assert.deepEqual(
    plain(readRowsDataFile(subset, fields(1, 4, 5))),
    plain(readRowsDataFile(bytes, fields(1, 4, 5))),
  );
  const footer = readParquetFooter(subset);
  assert.deepEqual(
    footer.columns.map((c) => c.fieldId),
    [1, 4, 5],
  );
  assert.equal(footer.rowCount, 50);
  // a column not kept reads as null, as a column missing from an older file does
  assert.equal(readArrowDataFile(subset, fields(2)).numCols, 0);
});

test('a column subset of some row groups holds those groups rows, in order', () => {
  const groups = [1, 4, 6];
  const subset = columnSubset(bytes, 'f.parquet', [2, 5], groups)!;
  assert.deepEqual(plain(readRowsDataFile(subset, fields(2, 5))), plain(rowsOf(groups)));
  assert.equal(readParquetFooter(subset).rowGroups.length, 3);
});

function rowsOf(groups: number[]) {
  return groups.flatMap((g) => rows.slice(g * 8, g * 8 + 8).map((r) => ({ note: r.note, ts: r.ts })));
}

test('a nested column cannot be taken alone: no subset', () => {
  assert.equal(columnSubset(bytes, 'f.parquet', [1, 3]), undefined);
});
