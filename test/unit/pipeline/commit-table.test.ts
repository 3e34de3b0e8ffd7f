// commitTable on the embedded defaults (local folder, SqliteCatalog, SqliteStateStore): the shape of what
// it commits (one snapshot per batch, append vs overwrite, only files holding changed keys rewritten,
// untouched manifests reused, tombstones in the same commit), exactly-once, leases and schema changes.
// Final rows are read by PyIceberg where the rows are the point.

import { plain } from '../../support/plain-rows.js';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHANGESETS_SUMMARY_KEY,
  LEASE_TOKEN_SUMMARY_KEY,
  TOMBSTONES_PROPERTY,
} from '../../../shared/iceberg/table-properties.js';
import { readManifestList } from '../../../shared/iceberg/manifests/manifest-list.js';
import { readRowsDataFile } from '../../../shared/iceberg/io/parquet-data-file.js';
import { currentSnapshot } from '../../../shared/iceberg/spec/snapshot.js';
import { readTableRows } from '../../../shared/iceberg/table-files.js';
import type { Schema } from '../../../shared/iceberg/spec/types.js';
import { commitTable, type CommitOptions } from '../../../shared/pipeline/commit-table.js';
import { runPython } from '../../support/python.js';
import { embeddedCommit } from '../cow/support/embedded-commit.js';
import { change, stageChangeset } from '../cow/support/stage.js';

const T = { schema: 'shop', name: 'items' };
const KEY = 'shop.items';
const ID = { namespace: ['shop'], name: 'items' };
const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'int' },
    { id: 2, name: 'qty', required: false, type: 'int' },
    { id: 3, name: 'name', required: false, type: 'string' },
  ],
};

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function setup(options: CommitOptions = {}) {
  const { dir, db, warehouse, objects, catalog, state, deps, workRoot } = embeddedCommit(
    'dsi-commit-',
    dirs,
    options,
  );
  const stage = (events: ReturnType<typeof change>[], schema = SCHEMA, pk = ['id']) =>
    stageChangeset({ objects, state, workRoot }, T, schema, pk, events);
  const row = (id: number, qty: number, name: string | null = `n${id}`) => ({ id, qty, name });
  const upsert = (r: ReturnType<typeof row>, ts: number) => change(T, ['id'], 'upsert', r, ts);
  const del = (id: number, ts: number) => change(T, ['id'], 'delete', { id }, ts);
  const load = async () => (await catalog.loadTable(ID)).metadata;
  return { dir, db, warehouse, objects, catalog, state, deps, stage, row, upsert, del, load };
}

test('inserts commit an append; an update rewrites only the file holding its key and reuses untouched manifests', async () => {
  // ~640 bytes per file at 64 bytes per row before any data: files of about 10 rows
  const s = setup({ targetFileSizeBytes: 640 });
  await s.stage(Array.from({ length: 50 }, (_, i) => s.upsert(s.row(i, i), 1000 + i)));
  const first = await commitTable(s.deps, KEY);
  assert.equal(first.status, 'committed');
  assert.ok(first.status === 'committed' && first.operation === 'append');
  await s.stage(Array.from({ length: 50 }, (_, i) => s.upsert(s.row(50 + i, i), 2000 + i)));
  await commitTable(s.deps, KEY);
  const before = await s.load();
  const beforeManifests = readManifestList(
    await s.objects.get(currentSnapshot(before)!['manifest-list']),
  ).manifests.map((m) => m.manifestPath);
  assert.equal(beforeManifests.length, 2);
  const filesBefore = Number(currentSnapshot(before)!.summary['total-data-files']);
  assert.ok(filesBefore >= 4, `several files (${filesBefore})`);

  await s.stage([s.upsert(s.row(75, 999), 3000)]);
  const update = await commitTable(s.deps, KEY);
  assert.ok(update.status === 'committed');
  assert.equal(update.operation, 'overwrite');
  assert.equal(update.counts.candidateFiles, 1, 'bounds select the one file holding key 75');
  assert.equal(update.counts.rewrittenFiles, 1);
  assert.equal(update.counts.updated, 1);
  const after = await s.load();
  const snap = currentSnapshot(after)!;
  assert.equal(snap.summary.operation, 'overwrite');
  assert.equal(snap.summary['deleted-data-files'], '1');
  const added = Number(snap.summary['added-data-files']);
  assert.ok(added >= 1, 'the rewritten rows (rolled at the target size)');
  assert.equal(snap.summary['total-data-files'], String(filesBefore - 1 + added));
  assert.equal(snap.summary['total-records'], '100');
  assert.equal(snap.summary[CHANGESETS_SUMMARY_KEY], update.changesets.join(','));
  assert.ok(snap.summary[LEASE_TOKEN_SUMMARY_KEY]);
  const afterManifests = readManifestList(await s.objects.get(snap['manifest-list'])).manifests.map(
    (m) => m.manifestPath,
  );
  assert.equal(
    afterManifests.filter((p) => beforeManifests.includes(p)).length,
    1,
    'the manifest of keys 0..49 is reused as it is',
  );
  const rows = await readTableRows(after, s.objects);
  assert.equal(rows.find((r) => r.id === 75)?.qty, 999);
  assert.equal(rows.length, 100);
  s.db.close();
});

