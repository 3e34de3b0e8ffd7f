// Payload values → the in-memory values of values.ts, exactly, and refusals with the reason, the
// column, the value and the expected type.

import { plain } from '../../support/plain-rows.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCoercer } from '../../../shared/datastream/coerce.js';
import { CoercionFailure, DatastreamValidationError } from '../../../shared/datastream/errors.js';
import { toChangeEvent } from '../../../shared/datastream/event.js';
import { JsonNumber, parseJsonLossless } from '../../../shared/datastream/lossless-json.js';
import { compileIcebergSchema, compileTableDefinition } from '../../../shared/datastream/table.js';
import { daysFromCivil } from '../../../shared/datastream/temporal.js';
import { postgresToIceberg } from '../../../shared/datastream/postgres-types.js';

function coerce(pgType: string, value: unknown): unknown {
  return makeCoercer(postgresToIceberg(pgType).iceberg, pgType)(value);
}

function refuses(pgType: string, value: unknown, reason: RegExp): void {
  assert.throws(
    () => coerce(pgType, value),
    (error: unknown) => error instanceof CoercionFailure && reason.test(error.reason),
    `${pgType} ${String(value)}`,
  );
}

test('numeric(p,s): exact unscaled bigint from numbers, exact tokens and strings; no rounding', () => {
  assert.equal(coerce('numeric(10,2)', 88.8), 8880n);
  assert.equal(coerce('numeric(10,2)', 1), 100n);
  assert.equal(coerce('numeric(10,2)', -0.5), -50n);
  assert.equal(coerce('numeric(10,2)', '12.30'), 1230n);
  assert.equal(coerce('numeric(10,2)', 1.5e3), 150000n);
  assert.equal(coerce('numeric(10,2)', '1.2300'), 123n, 'extra zero digits are fine');
  assert.equal(coerce('numeric(18,4)', new JsonNumber('99999999999999.9999')), 999999999999999999n);
  assert.equal(
    coerce('numeric(38,0)', new JsonNumber('99999999999999999999999999999999999999')),
    10n ** 38n - 1n,
  );
  assert.equal(coerce('numeric(10,2)', 0), 0n);
  assert.equal(coerce('numeric(10,2)', 1e-7 * 0), 0n);
  refuses('numeric(10,2)', 1.005, /more than 2 fractional digits/);
  refuses('numeric(10,2)', 123456789.5, /out of range/);
  refuses('numeric(10,2)', new JsonNumber('1e999999999'), /not a decimal|out of range/);
  refuses('numeric(10,2)', 'NaN', /not a decimal/);
  refuses('numeric(10,2)', true, /is a boolean/);
});

test('integers are range-checked and exact; bigint beyond 2^53 survives', () => {
  assert.equal(coerce('integer', 2147483647), 2147483647);
  assert.equal(coerce('integer', 1.0), 1);
  refuses('integer', 2147483648, /32-bit/);
  refuses('integer', 1.5, /not an integer/);
  assert.equal(coerce('bigint', 5), 5n);
  assert.equal(coerce('bigint', new JsonNumber('9223372036854775807')), 9223372036854775807n);
  assert.equal(coerce('bigint', new JsonNumber('-9223372036854775808')), -9223372036854775808n);
  assert.equal(coerce('bigint', 1e18), 1000000000000000000n);
  refuses('bigint', new JsonNumber('9223372036854775808'), /64-bit/);
  refuses('bigint', '12', /is a string/);
});

test('smallint is range-checked to 16 bits (stored as an int), arrays of it too', () => {
  assert.equal(coerce('smallint', 32767), 32767);
  assert.equal(coerce('int2', -32768), -32768);
  refuses('smallint', 32768, /smallint range \(-32768 to 32767\)/);
  refuses('int2', -32769, /smallint range/);
  refuses('smallserial', new JsonNumber('40000'), /smallint range/);
  refuses('smallint[]', [1, 32768], /smallint range/);
  refuses('integer', -2147483649, /32-bit/);
  refuses('bigint', new JsonNumber('-9223372036854775809'), /64-bit/);
});

test('doubles and PostgreSQL special floats', () => {
  assert.equal(coerce('double precision', 0.1), 0.1);
  assert.ok(Number.isNaN(coerce('double precision', 'NaN') as number));
  assert.equal(coerce('double precision', '-Infinity'), -Infinity);
  assert.equal(coerce('real', 1.5), 1.5);
  refuses('real', 1e300, /range of a float/);
  refuses('double precision', 'abc', /is a string/);
});

