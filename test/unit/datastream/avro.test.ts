// Avro input: the real Datastream sample reads, and a container written here with Datastream's
// logical types (and the deflate codec) comes back as exact values; broken containers are typed errors.

import { plain } from '../../support/plain-rows.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import avro from 'avsc';
import { avroTypeOptions } from '../../../shared/datastream/avro-container.js';
import { DatastreamError, DatastreamReadError } from '../../../shared/datastream/errors.js';
import { readChangeEvents } from '../../../shared/datastream/read-object.js';
import { compileTableDefinition, type TableDefinition } from '../../../shared/datastream/table.js';
import {
  arrayRecord,
  datastreamEventSchema,
  DATETIME_RECORD,
  INTERVAL_RECORD,
  nullable,
  TIMESTAMP_TZ_RECORD,
} from './avro-schemas.js';
import { REAL_AVRO_SAMPLE } from './scenario-fixtures.js';

async function* chunked(bytes: Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

function optionsFor(schema: string, name: string, definition: TableDefinition) {
  const table = compileTableDefinition({ schema, name }, definition);
  return { resolveTable: () => table };
}

test('the real Datastream sample (PostgreSQL CDC, bytea and array columns) reads', async () => {
  const bytes = readFileSync(REAL_AVRO_SAMPLE);
  const options = optionsFor('public', 'source_table', {
    columns: [
      ['integer_field', 'integer'],
      ['integer_array_field', 'integer[]'],
      ['string_array', 'text[]'],
      ['json_column', 'json[]'],
      ['jsonb_column', 'jsonb[]'],
      ['binary_content', 'bytea'],
      ['uuid_array', 'uuid[]'],
    ],
    primaryKeys: [],
  });
  const events = await readChangeEvents('sample.avro', chunked(bytes), options);
  assert.equal(events.length, 1);
  const [event] = events;
  assert.ok(event);
  assert.equal(event.uuid, '626eb68e-e6df-4fce-baf5-04bf00000000');
  assert.deepEqual(event.table, { schema: 'public', name: 'source_table' });
  assert.equal(event.op, 'upsert');
  assert.equal(event.changeType, 'INSERT');
  assert.equal(event.backfill, false);
  assert.deepEqual(event.key, []);
  assert.deepEqual(event.order, { sourceTsMs: 1739315197151, lsn: 0x16n * 2n ** 32n + 0xcb002db0n });
  assert.deepEqual(event.row.binary_content, new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
  for (const column of [
    'integer_field',
    'integer_array_field',
    'string_array',
    'json_column',
    'jsonb_column',
    'uuid_array',
  ]) {
    assert.equal(event.row[column], null, column);
  }
  assert.deepEqual(event.source, { object: 'sample.avro', line: 1 });
});

const SCHEMA = datastreamEventSchema('public_orders', [
  { name: 'id', type: nullable('long') },
  {
    name: 'amount',
    type: nullable({ type: 'bytes', logicalType: 'decimal', precision: 18, scale: 4 }),
  },
  { name: 'big_number', type: nullable({ type: 'string', logicalType: 'number' }) },
  { name: 'label', type: nullable({ type: 'string', logicalType: 'varchar' }) },
  { name: 'attrs', type: nullable({ type: 'string', logicalType: 'json' }) },
  { name: 'created_on', type: nullable({ type: 'int', logicalType: 'date' }) },
  { name: 'pickup', type: nullable({ type: 'long', logicalType: 'time-micros' }) },
  { name: 'created_at', type: nullable(TIMESTAMP_TZ_RECORD) },
  { name: 'local_at', type: nullable(DATETIME_RECORD) },
  { name: 'span', type: nullable(INTERVAL_RECORD) },
  { name: 'grid', type: nullable(arrayRecord('multidimensionalArray_grid', 'int')) },
  { name: 'blob', type: nullable('bytes') },
]);

const DEFINITION: TableDefinition = {
  columns: [
    ['id', 'bigint'],
    ['amount', 'numeric(18,4)'],
    ['big_number', 'numeric'],
    ['label', 'varchar(20)'],
    ['attrs', 'jsonb'],
    ['created_on', 'date'],
    ['pickup', 'time'],
    ['created_at', 'timestamptz'],
    ['local_at', 'timestamp'],
    ['span', 'interval'],
    ['grid', 'integer[][]'],
    ['blob', 'bytea'],
  ],
  primaryKeys: ['id'],
};

/** Big-endian two's complement bytes of an unscaled decimal. */
function decimalBytes(n: bigint): Buffer {
  let hex = BigInt.asUintN(128, n).toString(16).padStart(32, '0');
  hex = hex.replace(/^(ff)+(?=[89a-f])/, '').replace(/^(00)+(?=[0-7])/, '');
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}

const cell = (value: unknown) => ({ nestedArray: null, elementValue: { int: value } });

function record(id: bigint, deleted: boolean, twoDimensional = false) {
  return {
    uuid: `u-${id}`,
    read_timestamp: 1795510814479n,
    source_timestamp: 1795510800813n,
    object: 'public_orders',
    read_method: 'postgresql-cdc',
    stream_name: 'projects/1/locations/x/streams/s',
    schema_key: 'k',
    sort_keys: [{ long: 1795510800813n }, { string: '16/CB003023' }],
    source_metadata: {
      schema: 'public',
      table: 'orders',
      is_deleted: { boolean: deleted },
      change_type: { string: deleted ? 'DELETE' : 'INSERT' },
      tx_id: { long: 9007199254740993n },
      lsn: { string: '16/CB003023' },
      primary_keys: { array: ['id'] },
    },
    payload: {
      id: { long: id },
      amount: { bytes: decimalBytes(-999999999999999999n) },
      big_number: { string: '123456789012345678901234567890.5' },
      label: { string: 'gift 🎁' },
      attrs: { string: '{"n": 12345678901234567890, "k": [true]}' },
      created_on: { int: -719162 },
      pickup: { long: 86_399_999_999n },
      created_at: { timestampTz: { timestamp: 1795510800000001n, offset: 3_600_000 } },
      local_at: { datetime: { date: 2932896, time: 1n } },
      span: { interval: { months: 14, hours: 3, micros: 4_500_000n } },
      grid: {
        multidimensionalArray_grid: {
          nestedArray: {
            array: twoDimensional
              ? [
                  { nestedArray: { array: [cell(1), cell(2)] }, elementValue: null },
                  { nestedArray: { array: [cell(3)] }, elementValue: null },
                ]
              : [cell(1), cell(2), { nestedArray: null, elementValue: null }],
          },
          elementValue: null,
        },
      },
      blob: null,
    },
  };
}

async function writeContainer(records: unknown[], codec: 'null' | 'deflate'): Promise<Buffer> {
  const type = avro.Type.forSchema(SCHEMA as avro.Schema, avroTypeOptions());
  const encoder = new avro.streams.BlockEncoder(type, { codec, blockSize: 64 });
  // avsc drops unregistered logicalType attributes when it exports a type's schema; a Datastream file
  // header carries them, so write the schema as declared.
  (encoder as unknown as { _schema: unknown })._schema = SCHEMA;
  const parts: Buffer[] = [];
  encoder.on('data', (chunk: Buffer) => parts.push(chunk));
  const done = new Promise((resolve) => encoder.on('end', resolve));
  for (const r of records) encoder.write(r);
  encoder.end();
  await done;
  return Buffer.concat(parts);
}

for (const codec of ['null', 'deflate'] as const) {
  test(`Datastream logical types decode to exact values (${codec} codec, several blocks)`, async () => {
    const container = await writeContainer(
      [record(1n, false), record(9007199254740993n, false), record(5n, true)],
      codec,
    );
    const events = await readChangeEvents(
      'x.avro',
      chunked(container, 13),
      optionsFor('public', 'orders', DEFINITION),
    );
    assert.equal(events.length, 3);
    const [first, second, third] = events;
    assert.ok(first && second && third);
    assert.deepEqual(second.key, [9007199254740993n]);
    assert.equal(second.source.line, 2);
    assert.deepEqual(plain(first.row), {
      id: 1n,
      amount: -999999999999999999n,
      big_number: '123456789012345678901234567890.5',
      label: 'gift 🎁',
      attrs: '{"n":12345678901234567890,"k":[true]}',
      created_on: -719162,
      pickup: 86_399_999_999n,
      created_at: 1795510800000001n,
      local_at: 253402214400000001n,
      span: 'P14MT3H4.5S',
      grid: [1, 2, null],
      blob: null,
    });
    assert.equal(third.op, 'delete');
    assert.deepEqual(plain(third.row), { id: 5n });
    assert.deepEqual(first.order, { sourceTsMs: 1795510800813, lsn: 0x16cb003023n });
  });
}

test('a two-dimensional array is refused for a one-dimensional list column, naming it', async () => {
  const container = await writeContainer([record(1n, false, true)], 'null');
  await assert.rejects(
    readChangeEvents('x.avro', chunked(container), optionsFor('public', 'orders', DEFINITION)),
    /column "grid": element 0 is an array; value \[1,2\]/,
  );
});

test('a gzip-compressed Avro container is recognised by its bytes', async () => {
  const container = gzipSync(await writeContainer([record(1n, false)], 'null'));
  const events = await readChangeEvents(
    'x.avro',
    chunked(container),
    optionsFor('public', 'orders', DEFINITION),
  );
  assert.equal(events.length, 1);
});

test('truncated or corrupt containers are read errors naming the object', async () => {
  const container = await writeContainer(
    [record(1n, false), record(2n, false), record(3n, false)],
    'deflate',
  );
  const options = optionsFor('public', 'orders', DEFINITION);
  const cases: Array<[string, Uint8Array]> = [
    ['truncated', container.subarray(0, container.length - 20)],
    ['header only', container.subarray(0, 30)],
    [
      'bad sync',
      Buffer.concat([
        container.subarray(0, container.length - 1),
        Buffer.from([container[container.length - 1]! ^ 1]),
      ]),
    ],
    ['not avro', Buffer.from('Obj\u0002 nope')],
  ];
  for (const [name, bytes] of cases) {
    await assert.rejects(
      readChangeEvents(`${name}.avro`, chunked(bytes), options),
      (error: unknown) => error instanceof DatastreamError && error.message.includes(`${name}.avro`),
      name,
    );
  }
  await assert.rejects(
    readChangeEvents('plain.avro', chunked(Buffer.from('{"a":1}\n')), options),
    DatastreamReadError,
  );
});
