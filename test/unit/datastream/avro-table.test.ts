// An undeclared table learnt from an Avro object: the writer schema's payload record maps to the
// PostgreSQL types a declaration would use (the real Datastream sample, and a container written here with
// every Datastream logical type), the key comes from the events, and the learnt table reads the file's
// values exactly.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import avro from 'avsc';
import { avroRecordBatches, avroTypeOptions } from '../../../shared/datastream/avro-container.js';
import { avroPayloadColumns } from '../../../shared/datastream/avro-table.js';
import { DatastreamValidationError } from '../../../shared/datastream/errors.js';
import { learnTable } from '../../../shared/datastream/infer-table.js';
import { readChangeEvents } from '../../../shared/datastream/read-object.js';
import { compileTableDefinition } from '../../../shared/datastream/table.js';
import {
  arrayRecord,
  datastreamEventSchema,
  DATETIME_RECORD,
  INTERVAL_RECORD,
  nullable,
  TIME_TZ_RECORD,
  TIMESTAMP_TZ_RECORD,
} from './avro-schemas.js';
import { REAL_AVRO_SAMPLE } from './scenario-fixtures.js';

async function* chunked(bytes: Uint8Array, size = 64): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function headerSchema(bytes: Uint8Array): Promise<unknown> {
  let schema: unknown;
  for await (const _ of avroRecordBatches('x.avro', chunked(bytes), (header) => (schema = header.schema))) {
    // the header is all that is needed
  }
  return schema;
}

