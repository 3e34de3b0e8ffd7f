// Manifests and manifest lists: the Avro record names and field ids Iceberg Java writes (readers match
// on them), the header keys, int64 values beyond 2^53, null (inherited) sequence numbers on ADDED
// entries, and exact round trips of entries, bounds and partition values.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readAvroOcf } from '../../../../shared/iceberg/io/avro-ocf.js';
import {
  EntryStatus,
  readManifest,
  writeManifest,
  type ManifestEntry,
} from '../../../../shared/iceberg/manifests/manifest.js';
import {
  readManifestList,
  writeManifestList,
  type ManifestFile,
} from '../../../../shared/iceberg/manifests/manifest-list.js';
import { buildPartitionSpec } from '../../../../shared/iceberg/spec/partitioning.js';
import { buildSchema } from '../../../../shared/iceberg/spec/schema.js';
import type { DataFile } from '../../../../shared/iceberg/io/parquet-data-file.js';

const schema = buildSchema([
  { name: 'id', type: 'long', required: true },
  { name: 'amount', type: 'decimal(18, 4)' },
  { name: 'created_at', type: 'timestamptz' },
  { name: 'status', type: 'string' },
  { name: 'customer', type: 'uuid' },
]);
const spec = buildPartitionSpec(schema, [
  { source: 'created_at', transform: 'day' },
  { source: 'id', transform: 'bucket[8]' },
  { source: 'status', transform: 'truncate[2]' },
  { source: 'amount', transform: 'identity' },
  { source: 'customer', transform: 'identity' },
]);

function dataFile(path: string, partition: DataFile['partition']): DataFile {
  return {
    content: 0,
    filePath: path,
    fileFormat: 'PARQUET',
    partition,
    recordCount: 3,
    fileSizeInBytes: 4_294_967_297,
    columnSizes: new Map([[1, 100]]),
    valueCounts: new Map([[1, 3]]),
    nullValueCounts: new Map([[1, 0]]),
    nanValueCounts: new Map(),
    lowerBounds: new Map([[1, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)]]),
    upperBounds: new Map([[1, Uint8Array.of(9, 0, 0, 0, 0, 0, 0, 0)]]),
    keyMetadata: null,
    splitOffsets: [4],
    equalityIds: null,
    sortOrderId: 0,
  };
}

const entries: ManifestEntry[] = [
  {
    status: EntryStatus.ADDED,
    snapshotId: 123,
    sequenceNumber: null,
    fileSequenceNumber: null,
    dataFile: dataFile('file:///wh/a.parquet', {
      created_at_day: 20781,
      id_bucket_8: 3,
      status_trunc_2: 'SH',
      amount: -12300n,
      customer: 'b8a1abcd-1a69-16c7-4da4-f9fc3c6da5d7',
    }),
  },
  {
    status: EntryStatus.DELETED,
    snapshotId: 9223372036854775807n,
    sequenceNumber: 7,
    fileSequenceNumber: 7,
    dataFile: dataFile('file:///wh/b.parquet', {
      created_at_day: null,
      id_bucket_8: 0,
      status_trunc_2: null,
      amount: null,
      customer: null,
    }),
  },
];

test('manifest Avro names and ids are those Iceberg Java writes', () => {
  const bytes = writeManifest({ schema, spec, entries });
  const { schema: avro, metadata } = readAvroOcf(bytes);
  const text = JSON.stringify(avro);
  const a = avro as {
    name: string;
    fields: {
      name: string;
      type: {
        name?: string;
        fields?: { name: string; type: { name?: string; fields?: unknown[] }; 'field-id': number }[];
      };
    }[];
  };
  assert.equal(a.name, 'manifest_entry');
  const df = a.fields.find((f) => f.name === 'data_file')!.type;
  assert.equal(df.name, 'r2');
  const partition = df.fields!.find((f) => f.name === 'partition')!;
  assert.equal(partition.type.name, 'r102');
  assert.equal(partition['field-id'], 102);
  assert.deepEqual(
    (partition.type.fields as { name: string; 'field-id': number }[]).map((f) => [f.name, f['field-id']]),
    spec.fields.map((f) => [f.name, f['field-id']]),
  );
  for (const name of [
    'k117_v118',
    'k126_v127',
    'k129_v130',
    '"element-id":133',
    '"logicalType":"map"',
    '"field-id":134',
  ]) {
    assert.ok(text.includes(name), name);
  }
  assert.equal(metadata.get('format-version'), '2');
  assert.equal(metadata.get('content'), 'data');
  assert.equal(metadata.get('partition-spec-id'), '0');
  assert.deepEqual(JSON.parse(metadata.get('partition-spec')!), spec.fields);
  assert.deepEqual(JSON.parse(metadata.get('schema')!), schema);
  assert.equal(metadata.get('avro.codec'), 'deflate');
});

test('manifest entries round trip, ADDED with null sequence numbers', () => {
  const back = readManifest(writeManifest({ schema, spec, entries })).entries;
  assert.deepEqual(back, entries);
  assert.equal(back[0]!.sequenceNumber, null);
  assert.equal(back[1]!.snapshotId, 9223372036854775807n);
});

test('EXISTING or DELETED entries without sequence numbers are refused', () => {
  const bad = [{ ...entries[1]!, sequenceNumber: null }];
  assert.throws(() => writeManifest({ schema, spec, entries: bad }), /b\.parquet.*explicit sequence numbers/);
});

test('manifest list names, header keys and round trip', () => {
  const m: ManifestFile = {
    manifestPath: 'file:///wh/m.avro',
    manifestLength: 4000,
    partitionSpecId: 0,
    content: 0,
    sequenceNumber: 2,
    minSequenceNumber: 1,
    addedSnapshotId: 9007199254740993n,
    addedFilesCount: 1,
    existingFilesCount: 2,
    deletedFilesCount: 3,
    addedRowsCount: 10,
    existingRowsCount: 20,
    deletedRowsCount: 30,
    partitions: [
      { containsNull: true, containsNan: false, lowerBound: Uint8Array.of(1), upperBound: Uint8Array.of(2) },
    ],
    keyMetadata: null,
  };
  const bytes = writeManifestList({
    snapshotId: 9007199254740993n,
    parentSnapshotId: 5,
    sequenceNumber: 2,
    manifests: [m],
  });
  const raw = readAvroOcf(bytes);
  const s = raw.schema as { name: string; fields: { name: string; type: unknown }[] };
  assert.equal(s.name, 'manifest_file');
  assert.ok(JSON.stringify(s).includes('"name":"r508"'));
  assert.ok(JSON.stringify(s).includes('"element-id":508'));
  assert.equal(raw.metadata.get('snapshot-id'), '9007199254740993');
  assert.equal(raw.metadata.get('parent-snapshot-id'), '5');
  assert.equal(raw.metadata.get('sequence-number'), '2');
  assert.equal(raw.metadata.get('format-version'), '2');
  assert.deepEqual(readManifestList(bytes).manifests, [m]);
  const first = writeManifestList({
    snapshotId: 1,
    parentSnapshotId: null,
    sequenceNumber: 1,
    manifests: [],
  });
  assert.equal(readAvroOcf(first).metadata.has('parent-snapshot-id'), false);
});
