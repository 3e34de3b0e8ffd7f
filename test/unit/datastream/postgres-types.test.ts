import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCoercer } from '../../../shared/datastream/coerce.js';
import { JsonNumber } from '../../../shared/datastream/lossless-json.js';
import { postgresToIceberg } from '../../../shared/datastream/postgres-types.js';
import { parseDecimal } from '../../../shared/iceberg/spec/types.js';

test('numeric with precision maps to an exact decimal, unbounded numeric to string', () => {
  assert.deepEqual(parseDecimal(postgresToIceberg('numeric(18,4)').iceberg), { precision: 18, scale: 4 });
  assert.equal(postgresToIceberg('numeric').iceberg, 'string');
  assert.equal(postgresToIceberg('numeric(40,2)').iceberg, 'string');
});

test('BigQuery-friendly choices: uuid and jsonb as string, bytea as binary, zones kept apart', () => {
  assert.equal(postgresToIceberg('uuid').iceberg, 'string');
  assert.equal(postgresToIceberg('jsonb').iceberg, 'string');
  assert.equal(postgresToIceberg('bytea').iceberg, 'binary');
  assert.equal(postgresToIceberg('timestamp').iceberg, 'timestamp');
  assert.equal(postgresToIceberg('timestamp with time zone').iceberg, 'timestamptz');
  assert.equal(postgresToIceberg('varchar(100)').iceberg, 'string');
});

test('arrays become optional-element lists of the element type', () => {
  const mapped = postgresToIceberg('text[]').iceberg;
  assert.deepEqual(mapped, { type: 'list', 'element-id': 0, element: 'string', 'element-required': false });
});

test('an unknown type is refused with its name', () => {
  assert.throws(() => postgresToIceberg('tsvector'), /tsvector/);
});

test('unknown (a column inferred from nulls or mixed values) is text that takes any value', () => {
  assert.equal(postgresToIceberg('unknown').iceberg, 'string');
  const coerce = makeCoercer('string', 'unknown');
  assert.equal(coerce('as written'), 'as written');
  assert.equal(coerce(new JsonNumber('12345678901234567890.50')), '12345678901234567890.50');
  assert.equal(coerce(false), 'false');
  assert.equal(coerce({ a: [1, null] }), '{"a":[1,null]}');
  // a declared text column stays strict
  assert.throws(() => makeCoercer('string', 'text')(1));
});