test('a delete leaves a tombstone set in the same commit; a later-arriving older change stays dropped', async () => {
  const s = setup({ tombstoneRetentionMs: 10_000 });
  await s.stage([s.upsert(s.row(1, 1), 1000), s.upsert(s.row(2, 2), 1000)]);
  await commitTable(s.deps, KEY);
  await s.stage([s.del(1, 3000)]);
  const deleted = await commitTable(s.deps, KEY);
  assert.ok(deleted.status === 'committed' && deleted.counts.deleted === 1);
  const metadata = await s.load();
  const sidecar = metadata.properties?.[TOMBSTONES_PROPERTY];
  assert.ok(sidecar, 'tombstone property set');
  // the property change and the snapshot are one metadata version: the previous version had neither
  const log = metadata['metadata-log'] ?? [];
  const previous = JSON.parse(
    Buffer.from(await s.objects.get(log[log.length - 1]!['metadata-file'])).toString(),
  ) as { properties?: Record<string, string>; 'current-snapshot-id': number };
  assert.equal(previous.properties?.[TOMBSTONES_PROPERTY], undefined);
  assert.notEqual(String(previous['current-snapshot-id']), String(currentSnapshot(metadata)!['snapshot-id']));
  const tombstones = readRowsDataFile(await s.objects.get(sidecar), [
    { id: 1, name: 'id', required: true, type: 'int' },
  ]);
  assert.deepEqual(plain(tombstones), [{ id: 1 }]);

  // older than the delete: dropped (the row stays gone); newer: applied
  await s.stage([s.upsert(s.row(1, 50), 2000)]);
  const late = await commitTable(s.deps, KEY);
  assert.ok(late.status === 'committed' && late.counts.stale === 1 && late.counts.inserted === 0);
  assert.deepEqual(
    (await readTableRows(await s.load(), s.objects)).map((r) => r.id),
    [2],
  );
  // 20 s of source time later the tombstone is past its 10 s retention and is pruned
  await s.stage([s.upsert(s.row(3, 3), 23_000)]);
  const pruned = await commitTable(s.deps, KEY);
  assert.ok(pruned.status === 'committed' && pruned.counts.tombstones === 0);
  s.db.close();
});

test('a table without a primary key appends every event once, even when the run died before marking', async () => {
  const s = setup();
  const t = (id: number, ts: number, lsn: bigint) =>
    change(T, [], 'upsert', { id, qty: 1, name: 'same' }, ts, lsn);
  const repeated = t(1, 1000, 1000n);
  // two INSERTs of the same row in one millisecond are two WAL records: two LSNs
  const id = await s.stage([repeated, t(1, 1000, 1001n), repeated, t(2, 1001, 1002n)], SCHEMA, []);
  const crashed = await commitTable(
    {
      ...s.deps,
      hooks: {
        afterCatalogCommit: () => {
          throw new Error('process died');
        },
      },
    },
    KEY,
  ).catch((e: Error) => e);
  assert.ok(crashed instanceof Error);
  assert.equal((await s.state.getChangeset(id))?.status, 'pending');
  const again = await commitTable(s.deps, KEY);
  assert.deepEqual(again, { status: 'nothing-to-do', table: KEY, alreadyApplied: [id] });
  assert.equal((await s.state.getChangeset(id))?.status, 'committed');
  const rows = await readTableRows(await s.load(), s.objects);
  // the re-delivered event counts once; two distinct events with identical rows are two rows
  assert.equal(rows.length, 3);
  s.db.close();
});

