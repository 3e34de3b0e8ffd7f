// Maintenance on a table with position deletes (merge-on-read): a table built by the commit engine gets a
// snapshot of delete files through TableTransaction. Expiry and orphan removal keep every delete file a
// kept snapshot reaches; a dry run shows the fold plan and changes nothing; compaction then folds the
// file with deletes even though its partition has too few small files, drops its delete file in the
// replace snapshot, and the rows PyIceberg reads stay those the deletes left; once the snapshots naming
// the delete file expire, it is deleted, and a stray delete file no snapshot names is an orphan.
// foldDataFile, the one-file fold a commit can call, writes the rows left (none for a fully deleted file).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import { currentSnapshot } from '../../../shared/iceberg/spec/snapshot.js';
import { readLiveDataFiles, readTableRows } from '../../../shared/iceberg/table-files.js';
import { maintainTable } from '../../../shared/maintenance/maintain-table.js';
import { listTableFiles } from '../../../shared/maintenance/remove-orphans.js';
import { foldDataFile } from '../../../shared/table/fold-deletes.js';
import { TableTransaction } from '../../../shared/table/transaction.js';
import {
  commitPositionDeletes,
  ID,
  KEY,
  readWithPyIceberg,
  removeWarehouses,
  warehouse,
  type Warehouse,
} from './support.js';

after(removeWarehouses);

const DAY = 86_400_000;

/** Three commits of ten keys each: three small data files, one per commit. */
async function threeFiles(w: Warehouse) {
  for (let i = 0; i < 3; i++)
    await w.commit(Array.from({ length: 10 }, (_, k): [number, number] => [i * 10 + k, i]));
  const { metadata } = await w.load();
  return (await readLiveDataFiles(metadata, w.objects)).sort((a, b) =>
    Number(BigInt(a.sequenceNumber) - BigInt(b.sequenceNumber)),
  );
}

const exists = async (w: Warehouse, path: string): Promise<boolean> =>
  (await w.objects.stat(path)) !== undefined && (await w.objects.stat(path)) !== null;

test('maintain keeps reachable delete files, folds them in compaction, then expires them', async () => {
  const w = warehouse();
  const files = await threeFiles(w);
  const target = files[0]!.dataFile.filePath;
  const deleteFile = await commitPositionDeletes(w, target, [0, 3]);
  const pyBefore = await readWithPyIceberg(w);
  assert.equal(pyBefore.rows.length, 28, 'two rows deleted');
  const location = (await w.load()).metadata.location;
  const stray = `${location}/data/stray-deletes.parquet`;
  await w.objects.put(stray, new Uint8Array([1]));
  const old = new Date(Date.now() - 10 * DAY);
  for (const f of await listTableFiles(w.objects, location)) utimesSync(f.location, old, old);

  // expiry and orphans alone: the live delete file stays, the stray one goes
  const kept = await maintainTable(w.maintainDeps, KEY, {
    compact: false,
    expireOlderThanMs: 0,
    retainLast: 1,
    orphansOlderThanMs: 3_600_000,
  });
  assert.ok(kept.status === 'done');
  assert.ok(kept.expire!.expiredSnapshots.length >= 3);
  assert.ok(!kept.expire!.files.dataFiles.includes(deleteFile), 'a reachable delete file is not expired');
  assert.deepEqual(
    kept.orphans!.removed.map((f) => f.location),
    [stray],
  );
  assert.ok(await exists(w, deleteFile));
  assert.deepEqual(await readWithPyIceberg(w), pyBefore);

  // the dry run shows the fold plan: the one file with deletes, though its partition has 3 small files
  const before = await w.load();
  const dry = await maintainTable(w.maintainDeps, KEY, { dryRun: true, expire: false, removeOrphans: false });
  assert.ok(dry.status === 'done' && dry.compaction?.status === 'planned');
  assert.deepEqual(dry.compaction.folded, [{ path: target, deleteFiles: [deleteFile], deletedRows: 2 }]);
  assert.equal(dry.compaction.rewrittenFiles, 1);
  assert.equal(dry.compaction.records, 8);
  assert.equal((await w.load()).metadataLocation, before.metadataLocation, 'no commit');

  // the fold: one replace snapshot without the delete file; the readers see the same rows
  const run = await maintainTable(w.maintainDeps, KEY, {
    expireOlderThanMs: 0,
    retainLast: 1,
    orphansOlderThanMs: 3_600_000,
  });
  assert.ok(run.status === 'done' && run.compaction?.status === 'committed');
  assert.equal(run.compaction.rewrittenFiles, 1);
  assert.equal(run.compaction.addedFiles, 1);
  assert.equal(run.compaction.deletedRows, 2);
  assert.equal(run.compaction.removedDeleteFiles, 1);
  const { metadata } = await w.load();
  const summary = currentSnapshot(metadata)!.summary;
  assert.equal(summary.operation, 'replace');
  assert.equal(summary['removed-delete-files'], '1');
  assert.equal(summary['removed-position-deletes'], '2');
  assert.equal(summary['deleted-records'], '10');
  assert.equal(summary['added-records'], '8');
  assert.equal(summary['total-delete-files'], '0');
  assert.equal(summary['total-records'], '28');
  const live = await readLiveDataFiles(metadata, w.objects);
  assert.equal(live.length, 3);
  assert.ok(live.every((f) => f.deletes.length === 0));
  assert.deepEqual((await readWithPyIceberg(w)).rows, pyBefore.rows);
  // the snapshots naming the delete file expired: it is deleted with them
  assert.ok(run.expire!.files.dataFiles.includes(deleteFile));
  assert.ok(run.expire!.files.dataFiles.includes(target));
  assert.equal(await exists(w, deleteFile), false);
  w.db.close();
});