test('the real Datastream sample: payload columns map to PostgreSQL types; no key (insert-only)', async () => {
  const bytes = readFileSync(REAL_AVRO_SAMPLE);
  assert.deepEqual(avroPayloadColumns(await headerSchema(bytes), 'sample.avro'), [
    ['integer_field', 'integer'],
    ['integer_array_field', 'integer[]'],
    ['string_array', 'text[]'],
    ['json_column', 'jsonb[]'],
    ['jsonb_column', 'jsonb[]'],
    ['binary_content', 'bytea'],
    // uuid[] elements are plain strings in the file: text[] is what it says
    ['uuid_array', 'text[]'],
  ]);
  const learnt = await learnTable('sample.avro', chunked(bytes), { schema: 'public', name: 'source_table' });
  assert.equal(learnt.source, 'avro-schema');
  assert.deepEqual(learnt.primaryKeys, []);
  const table = compileTableDefinition({ schema: 'public', name: 'source_table' }, learnt);
  assert.deepEqual(
    table.schema.fields.map((f) => [f.name, f.type, f.required]),
    [
      ['integer_field', 'int', false],
      [
        'integer_array_field',
        { type: 'list', 'element-id': 8, element: 'int', 'element-required': false },
        false,
      ],
      [
        'string_array',
        { type: 'list', 'element-id': 9, element: 'string', 'element-required': false },
        false,
      ],
      [
        'json_column',
        { type: 'list', 'element-id': 10, element: 'string', 'element-required': false },
        false,
      ],
      [
        'jsonb_column',
        { type: 'list', 'element-id': 11, element: 'string', 'element-required': false },
        false,
      ],
      ['binary_content', 'binary', false],
      ['uuid_array', { type: 'list', 'element-id': 12, element: 'string', 'element-required': false }, false],
    ],
  );
  const [event] = await readChangeEvents('sample.avro', chunked(bytes), { resolveTable: () => table });
  assert.deepEqual(event?.row.binary_content, new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
});

/** Every payload column shape Datastream writes, with the PostgreSQL type it must map to. */
const COLUMNS: Array<[string, unknown, string]> = [
  ['id', 'long', 'bigint'],
  ['small', 'int', 'integer'],
  ['ratio4', 'float', 'real'],
  ['ratio8', 'double', 'double precision'],
  ['flag', 'boolean', 'boolean'],
  ['blob', 'bytes', 'bytea'],
  ['amount', { type: 'bytes', logicalType: 'decimal', precision: 18, scale: 4 }, 'numeric(18,4)'],
  ['huge', { type: 'bytes', logicalType: 'decimal', precision: 50, scale: 2 }, 'numeric(50,2)'],
  ['anything', { type: 'string', logicalType: 'number' }, 'numeric'],
  ['note', 'string', 'text'],
  ['label', { type: 'string', logicalType: 'varchar' }, 'varchar'],
  ['attrs', { type: 'string', logicalType: 'json' }, 'jsonb'],
  ['ident', { type: 'string', logicalType: 'uuid' }, 'uuid'],
  ['born', { type: 'int', logicalType: 'date' }, 'date'],
  ['alarm', { type: 'long', logicalType: 'time-micros' }, 'time'],
  ['at_utc', { type: 'long', logicalType: 'timestamp-micros' }, 'timestamptz'],
  ['at_local', { type: 'long', logicalType: 'local-timestamp-micros' }, 'timestamp'],
  ['created_at', TIMESTAMP_TZ_RECORD, 'timestamptz'],
  // a second column of the same named record refers to it by name
  ['updated_at', 'timestampTz', 'timestamptz'],
  ['local_at', DATETIME_RECORD, 'timestamp'],
  ['alarm_tz', TIME_TZ_RECORD, 'timetz'],
  ['span', INTERVAL_RECORD, 'interval'],
  ['mood', { type: 'enum', name: 'mood', symbols: ['ok', 'sad'] }, 'text'],
  ['grid', arrayRecord('multidimensionalArray_grid', 'int'), 'integer[]'],
  ['docs', arrayRecord('multidimensionalArray_docs', { type: 'string', logicalType: 'json' }), 'jsonb[]'],
];

function schemaWith(columns: Array<[string, unknown, string]>) {
  return datastreamEventSchema(
    'public_things',
    columns.map(([name, type]) => ({ name, type: nullable(type) })),
  );
}

/** Big-endian two's complement bytes of an unscaled decimal. */
function decimalBytes(n: bigint): Buffer {
  let hex = BigInt.asUintN(256, n).toString(16).padStart(64, '0');
  hex = hex.replace(/^(ff)+(?=[89a-f])/, '').replace(/^(00)+(?=[0-7])/, '');
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}

async function container(schema: unknown, payloads: Array<Record<string, unknown>>): Promise<Buffer> {
  const type = avro.Type.forSchema(schema as avro.Schema, avroTypeOptions());
  const encoder = new avro.streams.BlockEncoder(type, { codec: 'null' });
  // avsc drops unregistered logicalType attributes when it exports a schema; Datastream writes them.
  (encoder as unknown as { _schema: unknown })._schema = schema;
  const parts: Buffer[] = [];
  encoder.on('data', (chunk: Buffer) => parts.push(chunk));
  const done = new Promise((resolve) => encoder.on('end', resolve));
  payloads.forEach((payload, i) =>
    encoder.write({
      uuid: `u-${i}`,
      read_timestamp: 1795510814479n,
      source_timestamp: 1795510800813n + BigInt(i),
      object: 'public_things',
      read_method: 'postgresql-cdc',
      stream_name: 'projects/1/locations/x/streams/s',
      schema_key: 'k',
      sort_keys: [],
      source_metadata: {
        schema: 'public',
        table: 'things',
        is_deleted: { boolean: false },
        change_type: { string: 'INSERT' },
        tx_id: null,
        lsn: { string: `16/${i}` },
        primary_keys: { array: ['id'] },
      },
      payload: Object.fromEntries(COLUMNS.map(([name]) => [name, payload[name] ?? null])),
    }),
  );
  encoder.end();
  await done;
  return Buffer.concat(parts);
}

test('every Datastream Avro column type maps to its PostgreSQL type, and the learnt table reads exactly', async () => {
  const schema = schemaWith(COLUMNS);
  assert.deepEqual(
    avroPayloadColumns(schema, 'x.avro'),
    COLUMNS.map(([name, , pgType]) => [name, pgType]),
  );
  const bytes = await container(schema, [
    {
      id: { long: 9007199254740993n },
      amount: { bytes: decimalBytes(-123456789n) },
      huge: { bytes: decimalBytes(10n ** 45n + 7n) },
      created_at: { timestampTz: { timestamp: 1795510800000001n, offset: 3_600_000 } },
      updated_at: { timestampTz: { timestamp: 0n, offset: 0 } },
      attrs: { string: '{"b": 1, "a": [true]}' },
      grid: {
        multidimensionalArray_grid: {
          nestedArray: { array: [{ nestedArray: null, elementValue: { int: 4 } }] },
          elementValue: null,
        },
      },
    },
  ]);
  const ref = { schema: 'public', name: 'things' };
  const learnt = await learnTable('x.avro', chunked(bytes), ref);
  assert.deepEqual(learnt, {
    columns: COLUMNS.map(([name, , pgType]) => [name, pgType]),
    primaryKeys: ['id'],
    source: 'avro-schema',
  });
  const table = compileTableDefinition(ref, learnt, learnt.source);
  const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, f.type]));
  assert.equal(types.amount, 'decimal(18, 4)');
  assert.equal(types.huge, 'string', 'numeric beyond precision 38 is exact text');
  assert.equal(types.created_at, 'timestamptz');
  assert.equal(types.local_at, 'timestamp');
  assert.equal(types.alarm, 'time');
  assert.equal(table.schema.fields.find((f) => f.name === 'id')?.required, true);
  const [event] = await readChangeEvents('x.avro', chunked(bytes), { resolveTable: () => table });
  assert.equal(event?.row.id, 9007199254740993n);
  assert.equal(event?.row.amount, -123456789n);
  assert.equal(event?.row.huge, `1${'0'.repeat(42)}0.07`);
  assert.equal(event?.row.created_at, 1795510800000001n);
  assert.equal(event?.row.updated_at, 0n);
  assert.equal(event?.row.attrs, '{"b":1,"a":[true]}');
  assert.deepEqual(event?.row.grid, [4]);
});

test('an Avro payload column no PostgreSQL type is written as fails, naming the object and column', async () => {
  const schema = schemaWith([
    ['id', 'long', 'bigint'],
    ['props', { type: 'map', values: 'string' }, '-'],
  ]);
  assert.throws(
    () => avroPayloadColumns(schema, 'm.avro'),
    (error: unknown) =>
      error instanceof DatastreamValidationError &&
      /^m\.avro: column "props": is an Avro map/.test(error.message) &&
      /declare the table/.test(error.message),
  );
});