test('dates, times and timestamps to days and microseconds, including the edges', () => {
  assert.equal(coerce('date', '1970-01-01'), 0);
  assert.equal(coerce('date', '0001-01-01'), -719162);
  assert.equal(coerce('date', '9999-12-31'), 2932896);
  assert.equal(coerce('date', '2024-02-29'), daysFromCivil(2024, 2, 29));
  refuses('date', '2023-02-29', /calendar date/);
  refuses('date', 'infinity', /infinite/);
  refuses('date', '-infinity', /infinite/);
  assert.equal(coerce('time', '00:00:00'), 0n);
  assert.equal(coerce('time', '23:59:59.999999'), 86_399_999_999n);
  assert.equal(coerce('time', '12:30:15.5'), 45_015_500_000n);
  refuses('time', '24:00:00', /time/);
  refuses('time', '12:00:00.0000001', /sub-microsecond/);
  assert.equal(coerce('timestamp', '2026-11-24T09:00:00.000001'), 1795510800000001n);
  assert.equal(coerce('timestamp', '2026-11-24 09:00:00'), 1795510800000000n);
  assert.equal(coerce('timestamptz', '2026-11-24T09:00:00Z'), 1795510800000000n);
  assert.equal(coerce('timestamptz', '2026-11-24T10:30:00+01:30'), 1795510800000000n);
  assert.equal(coerce('timestamptz', '2026-11-24T04:00:00-05'), 1795510800000000n);
  assert.equal(coerce('timestamp', '0001-01-01T00:00:00'), -62135596800000000n);
  assert.equal(coerce('timestamptz', '9999-12-31T23:59:59.999999Z'), 253402300799999999n);
  refuses('timestamp', 'infinity', /infinite/);
  refuses('timestamptz', '2026-11-24T09:00:00+25:00', /offset/);
  refuses('timestamp', 1795510800000, /is a number/);
});

