// A table without a primary key counts every distinct event once, whatever files and commits it arrives
// in (shared/cow/event-identity.ts): the same event staged from two files and committed in separate
// commits is one row, two different events with equal rows are two, backfill rows (LSN 0) are told apart
// by their uuid, and the lookup of stored events reads only the files whose source-time bounds admit
// them. PyIceberg reads the final table.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChangeEvent } from '../../../shared/changes/change-event.js';
import { EVENT_UUID_COLUMN } from '../../../shared/cow/order-columns.js';
import { writeDataFiles } from '../../../shared/iceberg/data-file-writer.js';
import { writeSnapshot } from '../../../shared/iceberg/snapshot-producer.js';
import { readTableRows } from '../../../shared/iceberg/table-files.js';
import type { Schema } from '../../../shared/iceberg/spec/types.js';
import { commitTable, type CommitResult } from '../../../shared/pipeline/commit-table.js';
import { engineTableRequest } from '../../../shared/pipeline/table-request.js';
import { runPython } from '../../support/python.js';
import { embeddedCommit } from '../cow/support/embedded-commit.js';
import { change, stageChangeset } from '../cow/support/stage.js';

const T = { schema: 'logs', name: 'audit' };
const KEY = 'logs.audit';
const ID = { namespace: ['logs'], name: 'audit' };
const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'who', required: false, type: 'string' },
    { id: 2, name: 'what', required: false, type: 'string' },
  ],
};

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function setup() {
  const s = embeddedCommit('dsi-insert-only-', dirs);
  /** One file's events staged as one change-set (a file of its own: the object name is new each time). */
  const stage = (events: ChangeEvent[]) =>
    stageChangeset({ objects: s.objects, state: s.state, workRoot: s.workRoot }, T, SCHEMA, [], events);
  const commit = async (): Promise<Extract<CommitResult, { status: 'committed' }>> => {
    const result = await commitTable(s.deps, KEY);
    assert.ok(result.status === 'committed', JSON.stringify(result));
    return result;
  };
  const rows = async () => readTableRows((await s.catalog.loadTable(ID)).metadata, s.objects);
  return { ...s, stage, commit, rows };
}

const cdc = (who: string, ts: number, lsn: bigint) =>
  change(T, [], 'upsert', { who, what: 'login' }, ts, lsn);
const backfill = (who: string, ts: number): ChangeEvent => ({
  ...change(T, [], 'upsert', { who, what: 'login' }, ts, 0n),
  changeType: 'INSERT',
  backfill: true,
});
/** The same event delivered again: Datastream may give it a new uuid when it is in a new file. */
const again = (e: ChangeEvent, uuid = e.uuid): ChangeEvent => ({ ...e, uuid, row: { ...e.row } });

test('the same CDC event in two files committed in separate commits is one row, whatever its uuid', async () => {
  const s = setup();
  const a = cdc('ann', 1000, 0x10n);
  const b = cdc('bob', 1001, 0x11n);
  await s.stage([a, b]);
  assert.equal((await s.commit()).counts.inserted, 2);
  await s.stage([again(b), again(a, 'new-file-uuid'), cdc('cid', 1002, 0x12n)]);
  const second = await s.commit();
  assert.equal(second.counts.inserted, 1, 'only the new event');
  assert.equal(second.counts.stale, 2, 'the two re-delivered events are found in the table');
  assert.equal(second.operation, 'append', 'nothing rewritten');
  const rows = await s.rows();
  assert.deepEqual(rows.map((r) => r.who).sort(), ['ann', 'bob', 'cid']);
  // CDC rows keep no uuid: their order key is their identity
  assert.ok(rows.every((r) => r[EVENT_UUID_COLUMN] === null));
  s.db.close();
});

test('two identical INSERTs (two LSNs) are two rows, and stay two when both are delivered again', async () => {
  const s = setup();
  const first = cdc('ann', 1000, 0x20n);
  const second = cdc('ann', 1000, 0x21n);
  await s.stage([first, second, again(first)]);
  const one = await s.commit();
  assert.equal(one.counts.inserted, 2);
  assert.equal(one.counts.duplicates, 1);
  await s.stage([again(second), again(first)]);
  assert.equal((await s.commit()).counts.inserted, 0);
  assert.equal((await s.rows()).length, 2);
  s.db.close();
});

