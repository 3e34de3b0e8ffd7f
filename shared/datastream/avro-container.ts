// Avro object container files (OCF), read as a stream: header (magic, metadata, sync marker), then
// blocks of records, each block decoded as it completes, so memory holds one block at a time. The
// container is parsed here rather than by a stream decoder so that a truncated file or a bad sync
// marker is an error that names the object, not a silent early end. Codecs: null and deflate, the
// two Datastream writes. Records are decoded by avsc with 64-bit longs as bigint and unions wrapped
// ({branch: value}), so no integer is rounded and every union branch is known.

import avro from 'avsc';
import { inflateRawSync } from 'node:zlib';
import { DatastreamReadError } from './errors.js';
import { overLimit, readLimits, type ReadLimits } from './read-limits.js';

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]);
const SYNC_SIZE = 16;

/** avsc long type holding every 64-bit value exactly, as a bigint. */
export const BIGINT_LONG = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(0),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n), 0);
    return buf;
  },
  fromJSON: (n: number | string) => BigInt(n),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/**
 * avsc options that decode every long exactly: the registry covers the bare name "long", the hook
 * covers `{type: "long", logicalType: …}` (timestamp-micros of year 9999 is beyond 2^53).
 */
export function avroTypeOptions(): Partial<avro.ForSchemaOptions> {
  return {
    registry: { long: BIGINT_LONG },
    wrapUnions: true,
    typeHook: (schema) => {
      const node = schema as unknown as { type?: unknown };
      return typeof node === 'object' && node !== null && node.type === 'long' ? BIGINT_LONG : undefined;
    },
  };
}

export interface AvroHeader {
  /** The writer schema, as JSON. */
  schema: unknown;
  codec: string;
}

/** Incremental reader over the byte stream: asks for more bytes only when a structure is incomplete. */
class ByteQueue {
  private buffer = Buffer.alloc(0);
  private offset = 0;
  private ended = false;
  private readonly iterator: AsyncIterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  get available(): number {
    return this.buffer.length - this.offset;
  }

  /** Ensure at least n bytes are buffered; false at the end of the stream. */
  async fill(n: number): Promise<boolean> {
    while (this.available < n) {
      if (this.ended) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        return this.available >= n;
      }
      this.buffer = Buffer.concat([this.buffer.subarray(this.offset), next.value]);
      this.offset = 0;
    }
    return true;
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** Read a zig-zag varint long (as a safe number: sizes and counts). */
  async readLong(): Promise<number | undefined> {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (!(await this.fill(1))) return undefined;
      const byte = this.buffer[this.offset++] as number;
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) {
        const value = result % 2 === 0 ? result / 2 : -(result + 1) / 2;
        return Number.isSafeInteger(value) ? value : undefined;
      }
    }
    return undefined;
  }

  async take(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) return undefined;
    const out = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

function truncated(object: string, what: string): DatastreamReadError {
  return new DatastreamReadError({ object }, `Avro container is truncated or corrupt (${what})`);
}

async function readHeader(object: string, queue: ByteQueue): Promise<{ header: AvroHeader; sync: Buffer }> {
  const magic = await queue.take(4);
  if (!magic || !magic.equals(MAGIC)) {
    throw new DatastreamReadError({ object }, 'is not an Avro object container (bad magic bytes)');
  }
  const meta = new Map<string, Buffer>();
  for (;;) {
    let count = await queue.readLong();
    if (count === undefined) throw truncated(object, 'header metadata');
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      if ((await queue.readLong()) === undefined) throw truncated(object, 'header metadata');
    }
    for (let i = 0; i < count; i++) {
      const keyLength = await queue.readLong();
      const key = keyLength !== undefined && keyLength >= 0 ? await queue.take(keyLength) : undefined;
      const valueLength = await queue.readLong();
      const value = valueLength !== undefined && valueLength >= 0 ? await queue.take(valueLength) : undefined;
      if (!key || !value) throw truncated(object, 'header metadata');
      meta.set(key.toString('utf8'), Buffer.from(value));
    }
  }
  const sync = await queue.take(SYNC_SIZE);
  if (!sync) throw truncated(object, 'sync marker');
  const schemaBytes = meta.get('avro.schema');
  if (!schemaBytes) throw new DatastreamReadError({ object }, 'Avro container has no schema');
  let schema: unknown;
  try {
    schema = JSON.parse(schemaBytes.toString('utf8'));
  } catch (error) {
    throw new DatastreamReadError({ object }, 'Avro container schema is not JSON', { cause: error });
  }
  const codec = meta.get('avro.codec')?.toString('utf8') ?? 'null';
  if (codec !== 'null' && codec !== 'deflate') {
    throw new DatastreamReadError(
      { object },
      `Avro codec "${codec}" is not supported (null and deflate are)`,
    );
  }
  return { header: { schema, codec }, sync: Buffer.from(sync) };
}

