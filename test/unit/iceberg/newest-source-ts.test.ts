// The newest source timestamp of a table: the current snapshot's, else the nearest ancestor's that
// records it; a history without it (or expired up to a snapshot without it) has none.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { carriedNewestSourceTs, newestSourceTsOf } from '../../../shared/iceberg/newest-source-ts.js';
import type { Snapshot, TableMetadata } from '../../../shared/iceberg/spec/metadata-types.js';
import { NEWEST_SOURCE_TS_SUMMARY_KEY } from '../../../shared/iceberg/table-properties.js';

function snapshot(id: number, parent: number | undefined, newest?: string): Snapshot {
  return {
    'snapshot-id': id,
    ...(parent === undefined ? {} : { 'parent-snapshot-id': parent }),
    'sequence-number': id,
    'timestamp-ms': 1000 + id,
    'manifest-list': `m${id}.avro`,
    summary: {
      operation: newest === undefined ? 'replace' : 'overwrite',
      ...(newest === undefined ? {} : { [NEWEST_SOURCE_TS_SUMMARY_KEY]: newest }),
    },
  } as Snapshot;
}

function table(current: number, snapshots: Snapshot[]): TableMetadata {
  return { 'current-snapshot-id': current, snapshots } as unknown as TableMetadata;
}

test('the current snapshot records it, or the nearest ancestor that does', () => {
  const history = [snapshot(1, undefined, '100'), snapshot(2, 1, '200'), snapshot(3, 2), snapshot(4, 3)];
  assert.equal(newestSourceTsOf(table(2, history)), '200');
  assert.equal(newestSourceTsOf(table(4, history)), '200');
  assert.deepEqual(carriedNewestSourceTs(table(4, history)), { [NEWEST_SOURCE_TS_SUMMARY_KEY]: '200' });
});

test('none recorded, an expired parent, or no snapshot at all: undefined', () => {
  assert.equal(newestSourceTsOf(table(2, [snapshot(1, undefined), snapshot(2, 1)])), undefined);
  assert.equal(newestSourceTsOf(table(3, [snapshot(3, 2)])), undefined);
  assert.equal(newestSourceTsOf(table(-1, [])), undefined);
  assert.deepEqual(carriedNewestSourceTs(table(-1, [])), {});
});