test('a run finds the lease busy while another holds it, and takes it once it expired', async () => {
  const s = setup();
  await s.stage([s.upsert(s.row(1, 1), 1000)]);
  const held = await s.state.acquireLease(KEY, 'other', 60_000, Date.now());
  assert.ok(held);
  assert.deepEqual(await commitTable(s.deps, KEY), { status: 'lease-busy', table: KEY });
  const later = await commitTable({ ...s.deps, now: () => Date.now() + 61_000 }, KEY);
  assert.equal(later.status, 'committed');
  s.db.close();
});

test('one commit drains change-sets staged before and after an int→long widening, key column included', async () => {
  const s = setup();
  const wide: Schema = {
    ...SCHEMA,
    fields: SCHEMA.fields.map((f) => (f.name === 'name' ? f : { ...f, type: 'long' as const })),
  };
  // staged with int values (numbers) for id and qty, then with long ones (bigints): one batch
  await s.stage([s.upsert(s.row(1, 5, 'a'), 1000), s.upsert(s.row(2, 6, 'b'), 1000)]);
  await s.stage(
    [
      change(T, ['id'], 'upsert', { id: 2n, qty: 6_000_000_000n, name: 'b2' }, 2000),
      change(T, ['id'], 'upsert', { id: 3n, qty: 7n, name: 'c' }, 2000),
    ],
    wide,
  );
  const result = await commitTable(s.deps, KEY);
  assert.ok(result.status === 'committed', JSON.stringify(result));
  // key 2's int-staged insert and long-staged update are the same key: one row, the update's values
  assert.equal(result.counts.inserted, 3);
  const rows = await readTableRows(await s.load(), s.objects);
  assert.deepEqual(
    rows.map((r) => [r.id, r.qty, r.name]).sort((a, b) => Number(a[0]) - Number(b[0])),
    [
      [1n, 5n, 'a'],
      [2n, 6_000_000_000n, 'b2'],
      [3n, 7n, 'c'],
    ],
  );
  s.db.close();
});

test('new optional columns and int→long widen the schema in the same commit; PyIceberg reads old and new rows', async () => {
  const s = setup();
  await s.stage([s.upsert(s.row(1, 5, 'a'), 1000), s.upsert(s.row(2, 6, 'b'), 1000)]);
  await commitTable(s.deps, KEY);
  const wider: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'id', required: true, type: 'int' },
      { id: 2, name: 'qty', required: false, type: 'long' },
      { id: 3, name: 'name', required: false, type: 'string' },
      { id: 4, name: 'category', required: false, type: 'string' },
    ],
  };
  await s.stage(
    [
      change(T, ['id'], 'upsert', { id: 1, qty: 5_000_000_000n, name: 'a2', category: 'x' }, 2000),
      change(T, ['id'], 'upsert', { id: 3, qty: 7n, name: 'c', category: 'y' }, 2000),
    ],
    wider,
  );
  const evolved = await commitTable(s.deps, KEY);
  assert.equal(evolved.status, 'committed');
  // the file predates the new column and the widening: it is rewritten through row values
  assert.equal(evolved.status === 'committed' && evolved.counts.rewrittenByRows, 1);
  const metadata = await s.load();
  assert.equal(metadata.schemas.length, 2);
  assert.equal(currentSnapshot(metadata)!['schema-id'], metadata['current-schema-id']);
  const seen = await runPython<{ types: Record<string, string>; rows: string[] }>(
    `
import json, sys
from pyiceberg.catalog.sql import SqlCatalog
c = SqlCatalog("default", uri="sqlite:///" + sys.argv[1], warehouse="file://" + sys.argv[2])
t = c.load_table("shop.items")
rows = t.scan(selected_fields=("id", "qty", "name", "category")).to_arrow().to_pylist()
print(json.dumps({"types": {f.name: str(f.field_type) for f in t.schema().fields},
                  "rows": [json.dumps(r, sort_keys=True, separators=(",", ":")) for r in sorted(rows, key=lambda r: r["id"])]}))
`,
    [join(s.dir, 'catalog.db'), s.warehouse],
  );
  assert.equal(seen.types.qty, 'long');
  assert.equal(seen.types.category, 'string');
  assert.deepEqual(seen.rows, [
    JSON.stringify({ category: 'x', id: 1, name: 'a2', qty: 5000000000 }),
    JSON.stringify({ category: null, id: 2, name: 'b', qty: 6 }),
    JSON.stringify({ category: 'y', id: 3, name: 'c', qty: 7 }),
  ]);
  s.db.close();
});

