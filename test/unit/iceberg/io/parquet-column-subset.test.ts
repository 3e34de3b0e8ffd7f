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

test('key-capable types read from a subset as from the whole file (its Arrow schema is not kept)', () => {
  const types: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 's', required: true, type: 'string' },
      { id: 2, name: 'tz', required: true, type: 'timestamptz' },
      { id: 3, name: 'ts', required: true, type: 'timestamp' },
      { id: 4, name: 'u', required: true, type: 'uuid' },
      { id: 5, name: 'd', required: true, type: 'decimal(18, 4)' },
      { id: 6, name: 'dt', required: true, type: 'date' },
      { id: 7, name: 'b', required: true, type: 'binary' },
      { id: 8, name: 'bo', required: true, type: 'boolean' },
      { id: 9, name: 'i', required: true, type: 'int' },
      { id: 10, name: 'rest', required: false, type: 'string' },
    ],
  };
  const values = Array.from({ length: 10 }, (_, i) => ({
    s: `k${i}`,
    tz: BigInt(1_700_000_000_000_000 + i),
    ts: BigInt(1_600_000_000_000_000 + i),
    u: `0000000${i}-0000-4000-8000-000000000000`,
    d: BigInt(i * 10_000 + 1234),
    dt: 19_000 + i,
    b: new Uint8Array([i, 1]),
    bo: i % 2 === 0,
    i: -i,
    rest: 'not read',
  }));
  const file = writeArrowDataFile(rowsToArrowTable(types, values), types, { maxRowGroupSize: 3 }).bytes;
  const keys = types.fields.slice(0, 9);
  const subset = columnSubset(
    file,
    'types.parquet',
    keys.map((f) => f.id),
  )!;
  assert.deepEqual(plain(readRowsDataFile(subset, keys)), plain(readRowsDataFile(file, keys)));
});
