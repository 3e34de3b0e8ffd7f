// Parquet data files: every Iceberg type written from rows and read back exactly (decimals, µs, int64
// beyond 2^53), field ids on every Parquet column including list elements and map keys/values, the
// Parquet physical/logical types readers rely on, and the manifest metrics.

import { plain } from '../../../support/plain-rows.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSchema } from '../../../../shared/iceberg/spec/schema.js';
import { readParquetFooter } from '../../../../shared/iceberg/io/parquet-footer.js';
import { thriftField, ThriftType, type ThriftStruct } from '../../../../shared/iceberg/io/thrift-compact.js';
import {
  dataFileReadOptions,
  READ_BATCH_ROWS,
  readArrowDataFile,
  readRowsDataFile,
  writeRowsDataFile,
} from '../../../../shared/iceberg/io/parquet-data-file.js';
import { fromSingleValueBytes } from '../../../../shared/iceberg/spec/single-value.js';
import type { Row } from '../../../../shared/iceberg/spec/values.js';

const schema = buildSchema([
  { name: 'id', type: 'long', required: true },
  { name: 'i', type: 'int' },
  { name: 'b', type: 'boolean' },
  { name: 'f', type: 'float' },
  { name: 'd', type: 'double' },
  { name: 'dec', type: 'decimal(18, 4)' },
  { name: 'big', type: 'decimal(38, 0)' },
  { name: 'day', type: 'date' },
  { name: 't', type: 'time' },
  { name: 'ts', type: 'timestamp' },
  { name: 'tstz', type: 'timestamptz' },
  { name: 's', type: 'string' },
  { name: 'u', type: 'uuid' },
  { name: 'bin', type: 'binary' },
  { name: 'fx', type: 'fixed[3]' },
  { name: 'tags', type: { type: 'list', 'element-id': 0, element: 'string', 'element-required': false } },
  {
    name: 'm',
    type: { type: 'map', 'key-id': 0, key: 'string', 'value-id': 0, value: 'long', 'value-required': false },
  },
  { name: 'st', type: { type: 'struct', fields: [{ id: 0, name: 'x', required: false, type: 'int' }] } },
]);

const rows: Row[] = [
  {
    id: 9007199254740993n,
    i: -5,
    b: true,
    f: 1.5,
    d: Number.NaN,
    dec: 999999999999999999n,
    big: -(10n ** 37n),
    day: -719162,
    t: 86399999999n,
    ts: -62135596800000000n,
    tstz: 1795251838293563n,
    s: 'ñame-€-😀-long-long-long-string',
    u: 'b8a1abcd-1a69-16c7-4da4-f9fc3c6da5d7',
    bin: Uint8Array.of(0, 255),
    fx: Uint8Array.of(1, 2, 3),
    tags: ['x', null],
    m: [
      ['k', 1n],
      ['z', null],
    ],
    st: { x: 7 },
  },
  {
    id: -1n,
    i: null,
    b: false,
    f: -0,
    d: -2.25,
    dec: -12300n,
    big: 0n,
    day: 2932896,
    t: 0n,
    ts: 0n,
    tstz: -1n,
    s: '',
    u: null,
    bin: new Uint8Array(0),
    fx: null,
    tags: [],
    m: [],
    st: null,
  },
  {
    id: 3n,
    i: 2147483647,
    b: null,
    f: null,
    d: null,
    dec: null,
    big: null,
    day: null,
    t: null,
    ts: null,
    tstz: null,
    s: null,
    u: null,
    bin: null,
    fx: null,
    tags: null,
    m: null,
    st: { x: null },
  },
];

test('rows of every type survive a Parquet round trip exactly', () => {
  const { bytes } = writeRowsDataFile(rows, schema);
  const back = readRowsDataFile(bytes, schema.fields);
  assert.equal(back.length, rows.length);
  for (let r = 0; r < rows.length; r++) {
    for (const f of schema.fields)
      assert.deepEqual(plain(back[r]![f.name]), rows[r]![f.name], `row ${r} column ${f.name}`);
  }
});

