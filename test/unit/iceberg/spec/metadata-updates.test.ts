import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  Snapshot,
  TableMetadata,
  TableRequirement,
} from '../../../../shared/iceberg/spec/metadata-types.js';
import type { Schema } from '../../../../shared/iceberg/spec/types.js';
import {
  applyCommit,
  InvalidUpdateError,
  RequirementFailedError,
} from '../../../../shared/iceberg/spec/metadata-updates.js';
import { newTableMetadata } from '../../../../shared/iceberg/spec/new-table-metadata.js';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
  ],
};
const PREVIOUS = 'file:///wh/db/t/metadata/00000-a.metadata.json';

function table(): TableMetadata {
  return newTableMetadata({ schema }, { location: 'file:///wh/db/t', uuid: 'uuid-1', now: 1000 });
}

function snapshot(
  id: bigint | number,
  parent: bigint | number | null,
  sequence: number,
  ts: number,
): Snapshot {
  return {
    'snapshot-id': id,
    'parent-snapshot-id': parent,
    'sequence-number': sequence,
    'timestamp-ms': ts,
    'manifest-list': `file:///wh/db/t/metadata/snap-${id}.avro`,
    summary: { operation: 'append' },
    'schema-id': 0,
  };
}

const BIG = 3051729675574597004n;

