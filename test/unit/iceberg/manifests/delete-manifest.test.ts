// Manifests of delete files: the header says `content` = deletes, the entries keep content 1 and their
// file_path bounds through a round trip, a manifest never mixes data and delete files, and the manifest
// list carries content 1 with the delete manifest's sequence numbers and counts (added_rows_count counts
// deleted positions, as Java's ManifestWriter counts a delete file's records).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writePositionDeleteFile } from '../../../../shared/iceberg/io/position-delete-file.js';
import {
  EntryStatus,
  readManifest,
  writeManifest,
  type ManifestEntry,
} from '../../../../shared/iceberg/manifests/manifest.js';
import {
  countEntries,
  readManifestList,
  summarizePartitions,
  writeManifestList,
} from '../../../../shared/iceberg/manifests/manifest-list.js';
import { buildPartitionSpec } from '../../../../shared/iceberg/spec/partitioning.js';
import { DELETE_FILE_PATH_FIELD_ID } from '../../../../shared/iceberg/spec/position-delete-schema.js';
import { buildSchema } from '../../../../shared/iceberg/spec/schema.js';
import { partitionFieldTypes } from '../../../../shared/iceberg/manifests/manifest.js';

const schema = buildSchema([
  { name: 'id', type: 'long', required: true },
  { name: 'status', type: 'string' },
]);
const spec = buildPartitionSpec(schema, [{ source: 'id', transform: 'bucket[4]' }]);
const DATA = 'file:///tmp/t/data/id_bucket_4=2/3a9c2a51-6f0e-4d1c-9d43-0123456789ab.parquet';

function deleteEntry(positions: number[], status: EntryStatus, seq: number | null): ManifestEntry {
  const w = writePositionDeleteFile({ dataFilePath: DATA, partition: { id_bucket_4: 2 }, positions });
  return {
    status,
    snapshotId: 7,
    sequenceNumber: seq,
    fileSequenceNumber: seq,
    dataFile: {
      ...w.dataFile,
      filePath: `file:///tmp/t/data/id_bucket_4=2/delete-${positions.length}.parquet`,
    },
  };
}

test('a delete manifest round-trips with content = deletes and content 1 entries', () => {
  const entries = [
    deleteEntry([4, 1, 9], EntryStatus.ADDED, null),
    deleteEntry([2], EntryStatus.EXISTING, 3),
  ];
  const bytes = writeManifest({ schema, spec, entries, content: 'deletes' });
  const back = readManifest(bytes, 'm.avro');
  assert.equal(back.content, 'deletes');
  assert.equal(back.metadata.get('content'), 'deletes');
  assert.deepEqual(
    back.entries.map((e) => [e.status, e.sequenceNumber, e.dataFile.content, e.dataFile.recordCount]),
    [
      [EntryStatus.ADDED, null, 1, 3],
      [EntryStatus.EXISTING, 3, 1, 1],
    ],
  );
  const first = back.entries[0]!.dataFile;
  assert.equal(Buffer.from(first.lowerBounds.get(DELETE_FILE_PATH_FIELD_ID)!).toString(), DATA);
  assert.equal(Buffer.from(first.upperBounds.get(DELETE_FILE_PATH_FIELD_ID)!).toString(), DATA);
  assert.equal(first.sortOrderId, null);
  assert.deepEqual(first.partition, { id_bucket_4: 2 });
  // a data manifest reads back as such
  assert.equal(readManifest(writeManifest({ schema, spec, entries: [] })).content, 'data');
});

test('a manifest never mixes data and delete files', () => {
  const del = deleteEntry([1], EntryStatus.ADDED, null);
  assert.throws(() => writeManifest({ schema, spec, entries: [del] }), /content 1 in a manifest of data/);
  const data: ManifestEntry = { ...del, dataFile: { ...del.dataFile, content: 0 } };
  assert.throws(
    () => writeManifest({ schema, spec, entries: [data], content: 'deletes' }),
    /content 0 in a manifest of deletes/,
  );
});

test('the manifest list carries a delete manifest with content 1, its sequence numbers and counts', () => {
  const entries = [
    deleteEntry([4, 1, 9], EntryStatus.ADDED, null),
    deleteEntry([2, 3], EntryStatus.DELETED, 2),
  ];
  const bytes = writeManifestList({
    snapshotId: 11,
    parentSnapshotId: 10,
    sequenceNumber: 3,
    manifests: [
      {
        manifestPath: 'file:///tmp/t/metadata/d.avro',
        manifestLength: 1234,
        partitionSpecId: spec['spec-id'],
        content: 1,
        sequenceNumber: 3,
        minSequenceNumber: 2,
        addedSnapshotId: 11,
        ...countEntries(entries),
        partitions: summarizePartitions(partitionFieldTypes(spec, schema), entries),
      },
    ],
  });
  const { manifests } = readManifestList(bytes);
  const m = manifests[0]!;
  assert.equal(m.content, 1);
  assert.equal(m.sequenceNumber, 3);
  assert.equal(m.minSequenceNumber, 2);
  assert.deepEqual(
    [m.addedFilesCount, m.addedRowsCount, m.deletedFilesCount, m.deletedRowsCount, m.existingFilesCount],
    [1, 3, 1, 2, 0],
  );
  assert.deepEqual(m.partitions?.[0]?.lowerBound, Uint8Array.of(2, 0, 0, 0));
});
