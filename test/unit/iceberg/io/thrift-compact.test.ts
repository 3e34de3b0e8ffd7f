// The Thrift compact codec: a footer parquet-wasm wrote decodes and encodes back to the same bytes;
// every wire form (long field ids, negative and 64-bit integers, long lists, maps, booleans as fields
// and as list elements, doubles, binaries) survives a round trip; truncated input is a typed error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeRowsDataFile } from '../../../../shared/iceberg/io/parquet-data-file.js';
import {
  decodeThriftStruct,
  encodeThriftStruct,
  ThriftDecodeError,
  ThriftType,
  type ThriftStruct,
} from '../../../../shared/iceberg/io/thrift-compact.js';
import type { Schema } from '../../../../shared/iceberg/spec/types.js';

const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 's', required: false, type: 'string' },
    { id: 3, name: 'd', required: false, type: 'decimal(10, 2)' },
    { id: 4, name: 'f', required: false, type: 'double' },
  ],
};

function footerOf(bytes: Uint8Array): Uint8Array {
  const length = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 4).getUint32(0, true);
  return bytes.subarray(bytes.length - 8 - length, bytes.length - 8);
}

test('a Parquet footer written by parquet-wasm decodes and encodes back to the same bytes', () => {
  const rows = Array.from({ length: 1000 }, (_, i) => ({
    id: BigInt(i),
    s: i % 3 === 0 ? null : `value ${i % 17}`,
    d: BigInt(i * 7 - 3000),
    f: i / 3,
  }));
  for (const maxRowGroupSize of [1000, 300, 64]) {
    const footer = footerOf(writeRowsDataFile(rows, SCHEMA, { maxRowGroupSize }).bytes);
    const { struct, end } = decodeThriftStruct(footer);
    assert.equal(end, footer.length, 'the whole footer is one struct');
    const groups = struct.fields.find((f) => f.id === 4)!.value as { items: unknown[] };
    assert.equal(groups.items.length, Math.ceil(1000 / maxRowGroupSize));
    assert.deepEqual(encodeThriftStruct(struct), footer);
  }
});

test('every wire form survives a round trip', () => {
  const struct: ThriftStruct = {
    fields: [
      { id: 1, type: ThriftType.True, value: true },
      { id: 2, type: ThriftType.False, value: false },
      { id: 3, type: ThriftType.Byte, value: -5 },
      { id: 4, type: ThriftType.I16, value: -32768 },
      { id: 5, type: ThriftType.I32, value: 2147483647 },
      { id: 6, type: ThriftType.I64, value: -9223372036854775808n },
      { id: 7, type: ThriftType.I64, value: 9223372036854775807n },
      { id: 8, type: ThriftType.Double, value: -1.5e300 },
      { id: 9, type: ThriftType.Binary, value: new TextEncoder().encode('héllo') },
      // a jump of more than 15 ids takes the long field header
      {
        id: 40,
        type: ThriftType.List,
        value: {
          kind: ThriftType.List,
          elementType: ThriftType.I32,
          items: Array.from({ length: 20 }, (_, i) => i * 1000 - 7000),
        },
      },
      {
        id: 41,
        type: ThriftType.List,
        value: { kind: ThriftType.List, elementType: ThriftType.True, items: [true, false, true] },
      },
      {
        id: 42,
        type: ThriftType.Map,
        value: {
          keyType: ThriftType.Binary,
          valueType: ThriftType.Struct,
          entries: [[new Uint8Array([1, 2]), { fields: [{ id: 1, type: ThriftType.I16, value: 3 }] }]],
        },
      },
      {
        id: 43,
        type: ThriftType.Set,
        value: { kind: ThriftType.Set, elementType: ThriftType.I64, items: [] },
      },
      { id: 300, type: ThriftType.Struct, value: { fields: [] } },
    ],
  };
  const bytes = encodeThriftStruct(struct);
  const decoded = decodeThriftStruct(bytes);
  assert.equal(decoded.end, bytes.length);
  assert.deepEqual(decoded.struct, struct);
  assert.deepEqual(encodeThriftStruct(decoded.struct), bytes);
});

test('truncated or malformed input is a ThriftDecodeError', () => {
  const footer = footerOf(
    writeRowsDataFile([{ id: 1n, s: 'x', d: 1n, f: 1 }], SCHEMA, { maxRowGroupSize: 10 }).bytes,
  );
  for (const cut of [1, 10, footer.length - 1]) {
    assert.throws(() => decodeThriftStruct(footer.subarray(0, cut)), ThriftDecodeError);
  }
  // field type 13 does not exist
  assert.throws(() => decodeThriftStruct(new Uint8Array([0x1d, 0x00])), ThriftDecodeError);
});
