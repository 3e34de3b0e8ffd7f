// Limits on what one object may make the reader hold: a line, a value, an inflated object and an Avro
// block beyond their limit fail the object with a reason naming the limit (and the line), and the
// reader stops there instead of holding the rest. The big inputs are generated as streams here, with
// low limits set through the options, so the test itself stays small.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import avro from 'avsc';
import { avroTypeOptions } from '../../../shared/datastream/avro-container.js';
import { DatastreamReadError, DatastreamValidationError } from '../../../shared/datastream/errors.js';
import { readChangeEvents } from '../../../shared/datastream/read-object.js';
import { learnTable } from '../../../shared/datastream/infer-table.js';
import { compileTableDefinition } from '../../../shared/datastream/table.js';
import { loadReadLimits } from '../../../shared/config.js';
import { DEFAULT_READ_LIMITS } from '../../../shared/datastream/read-limits.js';
import { datastreamEventSchema } from './avro-schemas.js';

const table = compileTableDefinition(
  { schema: 'public', name: 'notes' },
  {
    columns: [
      ['id', 'bigint'],
      ['note', 'text'],
    ],
    primaryKeys: ['id'],
  },
);
const options = { resolveTable: () => table };

function line(id: number, note: string): string {
  return JSON.stringify({
    uuid: `u-${id}`,
    source_timestamp: '2026-12-06T10:00:00Z',
    read_method: 'postgresql-cdc',
    source_metadata: { schema: 'public', table: 'notes', change_type: 'INSERT', lsn: `1/${id}` },
    payload: { id, note },
  });
}

/** Chunks of `size` bytes of `fill`, `count` of them, counting how many were pulled. */
function counted(count: number, size: number, fill: number, prefix = Buffer.alloc(0)) {
  const pulled = { chunks: 0 };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield prefix;
    const chunk = Buffer.alloc(size, fill);
    for (let i = 0; i < count; i++) {
      pulled.chunks++;
      yield chunk;
    }
  }
  return { pulled, chunks: chunks() };
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

test('a line longer than the line limit fails naming its line and the limit, and is never held whole', async () => {
  // Line 2 is 64 MiB of "a", streamed; the limit is 1 MiB, so the read stops after about 17 chunks.
  const { pulled, chunks } = counted(1024, 64 * 1024, 0x61, Buffer.from(`${line(1, 'ok')}\n`));
  await assert.rejects(
    readChangeEvents('long.jsonl', chunks, { ...options, limits: { maxLineBytes: 1024 * 1024 } }),
    (error: unknown) =>
      error instanceof DatastreamReadError &&
      error.message ===
        'long.jsonl:2: the line is larger than the limit of 1048576 bytes (DSI_MAX_LINE_BYTES)',
  );
  assert.ok(pulled.chunks < 40, `${pulled.chunks} chunks read`);
  // In one chunk, and at the limit exactly.
  const short = Buffer.from(`${line(1, 'ok')}\n${line(2, 'x'.repeat(300))}\n`);
  const limit = Buffer.byteLength(line(2, 'x'.repeat(300)));
  for (const maxLineBytes of [limit - 1, limit]) {
    const read = readChangeEvents('short.jsonl', once(short), { ...options, limits: { maxLineBytes } });
    if (maxLineBytes === limit) assert.equal((await read).length, 2);
    else await assert.rejects(read, /short\.jsonl:2: the line is larger than the limit/);
  }
});

test('a gzipped single line of ASCII fails on the line limit, not as invalid UTF-8', async () => {
  const { pulled, chunks } = counted(2048, 64 * 1024, 0x61);
  const gzipped = Readable.from(chunks).pipe(createGzip({ level: 1 }));
  await assert.rejects(
    readChangeEvents('one-line.jsonl.gz', gzipped, { ...options, limits: { maxLineBytes: 4 * 1024 * 1024 } }),
    /^DatastreamReadError: one-line\.jsonl\.gz:1: the line is larger than the limit of 4194304 bytes \(DSI_MAX_LINE_BYTES\)$/,
  );
  assert.ok(pulled.chunks < 2048, `${pulled.chunks} chunks read`);
});

test('a gzip object inflating beyond the limit fails naming the limit', async () => {
  // 32 MiB of newlines (blank lines: no event, so only the inflated size is wrong with it).
  const { pulled, chunks } = counted(512, 64 * 1024, 0x0a);
  const gzipped = Readable.from(chunks).pipe(createGzip());
  await assert.rejects(
    readChangeEvents('bomb.jsonl.gz', gzipped, { ...options, limits: { maxDecompressedBytes: 1024 * 1024 } }),
    (error: unknown) =>
      error instanceof DatastreamReadError &&
      error.message ===
        'bomb.jsonl.gz: the inflated object is larger than the limit of 1048576 bytes (DSI_MAX_DECOMPRESSED_BYTES)',
  );
  assert.ok(pulled.chunks < 512, `${pulled.chunks} chunks read`);
});

