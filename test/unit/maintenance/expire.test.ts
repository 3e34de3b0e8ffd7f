// Expiring snapshots: the files only expired snapshots reached are deleted, the files a retained snapshot
// still uses (a data file and manifest shared with it) stay, and PyIceberg still reads main and a
// retained older snapshot. A dry run lists the same files and deletes nothing.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { readManifestList } from '../../../shared/iceberg/manifests/manifest-list.js';
import { currentSnapshot } from '../../../shared/iceberg/spec/snapshot.js';
import { readLiveDataFiles } from '../../../shared/iceberg/table-files.js';
import { maintainTable } from '../../../shared/maintenance/maintain-table.js';
import { commitTable } from '../../../shared/pipeline/commit-table.js';
import { KEY, readWithPyIceberg, removeWarehouses, warehouse, type Warehouse } from './support.js';

after(removeWarehouses);

async function snapshotFiles(w: Warehouse) {
  const { metadata } = await w.load();
  const snap = currentSnapshot(metadata)!;
  const manifests = readManifestList(await w.objects.get(snap['manifest-list'])).manifests.map(
    (m) => m.manifestPath,
  );
  const data = (await readLiveDataFiles(metadata, w.objects)).map((f) => f.dataFile.filePath);
  await sleep(5); // distinct snapshot timestamps
  return {
    id: String(snap['snapshot-id']),
    ts: Number(snap['timestamp-ms']),
    list: snap['manifest-list'],
    manifests,
    data,
  };
}

const exists = async (w: Warehouse, path: string) => (await w.objects.stat(path)) !== undefined;

test('expire deletes only what expired snapshots alone reached; retained snapshots stay readable', async () => {
  const w = warehouse();
  await w.commit(Array.from({ length: 10 }, (_, i): [number, number] => [i + 1, 1]));
  const s1 = await snapshotFiles(w);
  await w.commit(Array.from({ length: 10 }, (_, i): [number, number] => [i + 11, 1]));
  const s2 = await snapshotFiles(w);
  await w.commit([[5, 500]]); // rewrites the file of keys 1..10
  const s3 = await snapshotFiles(w);
  await w.commit(Array.from({ length: 10 }, (_, i): [number, number] => [i + 21, 1]));
  const s4 = await snapshotFiles(w);

  const fileA = s1.data[0]!; // keys 1..10, replaced in s3
  const fileB = s2.data.find((p) => p !== fileA)!; // keys 11..20, used by every later snapshot
  const manifestA = s1.manifests[0]!;
  const manifestB = s2.manifests.find((p) => p !== manifestA)!;
  assert.ok(s3.manifests.includes(manifestB) && s4.manifests.includes(manifestB), 'manifest B is shared');
  const pyS3 = await readWithPyIceberg(w, s3.id);
  const pyMain = await readWithPyIceberg(w);

  // now fixed just after s4: the window puts s1 and s2 before the cut-off, s3 and s4 after it
  const now = Date.now();
  const options = { compact: false, removeOrphans: false, expireOlderThanMs: now - s3.ts, retainLast: 1 };
  const dry = await maintainTable({ ...w.maintainDeps, now: () => now }, KEY, { ...options, dryRun: true });
  assert.ok(dry.status === 'done' && dry.expire);
  assert.deepEqual(dry.expire.expiredSnapshots.sort(), [s1.id, s2.id].sort());
  assert.deepEqual(dry.expire.files.dataFiles, [fileA]);
  assert.ok(await exists(w, fileA), 'a dry run deletes nothing');
  assert.equal((await w.load()).metadata.snapshots!.length, 4);

  const run = await maintainTable({ ...w.maintainDeps, now: () => now }, KEY, options);
  assert.ok(run.status === 'done' && run.expire);
  assert.deepEqual(run.expire.expiredSnapshots.sort(), [s1.id, s2.id].sort());
  assert.deepEqual(run.expire.files, dry.expire.files, 'the dry run listed exactly what was deleted');
  const { metadata } = await w.load();
  assert.deepEqual(metadata.snapshots!.map((s) => String(s['snapshot-id'])).sort(), [s3.id, s4.id].sort());

  // expired-only: file A (replaced in s3), s1's manifest, both expired manifest lists
  assert.equal(await exists(w, fileA), false);
  assert.equal(await exists(w, manifestA), false);
  assert.equal(await exists(w, s1.list), false);
  assert.equal(await exists(w, s2.list), false);
  // still used by retained snapshots
  for (const path of [
    fileB,
    manifestB,
    s3.list,
    s4.list,
    ...s3.data,
    ...s3.manifests,
    ...s4.data,
    ...s4.manifests,
  ])
    assert.ok(await exists(w, path), `kept: ${path}`);

  assert.deepEqual(await readWithPyIceberg(w), pyMain, 'PyIceberg reads main as before');
  assert.deepEqual(await readWithPyIceberg(w, s3.id), pyS3, 'and the retained older snapshot');
  w.db.close();
});

test('retain-last keeps the newest snapshots of main whatever their age; the table property sets the window', async () => {
  const w = warehouse();
  for (let i = 0; i < 4; i++) await w.commit([[i, i]]);
  const kept = await maintainTable(w.maintainDeps, KEY, {
    compact: false,
    removeOrphans: false,
    expireOlderThanMs: 0,
    retainLast: 3,
  });
  assert.ok(kept.status === 'done' && kept.expire?.expiredSnapshots.length === 1);
  assert.equal((await w.load()).metadata.snapshots!.length, 3);

  // a window of a day from the table property: nothing this young expires
  const id = { namespace: ['shop'], name: 'items' };
  await w.catalog.commitTable(
    id,
    [],
    [{ action: 'set-properties', updates: { 'history.expire.max-snapshot-age-ms': String(86_400_000) } }],
  );
  const young = await maintainTable(w.maintainDeps, KEY, { compact: false, removeOrphans: false });
  assert.ok(young.status === 'done' && young.expire?.expiredSnapshots.length === 0);
  assert.equal((await w.load()).metadata.snapshots!.length, 3);
  w.db.close();
});

test('change-sets a crashed commit left pending are marked before the snapshots recording them expire', async () => {
  const w = warehouse();
  await w.commit([[1, 1]]);
  // the catalog commit lands, then the run dies before marking its change-set committed
  const crashing = {
    ...w.commitDeps,
    hooks: { afterCatalogCommit: () => Promise.reject(new Error('crash')) },
  };
  await w.stage([[2, 2]]);
  await assert.rejects(commitTable(crashing, KEY), /crash/);
  await w.commit([[3, 3]]); // finds it recorded and marks it itself...
  await w.stage([[4, 4]]);
  await assert.rejects(commitTable(crashing, KEY), /crash/); // ...but this one stays pending
  const [pending] = await w.state.listPendingChangesets(KEY, 10);
  assert.ok(pending);

  const run = await maintainTable(w.maintainDeps, KEY, { expireOlderThanMs: 0, orphansOlderThanMs: 0 });
  assert.ok(run.status === 'done');
  assert.deepEqual(run.markedChangesets, [pending.id]);
  assert.equal((await w.state.getChangeset(pending.id))?.status, 'committed');
  assert.equal((await commitTable(w.commitDeps, KEY)).status, 'nothing-to-do');
  const py = await readWithPyIceberg(w);
  assert.deepEqual(
    py.rows.map((r) => (JSON.parse(r) as { id: number }).id),
    [1, 2, 3, 4],
  );
  w.db.close();
});
