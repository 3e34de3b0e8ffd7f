// Field-id assignment (Iceberg's order: a struct level first, then its children), lookups, and the
// evolution rules: optional columns appended with fresh ids, only the spec's safe type promotions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addOptionalColumn,
  buildSchema,
  canPromote,
  maxFieldId,
  SchemaEvolutionError,
  SchemaIndex,
  widenColumn,
} from '../../../../shared/iceberg/spec/schema.js';

const nested = buildSchema(
  [
    { name: 'id', type: 'long', required: true },
    {
      name: 'address',
      type: {
        type: 'struct',
        fields: [
          { id: 0, name: 'street', required: false, type: 'string' },
          {
            id: 0,
            name: 'zips',
            required: false,
            type: { type: 'list', 'element-id': 0, element: 'int', 'element-required': true },
          },
        ],
      },
    },
    {
      name: 'attrs',
      type: {
        type: 'map',
        'key-id': 0,
        key: 'string',
        'value-id': 0,
        value: 'double',
        'value-required': false,
      },
    },
    { name: 'note', type: 'string' },
  ],
  { identifierFieldNames: ['id'] },
);

test('ids: top level first, then each nested level in order', () => {
  assert.deepEqual(
    nested.fields.map((f) => [f.name, f.id]),
    [
      ['id', 1],
      ['address', 2],
      ['attrs', 3],
      ['note', 4],
    ],
  );
  const address = nested.fields[1]!.type as { fields: { id: number; type: unknown }[] };
  assert.deepEqual(
    address.fields.map((f) => f.id),
    [5, 6],
  );
  assert.equal((address.fields[1]!.type as { 'element-id': number })['element-id'], 7);
  const attrs = nested.fields[2]!.type as { 'key-id': number; 'value-id': number };
  assert.deepEqual([attrs['key-id'], attrs['value-id']], [8, 9]);
  assert.equal(maxFieldId(nested), 9);
  assert.deepEqual(nested['identifier-field-ids'], [1]);
});

test('lookup by id and by dotted name, nested and repeated fields marked', () => {
  const index = new SchemaIndex(nested);
  assert.equal(index.fieldById(7).name, 'address.zips.element');
  assert.equal(index.fieldById(7).repeated, true);
  assert.equal(index.fieldByName('address.street').id, 5);
  assert.equal(index.fieldByName('address.street').repeated, false);
  assert.equal(index.fieldByName('attrs.value').id, 9);
  assert.throws(() => index.fieldById(99), /no field id 99/);
  assert.throws(() => index.fieldByName('nope'), /no column "nope"/);
});

test('schema errors: duplicate names, identifier fields that are optional', () => {
  assert.throws(
    () =>
      buildSchema([
        { name: 'a', type: 'int' },
        { name: 'a', type: 'long' },
      ]),
    /duplicate column name "a"/,
  );
  assert.throws(
    () => buildSchema([{ name: 'a', type: 'int' }], { identifierFieldNames: ['a'] }),
    /must be required/,
  );
});

test('adding an optional column takes ids after last-column-id, nested ones too', () => {
  const { schema, lastColumnId } = addOptionalColumn(nested, 9, {
    name: 'tags',
    type: { type: 'list', 'element-id': 0, element: 'string', 'element-required': false },
  });
  assert.equal(schema['schema-id'], 1);
  const tags = schema.fields.at(-1)!;
  assert.deepEqual([tags.name, tags.id, tags.required], ['tags', 10, false]);
  assert.equal((tags.type as { 'element-id': number })['element-id'], 11);
  assert.equal(lastColumnId, 11);
  assert.throws(() => addOptionalColumn(nested, 9, { name: 'note', type: 'string' }), SchemaEvolutionError);
});

test('only safe widenings are allowed', () => {
  assert.equal(canPromote('int', 'long'), true);
  assert.equal(canPromote('float', 'double'), true);
  assert.equal(canPromote('decimal(10, 2)', 'decimal(12, 2)'), true);
  assert.equal(canPromote('decimal(10, 2)', 'decimal(12, 3)'), false);
  assert.equal(canPromote('decimal(10, 2)', 'decimal(9, 2)'), false);
  assert.equal(canPromote('long', 'int'), false);
  assert.equal(canPromote('int', 'string'), false);
  const s = buildSchema([{ name: 'n', type: 'int' }]);
  const widened = widenColumn(s, 'n', 'long');
  assert.equal(widened.fields[0]!.type, 'long');
  assert.equal(widened.fields[0]!.id, 1);
  assert.equal(widened['schema-id'], 1);
  assert.throws(
    () => widenColumn(s, 'n', 'string'),
    /cannot change column "n" \(field id 1\) from "int" to string/,
  );
  assert.throws(() => widenColumn(s, 'missing', 'long'), /no such column/);
});
