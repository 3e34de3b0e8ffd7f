import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Schema } from '../../../../shared/iceberg/spec/types.js';
import { newTableMetadata } from '../../../../shared/iceberg/spec/new-table-metadata.js';

// A schema with nested types and ids that are not 1..n, to see the renumbering order.
const schema: Schema = {
  type: 'struct',
  'schema-id': 7,
  'identifier-field-ids': [10],
  fields: [
    { id: 10, name: 'id', required: true, type: 'long' },
    {
      id: 11,
      name: 's',
      required: false,
      type: { type: 'struct', fields: [{ id: 20, name: 'a', required: false, type: 'string' }] },
    },
    {
      id: 12,
      name: 'm',
      required: false,
      type: {
        type: 'map',
        'key-id': 30,
        key: 'string',
        'value-id': 31,
        value: { type: 'list', 'element-id': 40, element: 'int', 'element-required': true },
        'value-required': false,
      },
    },
  ],
};

test('fresh ids level by level, remapped spec, sort order and identifier fields (as Java assigns them)', () => {
  const m = newTableMetadata(
    {
      schema,
      'partition-spec': {
        'spec-id': 0,
        fields: [{ 'source-id': 10, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[4]' }],
      },
      'write-order': {
        'order-id': 5,
        fields: [{ 'source-id': 10, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }],
      },
      properties: { a: 'b', 'format-version': '2' },
    },
    { location: '/wh/db/t/', uuid: 'u', now: 1 },
  );
  const fields = m.schemas[0]!.fields;
  assert.deepEqual(
    fields.map((f) => f.id),
    [1, 2, 3],
  );
  assert.deepEqual(fields[1]!.type, {
    type: 'struct',
    fields: [{ id: 4, name: 'a', required: false, type: 'string' }],
  });
  assert.deepEqual(fields[2]!.type, {
    type: 'map',
    'key-id': 5,
    key: 'string',
    'value-id': 6,
    value: { type: 'list', 'element-id': 7, element: 'int', 'element-required': true },
    'value-required': false,
  });
  assert.deepEqual(m.schemas[0]!['identifier-field-ids'], [1]);
  assert.equal(m.schemas[0]!['schema-id'], 0);
  assert.equal(m['last-column-id'], 7);
  assert.deepEqual(m['partition-specs'], [
    {
      'spec-id': 0,
      fields: [{ 'source-id': 1, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[4]' }],
    },
  ]);
  assert.equal(m['last-partition-id'], 1000);
  assert.equal(m['default-sort-order-id'], 1);
  assert.equal(m['sort-orders'][0]!.fields[0]!['source-id'], 1);
  assert.deepEqual(m.properties, { a: 'b', 'write.parquet.compression-codec': 'zstd' });
  assert.equal(m.location, '/wh/db/t');
  assert.equal(m['current-snapshot-id'], -1);
});

test('unpartitioned and unsorted: last-partition-id 999, order 0; keep mode keeps the given ids', () => {
  const m = newTableMetadata({ schema }, { location: '/wh/t', fieldIds: 'keep' });
  assert.equal(m['last-partition-id'], 999);
  assert.deepEqual(m['partition-specs'], [{ 'spec-id': 0, fields: [] }]);
  assert.deepEqual(m['sort-orders'], [{ 'order-id': 0, fields: [] }]);
  assert.equal(m['default-sort-order-id'], 0);
  assert.deepEqual(
    m.schemas[0]!.fields.map((f) => f.id),
    [10, 11, 12],
  );
  assert.equal(m['last-column-id'], 40);
  assert.match(m['table-uuid'], /^[0-9a-f-]{36}$/);
});

test('only format-version 2 can be created', () => {
  assert.throws(
    () => newTableMetadata({ schema, properties: { 'format-version': '1' } }, { location: '/t' }),
    RangeError,
  );
});