test('backfill rows (LSN 0, one read time) are told apart by uuid; backfill and CDC re-delivered count once', async () => {
  const s = setup();
  // two identical rows read in the same millisecond, and a third row; CDC changes after the backfill
  const twins = [backfill('ann', 500), backfill('ann', 500)];
  const other = backfill('bob', 500);
  const inserts = [cdc('ann', 1000, 0x30n), cdc('cid', 1001, 0x31n)];
  await s.stage([...twins, inserts[0]!]);
  await s.stage([other]);
  assert.equal((await s.commit()).counts.inserted, 4);
  // the backfill file processed again (same uuids) and the CDC events again in a new file
  await s.stage([again(twins[1]!), again(other), again(twins[0]!)]);
  await s.stage([again(inserts[0]!, 'x1'), inserts[1]!]);
  const next = await s.commit();
  assert.equal(next.counts.inserted, 1, 'only the new CDC event');
  const rows = await s.rows();
  assert.equal(rows.length, 5);
  const uuids = rows.filter((r) => r[EVENT_UUID_COLUMN] !== null).map((r) => r[EVENT_UUID_COLUMN]);
  assert.deepEqual(
    uuids.sort(),
    [...twins, other].map((e) => e.uuid).sort(),
    'backfill rows keep their uuid',
  );

  const seen = await runPython<{ rows: string[] }>(
    `
import json, sys
from pyiceberg.catalog.sql import SqlCatalog
c = SqlCatalog("default", uri="sqlite:///" + sys.argv[1], warehouse="file://" + sys.argv[2])
rows = c.load_table("logs.audit").scan(selected_fields=("who", "_cdc_lsn")).to_arrow().to_pylist()
print(json.dumps({"rows": sorted(json.dumps(r, sort_keys=True) for r in rows)}))
`,
    [join(s.dir, 'catalog.db'), s.warehouse],
  );
  assert.deepEqual(
    seen.rows
      .map((r) => JSON.parse(r) as { who: string; _cdc_lsn: number })
      .map((r) => `${r.who}@${r._cdc_lsn}`)
      .sort(),
    ['ann@0', 'ann@0', 'ann@48', 'bob@0', 'cid@49'],
  );
  s.db.close();
});

test('a re-delivered event is looked up only in the files whose source-time bounds admit it', async () => {
  const s = setup();
  const batches = [0, 1, 2, 3].map((k) =>
    Array.from({ length: 5 }, (_, i) => cdc(`u${k}-${i}`, 10_000 * (k + 1) + i, BigInt(100 * k + i + 1))),
  );
  for (const batch of batches) {
    await s.stage(batch);
    await s.commit();
  }
  await s.stage([again(batches[1]![2]!, 'later-file')]);
  const redelivered = await s.commit();
  assert.equal(redelivered.counts.candidateFiles, 1, 'one file of four is read');
  assert.equal(redelivered.counts.inserted, 0);
  await s.stage([cdc('new', 90_000, 999n)]);
  const fresh = await s.commit();
  assert.equal(fresh.counts.candidateFiles, 0, 'a newer event reads no file');
  assert.equal((await s.rows()).length, 21);
  s.db.close();
});

test('a table created before the event uuid column gains it; its older rows are found by order key', async () => {
  const s = setup();
  // the table as it was created before: source columns and order columns only, with one file of rows
  const request = engineTableRequest('audit', SCHEMA, []);
  request.schema = {
    ...request.schema,
    fields: request.schema.fields.filter((f) => f.name !== EVENT_UUID_COLUMN),
  };
  await s.catalog.createNamespace(['logs']);
  const created = await s.catalog.createTable(['logs'], request);
  const old = [cdc('ann', 1000, 0x40n), cdc('bob', 1001, 0x41n)];
  const rows = old.map((e) => ({
    ...e.row,
    _cdc_source_ts_ms: BigInt(e.order.sourceTsMs),
    _cdc_lsn: e.order.lsn,
  }));
  const files = await writeDataFiles(created.metadata, s.objects, rows);
  const written = await writeSnapshot(created.metadata, s.objects, { added: files });
  await s.catalog.commitTable(ID, written.requirements, written.updates);

  await s.stage([again(old[1]!, 'new-file'), again(old[0]!), cdc('cid', 1002, 0x42n)]);
  const result = await s.commit();
  assert.equal(result.counts.inserted, 1);
  assert.equal(result.counts.candidateFiles, 1);
  const now = await s.rows();
  assert.deepEqual(now.map((r) => r.who).sort(), ['ann', 'bob', 'cid']);
  assert.ok(now.every((r) => r[EVENT_UUID_COLUMN] === null));
  s.db.close();
});