test('a declaration narrowing a stored column (bigint → integer) fails the table, naming both types', async () => {
  const s = setup();
  const wide: Schema = {
    ...SCHEMA,
    fields: SCHEMA.fields.map((f) => (f.name === 'qty' ? { ...f, type: 'long' as const } : f)),
  };
  await s.stage([change(T, ['id'], 'upsert', { id: 1, qty: 5n, name: 'a' }, 1000)], wide);
  assert.equal((await commitTable(s.deps, KEY)).status, 'committed');
  const before = currentSnapshot(await s.load())!['snapshot-id'];
  // declared as integer now: the values would fit, but the declaration no longer says what is stored
  const id = await s.stage([s.upsert(s.row(2, 6), 2000)]);
  const result = await commitTable(s.deps, KEY);
  assert.equal(result.status, 'failed');
  const reason = result.status === 'failed' ? result.reason : '';
  assert.match(reason, /table shop\.items: column "qty" is stored as "long" but declared as "int"/);
  assert.match(reason, /cannot narrow/);
  assert.equal(String(currentSnapshot(await s.load())!['snapshot-id']), String(before));
  assert.equal((await s.state.getChangeset(id))?.status, 'pending');
  // a change-set learnt from an older file (its Avro schema still says int) is accepted
  const s2 = setup();
  await s2.stage([change(T, ['id'], 'upsert', { id: 1, qty: 5n, name: 'a' }, 1000)], wide);
  await commitTable(s2.deps, KEY);
  await stageChangeset(
    { objects: s2.objects, state: s2.state, workRoot: join(s2.dir, 'work') },
    T,
    SCHEMA,
    ['id'],
    [s2.upsert(s2.row(2, 6), 2000)],
    Date.now(),
    'avro-schema',
  );
  assert.equal((await commitTable(s2.deps, KEY)).status, 'committed');
  s.db.close();
  s2.db.close();
});

test('a primary-key change fails the table naming the table and the old and new key', async () => {
  const s = setup();
  await s.stage([s.upsert(s.row(1, 5), 1000)]);
  assert.equal((await commitTable(s.deps, KEY)).status, 'committed');
  const id = await s.stage([change(T, ['name'], 'upsert', { id: 2, qty: 1, name: 'pk' }, 2000)], SCHEMA, [
    'name',
  ]);
  const result = await commitTable(s.deps, KEY);
  assert.equal(result.status, 'failed', JSON.stringify(result));
  assert.match(
    result.status === 'failed' ? result.reason : '',
    /table shop\.items: the primary key changed from \(id\) to \(name\)/,
  );
  assert.equal((await s.state.getChangeset(id))?.status, 'pending');
  s.db.close();
});

test('an incompatible type change fails the table with a reason naming the column, committing nothing', async () => {
  const s = setup();
  await s.stage([s.upsert(s.row(1, 5), 1000)]);
  await commitTable(s.deps, KEY);
  const before = currentSnapshot(await s.load())!['snapshot-id'];
  const narrowed: Schema = {
    ...SCHEMA,
    fields: SCHEMA.fields.map((f) => (f.name === 'name' ? { ...f, type: 'int' as const } : f)),
  };
  const id = await s.stage([change(T, ['id'], 'upsert', { id: 1, qty: 1, name: 7 }, 2000)], narrowed);
  const result = await commitTable(s.deps, KEY);
  assert.equal(result.status, 'failed');
  assert.match(
    result.status === 'failed' ? result.reason : '',
    /column "name" is "string" in the table but "int"/,
  );
  assert.equal(String(currentSnapshot(await s.load())!['snapshot-id']), String(before));
  assert.equal((await s.state.getChangeset(id))?.status, 'pending');
  s.db.close();
});