test('a payload value beyond the value limit fails naming the file, line, column and limit', async () => {
  const bytes = Buffer.from(
    [line(1, 'short'), line(2, '가'.repeat(400)), line(3, 'x'.repeat(5000))].join('\n'),
  );
  // 400 three-byte characters are 1,200 bytes: over a limit of 1,000 though the line is shorter in
  // characters than that.
  await assert.rejects(
    readChangeEvents('values.jsonl', once(bytes), { ...options, limits: { maxValueBytes: 1000 } }),
    (error: unknown) =>
      error instanceof DatastreamValidationError &&
      error.message ===
        'values.jsonl:2: column "note": is larger than the limit of 1000 bytes (DSI_MAX_VALUE_BYTES); value <1200 bytes>',
  );
  assert.equal((await readChangeEvents('values.jsonl', once(bytes), options)).length, 3);
});

const SCHEMA = datastreamEventSchema('notes', [
  { name: 'id', type: 'long' },
  { name: 'note', type: 'string' },
]);

async function container(notes: string[], codec: 'null' | 'deflate'): Promise<Buffer> {
  const type = avro.Type.forSchema(SCHEMA as avro.Schema, avroTypeOptions());
  const encoder = new avro.streams.BlockEncoder(type, { codec, blockSize: 64 * 1024 * 1024 });
  const parts: Buffer[] = [];
  encoder.on('data', (chunk: Buffer) => parts.push(chunk));
  const done = new Promise((resolve) => encoder.on('end', resolve));
  notes.forEach((note, i) =>
    encoder.write({
      uuid: `u-${i}`,
      read_timestamp: 1n,
      source_timestamp: 1n,
      object: 'public_notes',
      read_method: 'postgresql-cdc',
      stream_name: 's',
      schema_key: 'k',
      sort_keys: [],
      source_metadata: {
        schema: 'public',
        table: 'notes',
        is_deleted: { boolean: false },
        change_type: { string: 'INSERT' },
        tx_id: null,
        lsn: { string: `1/${i + 1}` },
        primary_keys: { array: ['id'] },
      },
      payload: { id: BigInt(i + 1), note },
    }),
  );
  encoder.end();
  await done;
  return Buffer.concat(parts);
}

test('an Avro deflate bomb fails on the block limit before it is inflated whole', async () => {
  const bomb = await container(['a'.repeat(8 * 1024 * 1024)], 'deflate');
  assert.ok(bomb.length < 64 * 1024, `${bomb.length} bytes compressed`);
  const limits = { maxAvroBlockBytes: 1024 * 1024 };
  const expected =
    'bomb.avro:1: the inflated Avro block is larger than the limit of 1048576 bytes (DSI_MAX_AVRO_BLOCK_BYTES)';
  await assert.rejects(readChangeEvents('bomb.avro', once(bomb), { ...options, limits }), {
    message: expected,
  });
  // Learning a table from the object reads it under the same limits.
  await assert.rejects(learnTable('bomb.avro', once(bomb), table.ref, limits), { message: expected });
  // A stored block beyond the limit is refused by its declared size.
  const stored = await container(['a'.repeat(2 * 1024 * 1024)], 'null');
  await assert.rejects(readChangeEvents('big.avro', once(stored), { ...options, limits }), {
    message:
      'big.avro:1: the Avro block is larger than the limit of 1048576 bytes (DSI_MAX_AVRO_BLOCK_BYTES)',
  });
});

test('an Avro value beyond the value limit fails naming its record and column', async () => {
  const bytes = await container(['short', 'x'.repeat(3000)], 'null');
  await assert.rejects(
    readChangeEvents('values.avro', once(bytes), { ...options, limits: { maxValueBytes: 2000 } }),
    {
      message:
        'values.avro:2: column "note": is larger than the limit of 2000 bytes (DSI_MAX_VALUE_BYTES); value <3000 bytes>',
    },
  );
  assert.equal((await readChangeEvents('values.avro', once(bytes), options)).length, 2);
});

test('the limits come from DSI_MAX_* variables, with defaults for the rest; a bad value names its variable', () => {
  assert.deepEqual(loadReadLimits({}), DEFAULT_READ_LIMITS);
  assert.deepEqual(loadReadLimits({ DSI_MAX_LINE_BYTES: '1000', DSI_MAX_AVRO_BLOCK_BYTES: ' 2048 ' }), {
    ...DEFAULT_READ_LIMITS,
    maxLineBytes: 1000,
    maxAvroBlockBytes: 2048,
  });
  for (const bad of ['0', '-1', '1.5', '10MB', '1e9']) {
    assert.throws(
      () => loadReadLimits({ DSI_MAX_VALUE_BYTES: bad }),
      /DSI_MAX_VALUE_BYTES must be a whole number/,
    );
  }
});