test('projection reads only the requested columns, by field id', () => {
  const { bytes } = writeRowsDataFile(rows, schema);
  const id = schema.fields.find((f) => f.name === 'id')!;
  const ts = schema.fields.find((f) => f.name === 'ts')!;
  // a renamed field still resolves by id
  const back = readRowsDataFile(bytes, [{ ...id, name: 'key' }, ts]);
  assert.deepEqual(
    back.map((r) => Object.keys(r)),
    rows.map(() => ['key', 'ts']),
  );
  assert.deepEqual(
    back.map((r) => r.key),
    [9007199254740993n, -1n, 3n],
  );
});

test('every Parquet column carries its Iceberg field id, nested ones too, and the expected physical types', () => {
  const { bytes } = writeRowsDataFile(rows, schema);
  const footer = readParquetFooter(bytes);
  const ids = footer.leaves.map((l) => l.fieldId);
  // tags.element, m.key, m.value, st.x are the nested leaves
  const index = (name: string): number => footer.leaves.findIndex((l) => l.path.join('.') === name);
  const tags = schema.fields.find((f) => f.name === 'tags')!.type as { 'element-id': number };
  assert.equal(ids[index('tags.list.element')], tags['element-id']);
  const m = schema.fields.find((f) => f.name === 'm')!.type as { 'key-id': number; 'value-id': number };
  assert.equal(ids[index('m.entries.key')], m['key-id']);
  assert.equal(ids[index('m.entries.value')], m['value-id']);
  assert.ok(
    ids.every((id) => typeof id === 'number' && id > 0),
    JSON.stringify(ids),
  );
  const el = (name: string) => footer.schema.find((e) => e.name === name)!;
  assert.equal(el('dec').physicalType, 2); // INT64
  assert.equal(el('big').physicalType, 7); // FIXED_LEN_BYTE_ARRAY
  assert.equal(el('big').typeLength, 16);
  // LogicalType union: TIMESTAMP is field 8, a TimestampType { 1: isAdjustedToUTC, 2: unit (2: MICROS) }
  const timestamp = (name: string) => {
    const logical = el(name).logicalType!;
    assert.deepEqual(
      logical.fields.map((f) => f.id),
      [8],
    );
    const t = logical.fields[0]!.value as ThriftStruct;
    return {
      adjustedToUtc: thriftField(t, 1)!.type === ThriftType.True,
      unit: (thriftField(t, 2)!.value as ThriftStruct).fields.map((f) => f.id),
    };
  };
  assert.deepEqual(timestamp('ts'), { adjustedToUtc: false, unit: [2] });
  assert.deepEqual(timestamp('tstz'), { adjustedToUtc: true, unit: [2] });
  assert.equal(footer.keyValueMetadata.has('iceberg.schema'), true);
  assert.deepEqual(JSON.parse(footer.keyValueMetadata.get('iceberg.schema')!), schema);
});

test('metrics: counts per leaf, NaNs, exact and truncated bounds', () => {
  const { dataFile, bytes } = writeRowsDataFile(rows, schema);
  const id = (name: string): number => schema.fields.find((f) => f.name === name)!.id;
  assert.equal(dataFile.recordCount, 3);
  assert.equal(dataFile.fileSizeInBytes, bytes.length);
  assert.equal(dataFile.valueCounts.get(id('i')), 3);
  assert.equal(dataFile.nullValueCounts.get(id('i')), 1);
  assert.equal(dataFile.nanValueCounts.get(id('d')), 1);
  assert.equal(dataFile.nanValueCounts.get(id('f')), 0);
  assert.equal(dataFile.nanValueCounts.has(id('i')), false);
  const lower = (name: string) =>
    fromSingleValueBytes(
      schema.fields.find((f) => f.name === name)!.type,
      dataFile.lowerBounds.get(id(name))!,
    );
  const upper = (name: string) =>
    fromSingleValueBytes(
      schema.fields.find((f) => f.name === name)!.type,
      dataFile.upperBounds.get(id(name))!,
    );
  assert.equal(lower('id'), -1n);
  assert.equal(upper('id'), 9007199254740993n);
  assert.equal(lower('d'), -2.25);
  assert.equal(upper('d'), -2.25); // NaN is not a bound
  assert.ok(Object.is(lower('f'), -0));
  assert.equal(lower('dec'), -12300n);
  assert.equal(upper('dec'), 999999999999999999n);
  assert.equal(lower('big'), -(10n ** 37n));
  assert.equal(lower('ts'), -62135596800000000n);
  assert.equal(lower('s'), '');
  // 16 code points, last one incremented: 'ñame-€-😀-long-lo' → 'ñame-€-😀-long-lp'
  assert.equal(upper('s'), 'ñame-€-😀-long-lp');
  assert.equal(lower('b'), false);
  assert.equal(upper('b'), true);
  assert.deepEqual(dataFile.splitOffsets, [4]);
  assert.equal(dataFile.lowerBounds.has(id('tags')), false);
});

