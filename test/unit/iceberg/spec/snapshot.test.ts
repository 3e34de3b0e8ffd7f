// Snapshot ids stay within JSON-safe integers, the summary carries the standard keys, and a commit
// asserts the table and the parent it was built on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSummary, newSnapshotId, snapshotCommit } from '../../../../shared/iceberg/spec/snapshot.js';
import type { Snapshot, TableMetadata } from '../../../../shared/iceberg/spec/metadata-types.js';

const base: TableMetadata = {
  'format-version': 2,
  'table-uuid': '9c12d441-03fe-4693-9a96-a0705ddf69c1',
  location: 'gs://b/t',
  'last-sequence-number': 4,
  'last-updated-ms': 1,
  'last-column-id': 1,
  schemas: [{ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'a', required: false, type: 'int' }] }],
  'current-schema-id': 0,
  'partition-specs': [{ 'spec-id': 0, fields: [] }],
  'default-spec-id': 0,
  'last-partition-id': 999,
  'sort-orders': [{ 'order-id': 0, fields: [] }],
  'default-sort-order-id': 0,
  snapshots: [
    {
      'snapshot-id': 3051729675574597004n,
      'sequence-number': 4,
      'timestamp-ms': 1,
      'manifest-list': 'x',
      summary: { operation: 'append', 'total-files-size': '100' },
    },
  ],
  refs: { main: { 'snapshot-id': 3051729675574597004n, type: 'branch' } },
  'current-snapshot-id': 3051729675574597004n,
};

test('snapshot ids are positive safe integers', () => {
  for (let i = 0; i < 1000; i++) {
    const id = newSnapshotId(base);
    assert.ok(Number.isSafeInteger(id) && id > 0, String(id));
  }
});

test('the commit asserts the table uuid and the parent on main, then adds and points main', () => {
  const snapshot: Snapshot = {
    'snapshot-id': 7,
    'parent-snapshot-id': 3051729675574597004n,
    'sequence-number': 5,
    'timestamp-ms': 2,
    'manifest-list': 'y',
    summary: { operation: 'append' },
  };
  const c = snapshotCommit(base, snapshot);
  assert.deepEqual(c.requirements, [
    { type: 'assert-table-uuid', uuid: base['table-uuid'] },
    { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 3051729675574597004n },
  ]);
  assert.deepEqual(c.updates, [
    { action: 'add-snapshot', snapshot },
    { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 7 },
  ]);
  const empty = { ...base, snapshots: [], refs: {}, 'current-snapshot-id': null };
  assert.deepEqual(snapshotCommit(empty, snapshot).requirements[1], {
    type: 'assert-ref-snapshot-id',
    ref: 'main',
    'snapshot-id': null,
  });
});

test('summary: standard keys, totals, sizes carried from the parent, extra keys', () => {
  const s = buildSummary(
    'overwrite',
    {
      addedDataFiles: 1,
      deletedDataFiles: 1,
      addedRecords: 10,
      deletedRecords: 12,
      addedDeleteFiles: 2,
      addedPositionDeletes: 7,
      removedDeleteFiles: 1,
      removedPositionDeletes: 3,
      addedFilesSize: 50,
      removedFilesSize: 40,
      changedPartitions: 1,
    },
    { dataFiles: 3, records: 98, deleteFiles: 4, positionDeletes: 9, equalityDeletes: 0 },
    base.snapshots![0],
    { 'datastream-files': '2' },
  );
  assert.deepEqual(s, {
    operation: 'overwrite',
    'added-data-files': '1',
    'deleted-data-files': '1',
    'added-records': '10',
    'deleted-records': '12',
    'added-delete-files': '2',
    'added-position-delete-files': '2',
    'added-position-deletes': '7',
    'removed-delete-files': '1',
    'removed-position-delete-files': '1',
    'removed-position-deletes': '3',
    'added-files-size': '50',
    'removed-files-size': '40',
    'changed-partition-count': '1',
    'total-records': '98',
    'total-files-size': '110',
    'total-data-files': '3',
    'total-delete-files': '4',
    'total-position-deletes': '9',
    'total-equality-deletes': '0',
    'datastream-files': '2',
  });
  assert.throws(
    () =>
      buildSummary(
        'append',
        {
          addedDataFiles: 0,
          deletedDataFiles: 0,
          addedRecords: 0,
          deletedRecords: 0,
          addedDeleteFiles: 0,
          addedPositionDeletes: 0,
          removedDeleteFiles: 0,
          removedPositionDeletes: 0,
          addedFilesSize: 0,
          removedFilesSize: 0,
          changedPartitions: 0,
        },
        { dataFiles: 0, records: 0, deleteFiles: 0, positionDeletes: 0, equalityDeletes: 0 },
        undefined,
        { operation: 'x' },
      ),
    /reserved/,
  );
});