/** A table with one snapshot (BIG) on main, committed from PREVIOUS. */
function tableWithSnapshot(): TableMetadata {
  return applyCommit(
    table(),
    [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
    [
      { action: 'add-snapshot', snapshot: snapshot(BIG, null, 1, 2000) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': BIG },
    ],
    { previousMetadataLocation: PREVIOUS, now: () => 9999 },
  );
}

test('first snapshot: main, current-snapshot-id, snapshot-log, metadata-log and timestamps', () => {
  const m = tableWithSnapshot();
  assert.equal(m['current-snapshot-id'], BIG);
  assert.deepEqual(m.refs, { main: { 'snapshot-id': BIG, type: 'branch' } });
  assert.equal(m['last-sequence-number'], 1);
  // last-updated-ms is the added snapshot's timestamp, not the clock
  assert.equal(m['last-updated-ms'], 2000);
  assert.deepEqual(m['snapshot-log'], [{ 'timestamp-ms': 2000, 'snapshot-id': BIG }]);
  // the previous file is logged with the previous metadata's last-updated-ms
  assert.deepEqual(m['metadata-log'], [{ 'timestamp-ms': 1000, 'metadata-file': PREVIOUS }]);
});

test('every requirement fails on metadata that does not satisfy it', () => {
  const m = tableWithSnapshot();
  const failing: TableRequirement[] = [
    { type: 'assert-create' },
    { type: 'assert-table-uuid', uuid: 'other' },
    { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
    { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 3051729675574597000 },
    { type: 'assert-ref-snapshot-id', ref: 'dev', 'snapshot-id': BIG },
    { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 3 },
    { type: 'assert-current-schema-id', 'current-schema-id': 1 },
    { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 1000 },
    { type: 'assert-default-spec-id', 'default-spec-id': 1 },
    { type: 'assert-default-sort-order-id', 'default-sort-order-id': 1 },
  ];
  for (const requirement of failing) {
    assert.throws(
      () => applyCommit(m, [requirement], [{ action: 'set-properties', updates: { a: 'b' } }]),
      RequirementFailedError,
      JSON.stringify(requirement, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    );
  }
  // the same kinds hold when they match (the id compared as a number equal in value is accepted too)
  const holding: TableRequirement[] = [
    { type: 'assert-table-uuid', uuid: 'UUID-1' },
    { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': BIG },
    { type: 'assert-ref-snapshot-id', ref: 'dev', 'snapshot-id': null },
    { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 2 },
    { type: 'assert-current-schema-id', 'current-schema-id': 0 },
    { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 999 },
    { type: 'assert-default-spec-id', 'default-spec-id': 0 },
    { type: 'assert-default-sort-order-id', 'default-sort-order-id': 0 },
  ];
  const next = applyCommit(m, holding, [{ action: 'set-properties', updates: { a: 'b' } }], { now: () => 5 });
  assert.equal(next.properties?.a, 'b');
});

test('sequence numbers must grow for a snapshot with a parent; a reused snapshot id is rejected', () => {
  const m = tableWithSnapshot();
  assert.throws(
    () => applyCommit(m, [], [{ action: 'add-snapshot', snapshot: snapshot(7, BIG, 1, 3000) }]),
    (error: unknown) =>
      error instanceof RequirementFailedError &&
      /sequence number 1 older than last sequence number 1/.test(error.message),
  );
  assert.throws(
    () => applyCommit(m, [], [{ action: 'add-snapshot', snapshot: snapshot(BIG, BIG, 2, 3000) }]),
    (error: unknown) => error instanceof InvalidUpdateError && /already exists/.test(error.message),
  );
  const next = applyCommit(m, [], [{ action: 'add-snapshot', snapshot: snapshot(7, BIG, 2, 3000) }]);
  assert.equal(next['last-sequence-number'], 2);
  // added but not on main: current snapshot and snapshot-log unchanged
  assert.equal(next['current-snapshot-id'], BIG);
  assert.equal(next['snapshot-log']?.length, 1);
});

test('second commit appends to snapshot-log and metadata-log; set-snapshot-ref to an unknown id fails', () => {
  const m = tableWithSnapshot();
  const next = applyCommit(
    m,
    [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': BIG }],
    [
      { action: 'add-snapshot', snapshot: snapshot(8, BIG, 2, 4000) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 8 },
    ],
    { previousMetadataLocation: 'file:///wh/db/t/metadata/00001-b.metadata.json' },
  );
  assert.deepEqual(next['snapshot-log'], [
    { 'timestamp-ms': 2000, 'snapshot-id': BIG },
    { 'timestamp-ms': 4000, 'snapshot-id': 8 },
  ]);
  assert.deepEqual(next['metadata-log'], [
    { 'timestamp-ms': 1000, 'metadata-file': PREVIOUS },
    { 'timestamp-ms': 2000, 'metadata-file': 'file:///wh/db/t/metadata/00001-b.metadata.json' },
  ]);
  assert.throws(
    () =>
      applyCommit(
        m,
        [],
        [{ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 42 }],
      ),
    InvalidUpdateError,
  );
  // the base is not modified by applying a commit to it
  assert.equal(m.snapshots?.length, 1);
});

test('a snapshot set as main and replaced within the same commit is left out of the snapshot-log', () => {
  const next = applyCommit(
    table(),
    [],
    [
      { action: 'add-snapshot', snapshot: snapshot(1, null, 1, 2000) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1 },
      { action: 'add-snapshot', snapshot: snapshot(2, 1, 2, 2100) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 2 },
    ],
  );
  assert.deepEqual(next['snapshot-log'], [{ 'timestamp-ms': 2100, 'snapshot-id': 2 }]);
});

test('metadata-log keeps at most write.metadata.previous-versions-max entries', () => {
  let m = applyCommit(
    table(),
    [],
    [{ action: 'set-properties', updates: { 'write.metadata.previous-versions-max': '2' } }],
    { previousMetadataLocation: 'v0', now: () => 1 },
  );
  for (const previous of ['v1', 'v2', 'v3']) {
    m = applyCommit(m, [], [{ action: 'set-properties', updates: { step: previous } }], {
      previousMetadataLocation: previous,
      now: () => 2,
    });
  }
  assert.deepEqual(
    m['metadata-log']?.map((entry) => entry['metadata-file']),
    ['v2', 'v3'],
  );
});

test('properties: set and remove; a commit that changes nothing returns the base itself', () => {
  const m = table();
  const set = applyCommit(m, [], [{ action: 'set-properties', updates: { a: '1', b: '2' } }], {
    now: () => 77,
  });
  assert.equal(set['last-updated-ms'], 77);
  const removed = applyCommit(set, [], [{ action: 'remove-properties', removals: ['a'] }]);
  assert.equal(removed.properties?.a, undefined);
  assert.equal(removed.properties?.b, '2');
  assert.equal(applyCommit(m, [], [{ action: 'set-properties', updates: {} }]), m);
  assert.equal(applyCommit(m, [], []), m);
});

test('add-schema raises last-column-id; set-current-schema -1 selects the schema just added', () => {
  const m = table();
  const evolved: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [...schema.fields, { id: 3, name: 'added', required: false, type: 'timestamp' }],
  };
  const next = applyCommit(
    m,
    [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }],
    [
      { action: 'add-schema', schema: evolved },
      { action: 'set-current-schema', 'schema-id': -1 },
    ],
  );
  assert.equal(next['current-schema-id'], 1);
  assert.equal(next['last-column-id'], 3);
  assert.deepEqual(
    next.schemas.map((s) => s['schema-id']),
    [0, 1],
  );
  // adding an identical schema again reuses its id
  const same = applyCommit(
    next,
    [],
    [
      { action: 'add-schema', schema: evolved },
      { action: 'set-current-schema', 'schema-id': 1 },
    ],
  );
  assert.equal(same, next);
  assert.throws(
    () => applyCommit(m, [], [{ action: 'set-current-schema', 'schema-id': -1 }]),
    InvalidUpdateError,
  );
  assert.throws(
    () => applyCommit(m, [], [{ action: 'set-current-schema', 'schema-id': 5 }]),
    InvalidUpdateError,
  );
});

test('add-spec and add-sort-order get the next ids; set-default with -1 picks them', () => {
  const next = applyCommit(
    table(),
    [],
    [
      {
        action: 'add-spec',
        spec: {
          'spec-id': 0,
          fields: [{ 'source-id': 1, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[8]' }],
        },
      },
      { action: 'set-default-spec', 'spec-id': -1 },
      {
        action: 'add-sort-order',
        'sort-order': {
          'order-id': 0,
          fields: [{ 'source-id': 1, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }],
        },
      },
      { action: 'set-default-sort-order', 'sort-order-id': -1 },
    ],
  );
  assert.equal(next['default-spec-id'], 1);
  assert.equal(next['last-partition-id'], 1000);
  assert.equal(next['default-sort-order-id'], 1);
  assert.deepEqual(
    next['sort-orders'].map((o) => o['order-id']),
    [0, 1],
  );
});

test('remove-snapshots drops refs to removed snapshots and the snapshot-log before a removed entry', () => {
  let m = tableWithSnapshot();
  m = applyCommit(
    m,
    [],
    [
      { action: 'add-snapshot', snapshot: snapshot(8, BIG, 2, 4000) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 8 },
      { action: 'set-snapshot-ref', 'ref-name': 'old', type: 'tag', 'snapshot-id': BIG },
    ],
  );
  const next = applyCommit(m, [], [{ action: 'remove-snapshots', 'snapshot-ids': [BIG] }]);
  assert.deepEqual(
    next.snapshots?.map((s) => s['snapshot-id']),
    [8],
  );
  assert.equal(next.refs?.old, undefined);
  assert.deepEqual(next['snapshot-log'], [{ 'timestamp-ms': 4000, 'snapshot-id': 8 }]);
  // removing the current snapshot leaves the table without one
  const empty = applyCommit(next, [], [{ action: 'remove-snapshots', 'snapshot-ids': [8] }]);
  assert.equal(empty['current-snapshot-id'], -1);
  assert.deepEqual(empty.refs, {});
});

test('format version: v2 stays, other versions are refused', () => {
  assert.equal(
    applyCommit(table(), [], [{ action: 'upgrade-format-version', 'format-version': 2 }]).properties !==
      undefined,
    true,
  );
  assert.throws(
    () => applyCommit(table(), [], [{ action: 'upgrade-format-version', 'format-version': 3 }]),
    InvalidUpdateError,
  );
});

test('a commit more than a minute older than the latest log entries is refused, as Java does', () => {
  const m = tableWithSnapshot(); // snapshot-log at 2000, last-updated-ms 2000
  const late = 2000 + 3 * 60_000;
  const moved = applyCommit(m, [], [{ action: 'set-properties', updates: { a: '1' } }], {
    previousMetadataLocation: 'v1',
    now: () => late,
  });
  assert.throws(
    () =>
      applyCommit(moved, [], [{ action: 'set-properties', updates: { a: '2' } }], {
        previousMetadataLocation: 'v2',
        now: () => 2000,
      }),
    (error: unknown) =>
      error instanceof InvalidUpdateError && /before the latest metadata log entry/.test(error.message),
  );
  // within the minute of tolerance it is accepted
  applyCommit(moved, [], [{ action: 'set-properties', updates: { a: '2' } }], {
    previousMetadataLocation: 'v2',
    now: () => late - 59_000,
  });
  assert.throws(
    () =>
      applyCommit(
        m,
        [],
        [
          { action: 'add-snapshot', snapshot: snapshot(9, BIG, 2, 2000 - 61_000) },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 9 },
        ],
      ),
    (error: unknown) =>
      error instanceof InvalidUpdateError && /before last snapshot log entry/.test(error.message),
  );
});
