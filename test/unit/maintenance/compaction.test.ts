// Compaction of a table built from 200 small commits by the commit engine: the live data files shrink to
// a few target-size files sorted by key, committed as one `replace` snapshot; PyIceberg reads the same
// rows before and after; expiry and orphan removal then shrink the folder; commits go on afterwards.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readRowsDataFile } from '../../../shared/iceberg/io/parquet-data-file.js';
import { currentSnapshot } from '../../../shared/iceberg/spec/snapshot.js';
import { readLiveDataFiles } from '../../../shared/iceberg/table-files.js';
import { readManifestList } from '../../../shared/iceberg/manifests/manifest-list.js';
import { maintainTable } from '../../../shared/maintenance/maintain-table.js';
import { listTableFiles } from '../../../shared/maintenance/remove-orphans.js';
import { KEY, readWithPyIceberg, removeWarehouses, warehouse } from './support.js';

after(removeWarehouses);

const COMMITS = 200;

test('maintain compacts a table of 200 small commits into a few sorted files; PyIceberg reads the same rows', async () => {
  const w = warehouse();
  // each commit inserts 10 new keys; every 5th also updates 3 older keys (a copy-on-write rewrite)
  for (let i = 0; i < COMMITS; i++) {
    const upserts: Array<[number, number]> = [];
    for (let k = 0; k < 10; k++) upserts.push([i * 10 + k, i]);
    if (i % 5 === 4) for (const k of [1, 2, 3]) upserts.push([(i * 37 * k) % (i * 10), 10_000 + i]);
    await w.commit(upserts, i % 20 === 19 ? [i * 10 - 5] : []);
  }
  const before = await w.load();
  const liveBefore = await readLiveDataFiles(before.metadata, w.objects);
  assert.ok(liveBefore.length >= COMMITS, `one file per commit at least (${liveBefore.length})`);
  const pyBefore = await readWithPyIceberg(w);
  assert.equal(pyBefore.files, liveBefore.length);

  const started = Date.now();
  const result = await maintainTable(w.maintainDeps, KEY, {
    expireOlderThanMs: 0,
    retainLast: 1,
    orphansOlderThanMs: 0,
  });
  const elapsed = Date.now() - started;
  assert.equal(result.status, 'done');
  if (result.status !== 'done') return;
  const c = result.compaction!;
  process.stdout.write(
    `# compaction of ${COMMITS} commits: live data files ${result.liveDataFiles.before} → ` +
      `${result.liveDataFiles.after}, table files ${result.tableFiles.before.files} → ` +
      `${result.tableFiles.after.files}, maintain ${elapsed} ms (compaction ${result.durationMs.compaction} ms), ` +
      `expired ${result.expire?.expiredSnapshots.length} snapshots, deleted ${result.expire?.files.dataFiles.length} ` +
      `data files, ${result.expire?.files.manifests.length} manifests, ${result.expire?.files.manifestLists.length} ` +
      `manifest lists, ${result.orphans?.removed.length} orphans\n`,
  );
  assert.equal(c.status, 'committed');
  assert.equal(c.rewrittenFiles, liveBefore.length, 'every small file rewritten');
  assert.equal(result.liveDataFiles.before, liveBefore.length);
  assert.ok(result.liveDataFiles.after <= 2, `a few target-size files (${result.liveDataFiles.after})`);
  assert.ok(result.tableFiles.after.files < result.tableFiles.before.files / 5, 'folder shrunk');

  const compacted = await w.load();
  const snap = currentSnapshot(compacted.metadata)!;
  assert.equal(snap.summary.operation, 'replace');
  assert.equal(snap.summary['total-records'], currentSnapshot(before.metadata)!.summary['total-records']);
  assert.equal(compacted.metadata.snapshots!.length, 1, 'every older snapshot expired');
  const manifests = readManifestList(await w.objects.get(snap['manifest-list'])).manifests;
  assert.equal(manifests.length, 2, 'the added files and the merged rest');
  // on disk: the live data files, the two manifests, one list; metadata.json files are kept by the log
  const onDisk = await listTableFiles(w.objects, compacted.metadata.location);
  const kinds = (suffix: string) => onDisk.filter((f) => f.location.endsWith(suffix)).length;
  assert.equal(kinds('.parquet') - 1, result.liveDataFiles.after, 'data files (and the tombstone sidecar)');
  assert.equal(kinds('.avro'), 3);

  const pyAfter = await readWithPyIceberg(w);
  assert.equal(pyAfter.files, result.liveDataFiles.after);
  assert.deepEqual(pyAfter.rows, pyBefore.rows, 'PyIceberg reads the same rows');

  // rows are sorted by the key inside each compacted file
  for (const f of await readLiveDataFiles(compacted.metadata, w.objects)) {
    const ids = readRowsDataFile(await w.objects.get(f.dataFile.filePath), [
      { id: 1, name: 'id', required: true, type: 'int' },
    ]).map((r) => r.id as number);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
  }

  // the commit engine goes on on top of the compacted table
  await w.commit(
    [
      [3, 777],
      [999_999, 1],
    ],
    [4],
  );
  const next = await readWithPyIceberg(w);
  assert.equal(next.rows.length, pyAfter.rows.length);
  const parsed = next.rows.map((r) => JSON.parse(r) as { id: number; qty: number });
  assert.equal(parsed.find((r) => r.id === 3)?.qty, 777);
  assert.equal(
    parsed.find((r) => r.id === 4),
    undefined,
  );
  w.db.close();
});

test('a dry run plans the compaction and changes nothing; too few small files are left alone', async () => {
  const w = warehouse();
  for (let i = 0; i < 6; i++) await w.commit([[i, i]]);
  const before = await w.load();
  const dry = await maintainTable(w.maintainDeps, KEY, { dryRun: true, expire: false, removeOrphans: false });
  assert.ok(dry.status === 'done' && dry.compaction?.status === 'planned');
  assert.equal(dry.status === 'done' && dry.compaction?.rewrittenFiles, 6);
  assert.equal((await w.load()).metadataLocation, before.metadataLocation, 'no commit');

  const few = await maintainTable(w.maintainDeps, KEY, {
    minInputFiles: 7,
    expire: false,
    removeOrphans: false,
  });
  assert.ok(few.status === 'done' && few.compaction?.status === 'nothing-to-do');
  assert.equal((await w.load()).metadataLocation, before.metadataLocation, 'no commit');
  w.db.close();
});
