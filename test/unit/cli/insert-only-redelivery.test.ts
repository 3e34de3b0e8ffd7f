// A table without a primary key on the embedded runtime: events delivered again in new files, applied by
// a new process and then replayed, add no row. The first file holds CDC inserts (two of them identical
// rows with their own LSNs) and backfill rows (no LSN, two identical ones read in the same millisecond);
// the later files hold the same events again, the CDC ones under new uuids (a re-read into a new file),
// the backfill ones under theirs (the same file written again), plus one new event each.

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, tempWarehouse } from './cli-process.js';

const TABLES = {
  'public.audit_log': {
    primary_keys: [],
    columns: [
      ['id', 'bigint'],
      ['msg', 'text'],
    ],
  },
};

interface Line {
  uuid: string;
  ts: number;
  lsn: string | null;
  id: number;
  msg: string;
}

function event(e: Line): string {
  const iso = new Date(e.ts).toISOString();
  const backfill = e.lsn === null;
  return JSON.stringify({
    uuid: e.uuid,
    read_timestamp: iso,
    source_timestamp: iso,
    object: 'public_audit_log',
    read_method: backfill ? 'postgresql-backfill' : 'postgresql-cdc',
    stream_name: 'projects/1/locations/us-central1/streams/s',
    schema_key: 'k',
    sort_keys: [e.ts, e.lsn ?? ''],
    source_metadata: {
      schema: 'public',
      table: 'audit_log',
      is_deleted: false,
      change_type: 'INSERT',
      tx_id: backfill ? null : 1,
      lsn: e.lsn,
      primary_keys: [],
    },
    payload: { id: e.id, msg: e.msg },
  });
}

const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);
const FIRST: Line[] = [
  { uuid: 'b-1', ts: T0, lsn: null, id: 1, msg: 'seed' },
  { uuid: 'b-2', ts: T0, lsn: null, id: 1, msg: 'seed' },
  { uuid: 'b-3', ts: T0, lsn: null, id: 2, msg: 'seed' },
  { uuid: 'c-1', ts: T0 + 5000, lsn: '16/CB0043DF', id: 3, msg: 'same' },
  { uuid: 'c-2', ts: T0 + 5000, lsn: '16/CB0043E0', id: 3, msg: 'same' },
  { uuid: 'c-3', ts: T0 + 6000, lsn: '16/CB004670', id: 4, msg: 'other' },
];
/** FIRST delivered again: CDC events under new uuids, backfill under the same; and one new event. */
function redelivered(tag: string, newEvent: Line): Line[] {
  return [
    ...[...FIRST].reverse().map((e) => (e.lsn === null ? e : { ...e, uuid: `${e.uuid}-${tag}` })),
    newEvent,
  ];
}

function writeFile(bucket: string, name: string, lines: Line[]): string {
  const dir = join(bucket, 'public_audit_log', '2026', '11', '24', '09', '00');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, lines.map(event).join('\n') + '\n');
  return path;
}

function show(warehouse: string): string[] {
  const run = cli(['show', 'public.audit_log', '--warehouse', warehouse]);
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.split('\n').filter(Boolean).sort();
}

test('events delivered again in new files count once across a new process and a replay', () => {
  const root = tempWarehouse();
  try {
    const warehouse = join(root, 'warehouse');
    const tables = join(root, 'tables.json');
    writeFileSync(tables, JSON.stringify(TABLES));
    const first = join(root, 'first');
    writeFile(first, 'aaa_postgresql-cdc_1_1_1.jsonl', FIRST);
    const applied = cli(['apply', first, '--warehouse', warehouse, '--tables', tables]);
    assert.equal(applied.status, 0, applied.stderr + applied.stdout);
    const before = show(warehouse);
    assert.equal(before.length, 6, before.join('\n'));

    // a new process applies a new file holding the same events and one new one
    const second = join(root, 'second');
    const added = { uuid: 'c-4', ts: T0 + 7000, lsn: '16/CB004700', id: 5, msg: 'new' };
    writeFile(second, 'bbb_postgresql-cdc_1_1_2.jsonl', redelivered('again', added));
    const again = cli(['apply', second, '--warehouse', warehouse, '--tables', tables]);
    assert.equal(again.status, 0, again.stderr + again.stdout);
    const afterRestart = show(warehouse);
    assert.deepEqual(afterRestart, [...before, '{"id":5,"msg":"new"}'].sort());

    // `replay` of yet another file with the same events
    const third = join(root, 'third');
    const replayedNew = { uuid: 'c-5', ts: T0 + 8000, lsn: '16/CB004800', id: 6, msg: 'newer' };
    const file = writeFile(third, 'ccc_postgresql-cdc_1_1_3.jsonl', redelivered('replay', replayedNew));
    const replay = cli(['replay', file, '--warehouse', warehouse, '--tables', tables]);
    assert.equal(replay.status, 0, replay.stderr + replay.stdout);
    assert.deepEqual(show(warehouse), [...afterRestart, '{"id":6,"msg":"newer"}'].sort());
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
