// Reading JSONL objects whole: the same events whatever the chunk sizes (CRLF endings, blank lines, a
// last line without a newline, multi-byte characters split across chunks), the first bad line is the
// one reported, invalid UTF-8 names its line, a byte order mark is dropped, and numbers a double cannot
// hold come out exact.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableKey, type ChangeEvent, type TableRef } from '../../../shared/changes/change-event.js';
import { toChangeEvent } from '../../../shared/datastream/event.js';
import { parseJsonWithOwnParser } from '../../../shared/datastream/lossless-json.js';
import { readChangeEvents, readDatastreamObject } from '../../../shared/datastream/read-object.js';
import { compileTableDefinition, type CompiledTable } from '../../../shared/datastream/table.js';
import { seeded } from '../../support/random.js';

const encoder = new TextEncoder();

const columns: Array<[string, string]> = [
  ['order_id', 'bigint'],
  ['amount', 'numeric(18,4)'],
  ['note', 'text'],
  ['attrs', 'jsonb'],
];
const tables = new Map<string, CompiledTable>(
  ['public', 'audit'].map((schema) => [
    `${schema}.orders`,
    compileTableDefinition({ schema, name: 'orders' }, { columns, primaryKeys: ['order_id'] }),
  ]),
);
const options = { resolveTable: (ref: TableRef) => tables.get(tableKey(ref)) };

const CANONICAL =
  '{"uuid":"a1d6956c-96d6-0464-9da4-ef01606363ab","read_timestamp":"2026-11-24T09:00:17.493000Z",' +
  '"source_timestamp":"2026-11-24T09:00:16.965000Z","object":"public_orders","read_method":"postgresql-cdc",' +
  '"stream_name":"projects/1/locations/us-central1/streams/s","schema_key":"63161c97cd864067e0ada4804b03cd3ade42ae73",' +
  '"sort_keys":[1795510816965,"16/CB007C6F"],"source_metadata":{"schema":"public","table":"orders",' +
  '"is_deleted":false,"change_type":"INSERT","tx_id":1186532,"lsn":"16/CB007C6F","primary_keys":["order_id"]},' +
  '"payload":{"order_id":32,"amount":10.5,"note":"ok","attrs":{"a":[1,{"b":null}]}}}';

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The events read in chunks of `size`, and the error's class and message if the read failed. */
async function read(
  bytes: Uint8Array,
  size: number,
): Promise<{ events: ChangeEvent[]; error: string | undefined }> {
  const events: ChangeEvent[] = [];
  try {
    await readDatastreamObject('o.jsonl', chunksOf(bytes, size), options, (e) => events.push(e));
  } catch (error) {
    return { events, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  return { events, error: undefined };
}

const random = seeded(3);
const lines = Array.from({ length: 150 }, (_, i) => {
  let line = CANONICAL.replace('"order_id":32', `"order_id":${i}`).replace(
    'CB007C6F"}',
    `CB00${(0x7c6f + i).toString(16).toUpperCase()}"}`,
  );
  if (random() < 0.1) line = line.replace('"schema":"public"', '"schema":"audit"');
  if (random() < 0.1) line = line.replace('"note":"ok"', '"note":"주문"');
  if (random() < 0.05) line = line.replace('"amount":10.5', '"amount":12345678901234.5678');
  return line;
});

test('many lines in chunks of any size: the same events, and a bad line stops the read at its place', async () => {
  const good = encoder.encode(`${lines.join('\n')}\n`);
  const expected = (await read(good, good.length)).events;
  assert.equal(expected.length, 150);
  assert.deepEqual(
    expected.map((e) => e.row['order_id']),
    lines.map((_, i) => BigInt(i)),
  );
  const bad = encoder.encode(
    `${lines.slice(0, 100).join('\n')}\n${CANONICAL.replace('"INSERT"', '"MERGE"')}\n${lines.slice(100).join('\n')}`,
  );
  for (const size of [1, 7, 100, 4096, good.length]) {
    assert.deepEqual(await read(good, size), { events: expected, error: undefined }, `chunks of ${size}`);
    const broken = await read(bad, size);
    assert.deepEqual(broken.events, expected.slice(0, 100), `bad line, chunks of ${size}`);
    assert.match(broken.error ?? '', /^DatastreamValidationError: o\.jsonl:101: .*MERGE/);
  }
  // CRLF endings, blank lines between, and a last line without a newline.
  const mixed = encoder.encode(
    lines
      .map((l, i) => (i % 7 === 0 ? `${l}\r\n\n` : `${l}\r\n`))
      .join('')
      .slice(0, -2),
  );
  for (const size of [1, 13, 4096, mixed.length]) {
    const { events, error } = await read(mixed, size);
    assert.equal(error, undefined, `mixed, chunks of ${size}`);
    assert.deepEqual(
      events.map((e) => e.row),
      expected.map((e) => e.row),
      `mixed, chunks of ${size}`,
    );
  }
});

test('a line that is not JSON is named with its line and the text around the fault', async () => {
  const bytes = encoder.encode(`${lines[0]}\n\n${CANONICAL.replace('"note":"ok"', '"note":ok')}\n`);
  for (const size of [1, 64, bytes.length]) {
    const { events, error } = await read(bytes, size);
    assert.equal(events.length, 1);
    assert.match(error ?? '', /^DatastreamReadError: o\.jsonl:3: .*is not valid JSON/);
    assert.match(error ?? '', /note/);
  }
});

test('invalid UTF-8 names its line, in a chunk or across chunks, after the lines before it', async () => {
  const good = `${CANONICAL.replace('"note":"ok"', '"note":"주문"')}\n`;
  const bad = encoder.encode(`${CANONICAL}\n`);
  bad[bad.length - 20] = 0xff; // inside the payload's last value
  const bytes = Buffer.concat([encoder.encode(good.repeat(2)), bad, encoder.encode(good)]);
  for (const size of [1, 5, 100, bytes.length]) {
    const { events, error } = await read(bytes, size);
    assert.equal(error, 'DatastreamReadError: o.jsonl:3: is not valid UTF-8', `chunks of ${size}`);
    assert.equal(events.length, 2, `chunks of ${size}`);
  }
  // The first line, and a last line without a newline.
  for (const text of [
    [bad, encoder.encode(good)],
    [encoder.encode(good), bad.subarray(0, -1)],
  ]) {
    const joined = Buffer.concat(text);
    const firstBad = text[0] === bad;
    for (const size of [1, 7, joined.length]) {
      const { error } = await read(joined, size);
      assert.equal(error, `DatastreamReadError: o.jsonl:${firstBad ? 1 : 2}: is not valid UTF-8`);
    }
  }
});

test('a byte order mark before the first line is dropped, in one chunk or split over three', async () => {
  const line = encoder.encode(`${CANONICAL}\n`);
  const expected = (await read(line, line.length)).events;
  const marked = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), line]);
  for (const size of [1, 2, marked.length]) {
    assert.deepEqual(await read(marked, size), { events: expected, error: undefined }, `chunks of ${size}`);
  }
  // Only before the first line: elsewhere it is part of the line, which is then not JSON.
  const second = Buffer.concat([line, Buffer.from([0xef, 0xbb, 0xbf]), line]);
  assert.match((await read(second, second.length)).error ?? '', /o\.jsonl:2: .*is not valid JSON/);
});