test('foldDataFile writes the rows its deletes leave; a fully deleted file leaves nothing', async () => {
  const w = warehouse();
  const files = await threeFiles(w);
  await commitPositionDeletes(w, files[1]!.dataFile.filePath, [9, 1]);
  await commitPositionDeletes(w, files[2]!.dataFile.filePath, [...Array(10).keys()]);
  const { metadata } = await w.load();
  const live = await readLiveDataFiles(metadata, w.objects);
  const partly = live.find((f) => f.dataFile.filePath === files[1]!.dataFile.filePath)!;
  const all = live.find((f) => f.dataFile.filePath === files[2]!.dataFile.filePath)!;

  const folded = await foldDataFile(metadata, w.objects, partly);
  assert.equal(folded.rows, 8);
  assert.equal(folded.deletedRows, 2);
  assert.deepEqual(folded.removed, [partly.dataFile.filePath]);
  assert.deepEqual(
    folded.removedDeletes,
    partly.deletes.map((d) => d.dataFile.filePath),
  );
  const empty = await foldDataFile(metadata, w.objects, all);
  assert.deepEqual([empty.added, empty.rows, empty.deletedRows], [[], 0, 10]);

  const tx = new TableTransaction(ID, metadata, w.objects);
  await tx.addSnapshot({
    added: [...folded.added, ...empty.added],
    removed: [...folded.removed, ...empty.removed],
    removedDeletes: [...folded.removedDeletes, ...empty.removedDeletes],
  });
  const { requirements, updates } = tx.request();
  const after = (await w.catalog.commitTable(ID, requirements, updates)).metadata;
  const ids = (await readTableRows(after, w.objects)).map((r) => r.id as number).sort((a, b) => a - b);
  assert.deepEqual(ids, [...Array(10).keys(), 10, 12, 13, 14, 15, 16, 17, 18]);
  assert.equal(currentSnapshot(after)!.summary['total-delete-files'], '0');
  assert.equal(currentSnapshot(after)!.summary['removed-delete-files'], '2');
  w.db.close();
});
