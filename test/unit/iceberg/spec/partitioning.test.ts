// Partition specs and sort orders built by column name: Java's default field names, ids from 1000,
// tuples of rows (struct members too), folder paths, and the refusals.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BoundPartitionSpec,
  buildPartitionSpec,
  buildSortOrder,
} from '../../../../shared/iceberg/spec/partitioning.js';
import { buildSchema } from '../../../../shared/iceberg/spec/schema.js';

const schema = buildSchema([
  { name: 'id', type: 'long', required: true },
  { name: 'at', type: 'timestamptz' },
  { name: 'name', type: 'string' },
  { name: 'price', type: 'decimal(10, 2)' },
  { name: 'tags', type: { type: 'list', 'element-id': 0, element: 'string', 'element-required': false } },
  {
    name: 'addr',
    type: { type: 'struct', fields: [{ id: 0, name: 'city', required: false, type: 'string' }] },
  },
]);

test('specs: default names, ids from 1000, tuples and paths', () => {
  const spec = buildPartitionSpec(schema, [
    { source: 'at', transform: 'day' },
    { source: 'id', transform: 'bucket[16]' },
    { source: 'name', transform: 'truncate[3]' },
    { source: 'price', transform: 'identity' },
    { source: 'addr.city', transform: 'identity', name: 'city' },
  ]);
  assert.deepEqual(
    spec.fields.map((f) => [f.name, f['field-id'], f.transform]),
    [
      ['at_day', 1000, 'day'],
      ['id_bucket_16', 1001, 'bucket[16]'],
      ['name_trunc_3', 1002, 'truncate[3]'],
      ['price', 1003, 'identity'],
      ['city', 1004, 'identity'],
    ],
  );
  const bound = new BoundPartitionSpec(spec, schema);
  const at = BigInt(Date.parse('2026-11-24T23:59:59.999Z')) * 1000n + 999n;
  const tuple = bound.partitionOf({
    id: 34n,
    at,
    name: 'ñandú',
    price: -1250n,
    addr: { city: 'Zürich/Ost' },
  });
  assert.deepEqual(tuple, {
    at_day: Date.parse('2026-11-24') / 86_400_000,
    id_bucket_16: 2017239379 % 16,
    name_trunc_3: 'ñan',
    price: -1250n,
    city: 'Zürich/Ost',
  });
  assert.equal(
    bound.pathOf(tuple),
    `at_day=2026-11-24/id_bucket_16=${2017239379 % 16}/name_trunc_3=_C3_B1an/price=-12.50/city=Z_C3_BCrich_2FOst`,
  );
  assert.deepEqual(bound.partitionOf({ id: 1n, addr: null }).city, null);
  assert.equal(bound.pathOf(bound.partitionOf({ id: 1n })).includes('at_day=null'), true);
});

test('specs refuse unknown columns, repeated sources, bad transforms and duplicate names', () => {
  assert.throws(
    () => buildPartitionSpec(schema, [{ source: 'nope', transform: 'identity' }]),
    /no column "nope"/,
  );
  assert.throws(
    () => buildPartitionSpec(schema, [{ source: 'tags.element', transform: 'identity' }]),
    /inside a list or map/,
  );
  assert.throws(
    () => buildPartitionSpec(schema, [{ source: 'id', transform: 'bucket[x]' }]),
    /unknown partition transform/,
  );
  assert.throws(
    () =>
      buildPartitionSpec(schema, [
        { source: 'id', transform: 'identity' },
        { source: 'id', transform: 'identity' },
      ]),
    /duplicate partition field name "id"/,
  );
  assert.equal(
    buildPartitionSpec(schema, [{ source: 'id', transform: 'identity' }], { lastPartitionId: 1005 })
      .fields[0]!['field-id'],
    1006,
  );
});

test('sort orders: field ids, directions and Java null-order defaults', () => {
  assert.deepEqual(buildSortOrder(schema, [{ source: 'id' }, { source: 'at', direction: 'desc' }]), {
    'order-id': 1,
    fields: [
      { 'source-id': 1, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' },
      { 'source-id': 2, transform: 'identity', direction: 'desc', 'null-order': 'nulls-last' },
    ],
  });
  assert.deepEqual(buildSortOrder(schema, []), { 'order-id': 0, fields: [] });
});