test('events read in chunks equal events parsed by the exact parser alone', async () => {
  const table = compileTableDefinition(
    { schema: 'public', name: 't' },
    {
      columns: [
        ['id', 'bigint'],
        ['amount', 'numeric(38,10)'],
        ['doc', 'jsonb'],
      ],
      primaryKeys: ['id'],
    },
  );
  const exactOptions = { resolveTable: () => table };
  const random = seeded(14);
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const lines = Array.from({ length: 3_000 }, (_, i) => {
    const id = random() < 0.3 ? `1${digits(17)}` : String(i + 1);
    const amount = `${1 + Math.floor(random() * 9)}${digits(Math.floor(random() * 27))}.${digits(1 + Math.floor(random() * 9))}`;
    const doc = random() < 0.5 ? `{"n":[1,${digits(1)}.${digits(20)}],"s":"${digits(20)}"}` : '{"n":1.5}';
    return `{"uuid":"u${i}","source_timestamp":"2026-11-26T01:00:00Z","read_method":"postgresql-cdc","source_metadata":{"schema":"public","table":"t","change_type":"INSERT","is_deleted":false,"lsn":"1/${(i + 16).toString(16)}"},"payload":{"id":${id},"amount":${amount},"doc":${doc}}}`;
  });
  const bytes = encoder.encode(lines.join('\n'));
  const expected = lines.map((line, i) =>
    toChangeEvent({ object: 'o.jsonl', line: i + 1 }, parseJsonWithOwnParser(line), exactOptions),
  );
  for (const size of [13, 1000, bytes.length]) {
    assert.deepEqual(
      await readChangeEvents('o.jsonl', chunksOf(bytes, size), exactOptions),
      expected,
      `chunk size ${size}`,
    );
  }
});
