// Orphan removal never deletes a file a live snapshot uses: with every table file made old, the files of
// main and of a retained older snapshot (one replaced since), the metadata log and the tombstone sidecar
// stay; an old unreferenced file goes; a fresh one (a commit in flight) stays within the safety window.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import { currentSnapshot } from '../../../shared/iceberg/spec/snapshot.js';
import { maintainTable } from '../../../shared/maintenance/maintain-table.js';
import { listTableFiles } from '../../../shared/maintenance/remove-orphans.js';
import { KEY, readWithPyIceberg, removeWarehouses, warehouse } from './support.js';

after(removeWarehouses);

const DAY = 86_400_000;

test('orphan removal deletes only old unreferenced files', async () => {
  const w = warehouse();
  await w.commit(Array.from({ length: 5 }, (_, i): [number, number] => [i, 1]));
  const first = String(currentSnapshot((await w.load()).metadata)!['snapshot-id']);
  await w.commit([[1, 100]], [2]); // replaces the first file; leaves a tombstone sidecar
  await w.commit([[10, 1]]);
  const { metadata } = await w.load();
  const location = metadata.location;
  const pyMain = await readWithPyIceberg(w);
  const pyFirst = await readWithPyIceberg(w, first);

  // every file of the table 10 days old: only references protect them now
  const old = new Date(Date.now() - 10 * DAY);
  for (const f of await listTableFiles(w.objects, location)) utimesSync(f.location, old, old);
  const oldOrphans = [
    `${location}/data/left-by-a-failed-commit.parquet`,
    `${location}/metadata/0-m0.avro`,
    `${location}/metadata/.0-m0.avro.crc`,
  ];
  // a checksum sidecar of a live file (as a Hadoop file system writes them) lives with its file
  const live = (await w.load()).metadataLocation;
  const liveChecksum = `${live.slice(0, live.lastIndexOf('/') + 1)}.${live.slice(live.lastIndexOf('/') + 1)}.crc`;
  await w.objects.put(liveChecksum, new Uint8Array([0]));
  utimesSync(liveChecksum, new Date(Date.now() - 10 * DAY), new Date(Date.now() - 10 * DAY));
  const fresh = `${location}/data/written-by-a-commit-in-flight.parquet`;
  for (const path of [...oldOrphans, fresh]) await w.objects.put(path, new Uint8Array([1, 2, 3]));
  for (const path of oldOrphans) utimesSync(path, old, old);
  const listed = (await listTableFiles(w.objects, location)).map((f) => f.location).sort();

  const options = { compact: false, expire: false, orphansOlderThanMs: 3 * DAY };
  const dry = await maintainTable(w.maintainDeps, KEY, { ...options, dryRun: true });
  assert.ok(dry.status === 'done' && dry.orphans);
  assert.deepEqual(dry.orphans.removed.map((f) => f.location).sort(), [...oldOrphans].sort());
  assert.equal(dry.orphans.tooYoung, 1);
  assert.deepEqual((await listTableFiles(w.objects, location)).map((f) => f.location).sort(), listed);

  const run = await maintainTable(w.maintainDeps, KEY, options);
  assert.ok(run.status === 'done' && run.orphans);
  assert.deepEqual(run.orphans.removed.map((f) => f.location).sort(), [...oldOrphans].sort());
  const left = (await listTableFiles(w.objects, location)).map((f) => f.location).sort();
  assert.deepEqual(
    left,
    listed.filter((p) => !oldOrphans.includes(p)),
    'only the old orphans are gone',
  );
  assert.ok(left.includes(fresh), 'the fresh orphan stays within the window');
  assert.ok(left.includes(liveChecksum), 'the checksum of a live file stays');

  assert.deepEqual(await readWithPyIceberg(w), pyMain);
  assert.deepEqual(await readWithPyIceberg(w, first), pyFirst, 'the older snapshot still reads');
  w.db.close();
});