test('uuid, jsonb, text arrays, bytea and booleans', () => {
  assert.equal(
    coerce('uuid', '4922B9CC-f469-aef8-f6e7-d078e55b85dd'),
    '4922B9CC-f469-aef8-f6e7-d078e55b85dd',
  );
  refuses('uuid', '4922b9cc-f469-aef8-f6e7', /not a UUID/);
  const json = parseJsonLossless('{"n":[1,2,{"deep":null}],"big":12345678901234567890,"s":"가"}');
  assert.equal(coerce('jsonb', json), '{"n":[1,2,{"deep":null}],"big":12345678901234567890,"s":"가"}');
  assert.equal(coerce('jsonb', 'text'), '"text"');
  assert.equal(coerce('jsonb', 3), '3');
  assert.deepEqual(coerce('text[]', ['a', null, '']), ['a', null, '']);
  assert.deepEqual(
    coerce('integer[]', {
      nestedArray: [
        { nestedArray: null, elementValue: 1 },
        { elementValue: 2, nestedArray: null },
      ],
    }),
    [1, 2],
  );
  assert.throws(
    () => coerce('text[]', [1]),
    (e: unknown) => e instanceof CoercionFailure && /element 0/.test(e.reason),
  );
  refuses('text[]', '{a,b}', /is a string/);
  assert.deepEqual(coerce('bytea', '3q2+7w=='), new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
  assert.deepEqual(coerce('bytea', '\\xDEADbeef'), new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
  assert.deepEqual(coerce('bytea', ''), new Uint8Array(0));
  refuses('bytea', '3q2+7w=', /base64/);
  refuses('bytea', '\\xabc', /hex/);
  assert.equal(coerce('boolean', false), false);
  refuses('boolean', 'true', /is a string/);
  assert.equal(coerce('numeric', new JsonNumber('1.50e2')), '150', 'unbounded numeric as exact text');
  assert.equal(coerce('numeric', 'NaN'), 'NaN');
});

const products = compileTableDefinition(
  { schema: 'public', name: 'products' },
  {
    columns: [
      ['id', 'integer'],
      ['price', 'numeric(10,2)'],
    ],
    primaryKeys: ['id'],
  },
);

function line(meta: object, payload: object, extra: object = {}): unknown {
  return {
    uuid: 'u-1',
    read_timestamp: '2026-11-24T09:00:14.479000Z',
    source_timestamp: '2026-11-24T09:00:00.813000Z',
    object: 'public_products',
    read_method: 'postgresql-cdc',
    stream_name: 'projects/1/locations/x/streams/s',
    schema_key: 'k',
    sort_keys: [1795510800813, '16/CB003023'],
    source_metadata: {
      schema: 'public',
      table: 'products',
      is_deleted: false,
      change_type: 'INSERT',
      tx_id: 1,
      lsn: '16/CB003023',
      primary_keys: ['id'],
      ...meta,
    },
    payload,
    ...extra,
  };
}

const options = { resolveTable: () => products };
const ctx = { object: 'obj.jsonl', line: 3 };

test('an event normalizes to op, key, order and the coerced row; absent stays absent', () => {
  const event = toChangeEvent(ctx, line({}, { id: 7, price: 1.5 }), options);
  assert.equal(event.op, 'upsert');
  assert.deepEqual(event.key, [7]);
  assert.deepEqual(plain(event.row), { id: 7, price: 150n });
  assert.deepEqual(event.order, { sourceTsMs: 1795510800813, lsn: 0x16cb003023n });
  const partial = toChangeEvent(ctx, line({}, { id: 7 }), options);
  assert.equal('price' in partial.row, false);
  const backfill = toChangeEvent(
    ctx,
    line(
      { change_type: undefined, lsn: null, tx_id: null },
      { id: 1, price: null },
      { read_method: 'postgresql-backfill', source_timestamp: '2026-11-24 09:00:00.813' },
    ),
    options,
  );
  assert.equal(backfill.backfill, true);
  assert.equal(backfill.changeType, '');
  assert.deepEqual(backfill.order, { sourceTsMs: 1795510800813, lsn: 0n });
  const epoch = toChangeEvent(ctx, line({}, { id: 1 }, { source_timestamp: 1795510800813 }), options);
  assert.equal(epoch.order.sourceTsMs, 1795510800813);
  const deleted = toChangeEvent(
    ctx,
    line({ is_deleted: true, change_type: 'UPDATE-DELETE' }, { id: 3, price: 'stale' }),
    options,
  );
  assert.equal(deleted.op, 'delete');
  assert.deepEqual(plain(deleted.row), { id: 3 }, 'a delete reads only the key');
});

function rejects(event: unknown, column: string, reason: RegExp): void {
  assert.throws(
    () => toChangeEvent(ctx, event, options),
    (error: unknown) =>
      error instanceof DatastreamValidationError &&
      error.column === column &&
      error.line === 3 &&
      error.object === 'obj.jsonl' &&
      reason.test(error.message),
    `${column} ${String(reason)}`,
  );
}

test('each envelope field is checked, and the error names it', () => {
  rejects(line({}, { id: 1 }, { uuid: 5 }), 'uuid', /wrong type/);
  rejects(line({}, { id: 1 }, { source_timestamp: undefined }), 'source_timestamp', /missing/);
  rejects(line({}, { id: 1 }, { source_timestamp: 'yesterday' }), 'source_timestamp', /timestamp/);
  rejects(line({}, { id: 1 }, { read_method: 'mysql-dump' }), 'read_method', /neither/);
  rejects(line({}, { id: 1 }, { sort_keys: [1.5] }), 'sort_keys', /integer/);
  rejects(line({}, { id: 1 }, { payload: [] }), 'payload', /wrong type/);
  rejects(line({ schema: 1 }, { id: 1 }), 'source_metadata.schema', /wrong type/);
  rejects(line({ is_deleted: 'no' }, { id: 1 }), 'source_metadata.is_deleted', /wrong type/);
  rejects(line({ change_type: undefined }, { id: 1 }), 'source_metadata.change_type', /missing on a CDC/);
  rejects(line({ change_type: 'DELETE' }, { id: 1 }), 'source_metadata.is_deleted', /false but/);
  rejects(line({ is_deleted: true }, { id: 1 }), 'source_metadata.is_deleted', /true but/);
  rejects(line({ tx_id: 'x' }, { id: 1 }), 'source_metadata.tx_id', /wrong type/);
  rejects(line({ lsn: '16-CB' }, { id: 1 }), 'source_metadata.lsn', /WAL position/);
  rejects(line({ primary_keys: [1] }, { id: 1 }), 'source_metadata.primary_keys', /wrong type/);
  rejects(line({}, { price: 1 }), 'id', /primary-key column but is absent/);
  rejects(line({}, { id: null }), 'id', /primary-key column but is null/);
  rejects(line({}, { id: 1, colour: 'red' }), 'colour', /not a column/);
  rejects(line({}, { id: 1, price: 1.234 }), 'price', /fractional digits.*value 1\.234.*numeric\(10,2\)/);
});

test('a table compiled from an Iceberg schema takes its key from identifier fields, text types from pgTypes', () => {
  const table = compileIcebergSchema(
    { schema: 'public', name: 'docs' },
    {
      type: 'struct',
      'schema-id': 3,
      'identifier-field-ids': [1],
      fields: [
        { id: 1, name: 'id', required: true, type: 'long' },
        { id: 2, name: 'body', required: false, type: 'string' },
        { id: 3, name: 'ref', required: false, type: 'string' },
        { id: 4, name: 'amount', required: false, type: 'decimal(20, 3)' },
      ],
    },
    { pgTypes: { body: 'jsonb', ref: 'uuid' } },
  );
  assert.deepEqual(table.primaryKeys, ['id']);
  const event = toChangeEvent(
    ctx,
    line(
      { table: 'docs' },
      {
        id: 1,
        body: { a: [1] },
        ref: '4922b9cc-f469-aef8-f6e7-d078e55b85dd',
        amount: new JsonNumber('12345678901234567.891'),
      },
    ),
    { resolveTable: () => table },
  );
  assert.deepEqual(plain(event.row), {
    id: 1n,
    body: '{"a":[1]}',
    ref: '4922b9cc-f469-aef8-f6e7-d078e55b85dd',
    amount: 12345678901234567891n,
  });
  assert.throws(
    () => toChangeEvent(ctx, line({ table: 'docs' }, { id: 2, ref: 'nope' }), { resolveTable: () => table }),
    /column "ref": is not a UUID/,
  );
});

test('decimals from JSON numbers agree with exact decimal arithmetic on the token text (randomized)', () => {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let n = 0; n < 20000; n++) {
    const digits = 1 + Math.floor(random() * 15);
    let text = '';
    for (let i = 0; i < digits; i++) text += String(Math.floor(random() * 10));
    const point = Math.floor(random() * (digits + 1));
    const token = `${random() < 0.3 ? '-' : ''}${text.slice(0, point) || '0'}${point < digits ? `.${text.slice(point)}` : ''}`;
    const scale = Math.floor(random() * 8);
    const precision = Math.min(38, scale + 1 + Math.floor(random() * 16));
    const type = `numeric(${precision},${scale})`;
    let fromNumber: unknown;
    let fromText: unknown;
    try {
      fromNumber = coerce(type, Number(token));
    } catch (error) {
      fromNumber = error instanceof CoercionFailure ? 'refused' : error;
    }
    try {
      fromText = coerce(type, new JsonNumber(token));
    } catch (error) {
      fromText = error instanceof CoercionFailure ? 'refused' : error;
    }
    assert.equal(fromNumber, fromText, `${token} as ${type}`);
  }
});

test('uuid text: accepted exactly when it is 8-4-4-4-12 hex digits of either case', () => {
  const pattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
  const coerce = makeCoercer('uuid', 'uuid');
  const valid = 'b8a1ABcd-1a69-16c7-4dA4-f9fc3c6da5d7';
  // Every position replaced by characters at the edges of the hex ranges, and lengths off by one.
  const candidates = [valid, valid.slice(1), `${valid}0`, `${valid.slice(0, 8)}0${valid.slice(9)}`];
  for (let i = 0; i < valid.length; i++) {
    for (const c of ['/', '0', '9', ':', '@', 'A', 'F', 'G', '`', 'a', 'f', 'g', '-', '가']) {
      candidates.push(valid.slice(0, i) + c + valid.slice(i + 1));
    }
  }
  for (const text of candidates) {
    const accepted = (() => {
      try {
        return coerce(text) === text;
      } catch (error) {
        assert.ok(error instanceof CoercionFailure, text);
        return false;
      }
    })();
    assert.equal(accepted, pattern.test(text), text);
  }
});

test('an out-of-range integer is rejected with the file, line, column and value', () => {
  const counters = compileTableDefinition(
    { schema: 'public', name: 'products' },
    {
      columns: [
        ['id', 'integer'],
        ['small', 'smallint'],
        ['big', 'bigint'],
      ],
      primaryKeys: ['id'],
    },
  );
  const cases: [string, unknown, string, RegExp][] = [
    ['small', 32768, '32768', /smallint range/],
    ['id', 2147483648, '2147483648', /32-bit/],
    ['big', new JsonNumber('9223372036854775808'), '9223372036854775808', /64-bit/],
  ];
  for (const [column, value, text, reason] of cases) {
    const payload = { id: 1, small: 1, big: 1, [column]: value };
    assert.throws(
      () => toChangeEvent(ctx, line({}, payload), { resolveTable: () => counters }),
      (error: unknown) =>
        error instanceof DatastreamValidationError &&
        error.object === 'obj.jsonl' &&
        error.line === 3 &&
        error.column === column &&
        error.value === text &&
        reason.test(error.message) &&
        error.message.includes('obj.jsonl') &&
        error.message.includes(text),
      column,
    );
  }
});