test('a value that does not fit its column is refused with the column named', () => {
  assert.throws(
    () => writeRowsDataFile([{ id: 1 }], schema),
    /column id: value 1 is not a valid "long" value/,
  );
  assert.throws(() => writeRowsDataFile([{ id: 1n, dec: 10n ** 18n }], schema), /column dec/);
  assert.throws(() => writeRowsDataFile([{ i: 1 }], schema), /column id is required but row 0/);
});

test('several row groups: one split offset per row group, counts summed over them', () => {
  const small = buildSchema([
    { name: 'n', type: 'long', required: true },
    { name: 's', type: 'string' },
  ]);
  const many: Row[] = Array.from({ length: 2500 }, (_, i) => ({
    n: BigInt(i - 1000),
    s: i % 3 === 0 ? null : `v${i}`,
  }));
  const { bytes, dataFile } = writeRowsDataFile(many, small, { maxRowGroupSize: 1000 });
  const footer = readParquetFooter(bytes);
  assert.equal(dataFile.splitOffsets!.length, 3);
  assert.ok(dataFile.splitOffsets!.every((o, i, a) => i === 0 || o > a[i - 1]!));
  assert.equal(dataFile.splitOffsets![0], 4);
  assert.equal(dataFile.valueCounts.get(2), 2500);
  assert.equal(dataFile.nullValueCounts.get(2), many.filter((r) => r.s === null).length);
  assert.equal(dataFile.columnSizes.get(1), footer.leaves[0]!.compressedSize);
  // read back across row groups and Arrow batches
  const back = readRowsDataFile(bytes, small.fields);
  assert.deepEqual(plain(back), many);
});

test('a file is read in record batches of up to READ_BATCH_ROWS rows, fewer when its rows are wide', () => {
  const narrowSchema = buildSchema([
    { name: 'id', type: 'long', required: true },
    { name: 's', type: 'string' },
  ]);
  const narrow = Array.from({ length: 70_000 }, (_, i): Row => ({ id: BigInt(i), s: `v${i % 97}` }));
  const narrowBytes = writeRowsDataFile(narrow, narrowSchema).bytes;
  assert.equal(dataFileReadOptions(readParquetFooter(narrowBytes)).batchSize, READ_BATCH_ROWS);
  assert.deepEqual(
    readArrowDataFile(narrowBytes, narrowSchema.fields).batches.map((b) => b.numRows),
    [READ_BATCH_ROWS, 70_000 - READ_BATCH_ROWS],
  );
  // 16 KiB of distinct text per row: a batch's string column is cut to stay near 128 MiB
  const random = (n: number, seed: number): string => {
    let x = seed;
    let out = '';
    for (let k = 0; k < n; k++) out += String.fromCharCode(33 + ((x = (x * 1103515245 + 12345) >>> 0) % 90));
    return out;
  };
  const wide = Array.from({ length: 300 }, (_, i): Row => ({ id: BigInt(i), s: random(16_384, i + 1) }));
  const wideBytes = writeRowsDataFile(wide, narrowSchema).bytes;
  const footer = readParquetFooter(wideBytes);
  const batchSize = dataFileReadOptions(footer).batchSize!;
  assert.ok(batchSize < READ_BATCH_ROWS && batchSize >= 1024, `batch size ${batchSize}`);
  const perRow = Math.max(...footer.leaves.map((l) => l.uncompressedSize)) / footer.rowCount;
  assert.ok(perRow >= 16_384 && batchSize * perRow <= 128 * 1024 * 1024);
  assert.deepEqual(plain(readRowsDataFile(wideBytes, narrowSchema.fields)), wide);
});