export interface AvroRecordBatch {
  /** 1-based number of the first record of the batch within the object. */
  firstRecord: number;
  records: unknown[];
  /** The block's size once inflated. */
  bytes: number;
}

/**
 * Stream the records of an Avro container, one batch per block. `onHeader` sees the writer schema
 * before the first record, so the caller can build its converters. A block larger than
 * maxAvroBlockBytes, compressed or inflated, is an error naming the limit (a deflate bomb stops there).
 */
export async function* avroRecordBatches(
  object: string,
  source: AsyncIterable<Uint8Array>,
  onHeader: (header: AvroHeader) => void,
  limits: ReadLimits = readLimits(),
): AsyncGenerator<AvroRecordBatch> {
  const queue = new ByteQueue(source);
  const { header, sync } = await readHeader(object, queue);
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(header.schema as avro.Schema, avroTypeOptions());
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new DatastreamReadError({ object }, `Avro schema is invalid (${message})`, { cause: error });
  }
  onHeader(header);
  let recordNumber = 1;
  while (!(await queue.atEnd())) {
    const count = await queue.readLong();
    const size = await queue.readLong();
    if (count === undefined || size === undefined || count < 0 || size < 0) {
      throw truncated(object, `block header after record ${recordNumber - 1}`);
    }
    if (size > limits.maxAvroBlockBytes) {
      throw overLimit({ object, line: recordNumber }, 'the Avro block', limits, 'maxAvroBlockBytes');
    }
    const body = await queue.take(size);
    const marker = await queue.take(SYNC_SIZE);
    if (!body || !marker) throw truncated(object, `block after record ${recordNumber - 1}`);
    if (!marker.equals(sync)) throw truncated(object, `sync marker after record ${recordNumber - 1}`);
    let data: Buffer;
    try {
      data =
        header.codec === 'deflate'
          ? inflateRawSync(body, { maxOutputLength: limits.maxAvroBlockBytes })
          : body;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw overLimit(
          { object, line: recordNumber },
          'the inflated Avro block',
          limits,
          'maxAvroBlockBytes',
        );
      }
      throw new DatastreamReadError({ object, line: recordNumber }, 'Avro block does not inflate', {
        cause: error,
      });
    }
    // Every Datastream record takes at least one byte; a larger count is corruption (and would
    // otherwise loop for as long as the count says).
    if (count > data.length + 1) {
      throw new DatastreamReadError(
        { object, line: recordNumber },
        `Avro block claims ${count} records in ${data.length} bytes`,
      );
    }
    const records: unknown[] = [];
    let pos = 0;
    for (let i = 0; i < count; i++) {
      let decoded: { value: unknown; offset: number };
      try {
        decoded = type.decode(data, pos);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new DatastreamReadError(
          { object, line: recordNumber + i },
          `Avro record is corrupt (${message})`,
          {
            cause: error,
          },
        );
      }
      if (decoded.offset < 0) {
        throw new DatastreamReadError({ object, line: recordNumber + i }, 'Avro record runs past its block');
      }
      records.push(decoded.value);
      pos = decoded.offset;
    }
    if (pos !== data.length) {
      throw new DatastreamReadError(
        { object, line: recordNumber + count - 1 },
        'Avro block has trailing bytes',
      );
    }
    yield { firstRecord: recordNumber, records, bytes: data.length };
    recordNumber += count;
  }
}
