// Avro object container files for manifests and manifest lists. Two things avsc does not do for us:
// - the header must carry the schema JSON exactly as given: avsc's Type.getSchema() drops the
//   `field-id` / `element-id` attributes and `logicalType: map` Iceberg readers resolve fields by;
// - Iceberg longs (snapshot ids from other engines, sizes) go beyond 2^53, so `long` is a BigInt type.
// Records are encoded with avsc, the container framing (header, deflate blocks, sync markers) is here.

import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import avro from 'avsc';

/** Avro `long` as bigint in both directions (numbers are accepted on write). */
const bigLong = avro.types.LongType.__with({
  fromBuffer: (b: Buffer) => b.readBigInt64LE(),
  toBuffer: (n: bigint | number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(n));
    return b;
  },
  fromJSON: (x: unknown) => BigInt(x as number),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) =>
    typeof n === 'bigint' ? BigInt.asIntN(64, n) === n : typeof n === 'number' && Number.isSafeInteger(n),
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

// Compiling a schema into an avsc type costs milliseconds (it generates code) and every manifest read or
// write needs one: types are immutable, so each distinct schema is compiled once per process.
const compiledTypes = new Map<string, avro.Type>();

export function avroType(schema: object): avro.Type {
  const key = JSON.stringify(schema);
  let type = compiledTypes.get(key);
  if (!type) {
    type = avro.Type.forSchema(schema as avro.Schema, { registry: { long: bigLong } as never });
    if (compiledTypes.size >= 256) compiledTypes.clear();
    compiledTypes.set(key, type);
  }
  return type;
}

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj\x01"
const headerMetaType = avro.Type.forSchema({ type: 'map', values: 'bytes' });
const plainLong = avro.Type.forSchema('long');

/** Records per block: small blocks keep memory flat, large ones compress better. */
const BLOCK_RECORDS = 1000;

export interface OcfWriteOptions {
  codec?: 'deflate' | 'null';
  /** Extra header keys (Iceberg's `schema`, `partition-spec`, `snapshot-id`, …). */
  metadata?: Record<string, string>;
}

/** One OCF file with the raw JSON schema in its header. */
export function writeAvroOcf(
  schemaJson: object,
  records: readonly unknown[],
  options: OcfWriteOptions = {},
): Uint8Array {
  const codec = options.codec ?? 'deflate';
  const type = avroType(schemaJson);
  const meta: Record<string, Buffer> = {
    'avro.schema': Buffer.from(JSON.stringify(schemaJson)),
    'avro.codec': Buffer.from(codec),
  };
  for (const [k, v] of Object.entries(options.metadata ?? {})) meta[k] = Buffer.from(v);
  const sync = randomBytes(16);
  const parts: Buffer[] = [MAGIC, headerMetaType.toBuffer(meta), sync];
  for (
    let start = 0;
    start < records.length || (start === 0 && records.length === 0);
    start += BLOCK_RECORDS
  ) {
    const block = records.slice(start, start + BLOCK_RECORDS);
    if (block.length === 0) break;
    const raw = Buffer.concat(
      block.map((r, i) => {
        try {
          return type.toBuffer(r);
        } catch (e) {
          throw new Error(`Avro record ${start + i} does not match its schema: ${(e as Error).message}`);
        }
      }),
    );
    const body = codec === 'deflate' ? deflateRawSync(raw) : raw;
    parts.push(plainLong.toBuffer(block.length), plainLong.toBuffer(body.length), body, sync);
  }
  const out = Buffer.concat(parts);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export interface OcfContents {
  /** The schema JSON as stored in the header. */
  schema: object;
  metadata: Map<string, string>;
  records: unknown[];
}

/** Read a whole OCF file with its writer schema (longs as bigint). `file` names it in errors. */
export function readAvroOcf(bytes: Uint8Array, file = '<avro>'): OcfContents {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC))
    throw new Error(`${file}: not an Avro object container file`);
  const header = headerMetaType.decode(buf, 4);
  if (header.offset < 0) throw new Error(`${file}: truncated Avro header`);
  const meta = header.value as Record<string, Buffer>;
  const metadata = new Map(Object.entries(meta).map(([k, v]) => [k, v.toString('utf8')]));
  const schemaText = metadata.get('avro.schema');
  if (!schemaText) throw new Error(`${file}: Avro header has no avro.schema`);
  const schema = JSON.parse(schemaText) as object;
  const codec = metadata.get('avro.codec') ?? 'null';
  if (codec !== 'null' && codec !== 'deflate') throw new Error(`${file}: unsupported Avro codec "${codec}"`);
  const type = avroType(schema);
  let pos = header.offset;
  const sync = buf.subarray(pos, pos + 16);
  pos += 16;
  const records: unknown[] = [];
  while (pos < buf.length) {
    const count = plainLong.decode(buf, pos);
    const size = plainLong.decode(buf, count.offset);
    if (count.offset < 0 || size.offset < 0) throw new Error(`${file}: truncated Avro block at byte ${pos}`);
    const start = size.offset;
    const end = start + (size.value as number);
    if (end + 16 > buf.length) throw new Error(`${file}: truncated Avro block at byte ${pos}`);
    const body = codec === 'deflate' ? inflateRawSync(buf.subarray(start, end)) : buf.subarray(start, end);
    let at = 0;
    for (let i = 0; i < (count.value as number); i++) {
      const r = type.decode(body, at);
      if (r.offset < 0) throw new Error(`${file}: corrupt Avro record in block at byte ${pos}`);
      records.push(r.value);
      at = r.offset;
    }
    if (!buf.subarray(end, end + 16).equals(sync))
      throw new Error(`${file}: bad Avro sync marker at byte ${end}`);
    pos = end + 16;
  }
  return { schema, metadata, records };
}
