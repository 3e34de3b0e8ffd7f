// Reading the bytes: gzip found by its magic number whatever the name, lines split across any chunk
// boundary (multi-byte UTF-8 included), CRLF and a BOM tolerated, invalid UTF-8 refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { lineBatches } from '../../../shared/datastream/byte-stream.js';
import { DatastreamReadError } from '../../../shared/datastream/errors.js';
import { readChangeEvents } from '../../../shared/datastream/read-object.js';
import { loadScenario, objectPath } from './scenario-fixtures.js';

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function lines(bytes: Uint8Array, size: number): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const batch of lineBatches('x', chunked(bytes, size))) {
    batch.lines.forEach((line, i) => out.push([batch.firstLine + i, line]));
  }
  return out;
}

test('lines survive every chunk size, with multi-byte characters split across chunks', async () => {
  const text = '\uFEFF{"a":"가나다"}\r\n{"b":"🚚"}\n\n{"c":"é"}';
  const bytes = new TextEncoder().encode(text);
  const expected: Array<[number, string]> = [
    [1, '{"a":"가나다"}'],
    [2, '{"b":"🚚"}'],
    [3, ''],
    [4, '{"c":"é"}'],
  ];
  for (const size of [1, 2, 3, 5, 7, 64])
    assert.deepEqual(await lines(bytes, size), expected, `chunk size ${size}`);
});

test('invalid UTF-8 is a read error, not a replacement character', async () => {
  await assert.rejects(lines(new Uint8Array([0x7b, 0xff, 0x7d, 0x0a]), 2), DatastreamReadError);
});

const scenario = loadScenario('seed-validation');
const file = scenario.files[1] as string;
const plain = readFileSync(objectPath(scenario, file));

test('gzip is detected by its bytes, not its name, and a decompressed .gz reads as JSONL', async () => {
  const expected = await readChangeEvents(file, chunked(plain, 1 << 16), scenario.options);
  assert.ok(expected.length > 1);
  const gz = gzipSync(plain);
  const asJsonl = await readChangeEvents(file, chunked(gz, 5), scenario.options);
  assert.deepEqual(asJsonl, expected);
  const transcoded = await readChangeEvents(`${file}.gz`, chunked(plain, 3), scenario.options);
  assert.deepEqual(
    transcoded.map((e) => e.uuid),
    expected.map((e) => e.uuid),
  );
  // Concatenated gzip members are one stream.
  const half = plain.indexOf(0x0a) + 1;
  const members = Buffer.concat([gzipSync(plain.subarray(0, half)), gzipSync(plain.subarray(half))]);
  assert.deepEqual(await readChangeEvents(file, chunked(members, 11), scenario.options), expected);
});

test('an empty object yields no events', async () => {
  assert.deepEqual(
    await readChangeEvents('empty.jsonl', chunked(new Uint8Array(0), 1), scenario.options),
    [],
  );
  assert.deepEqual(
    await readChangeEvents('empty.jsonl.gz', chunked(gzipSync(Buffer.alloc(0)), 1), scenario.options),
    [],
  );
});
