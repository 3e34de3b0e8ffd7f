// Compaction never overrides a commit: a commit that lands between the rewrite and the compaction's
// catalog commit makes the compaction commit again on the new base when every input file is still live
// (same rows), or give up cleanly (its files deleted, the table as the other commit left it) when the
// commit rewrote one of them or added a position delete file for one. A lease lost during the run stops it before its catalog commit.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Catalog } from '../../../shared/ports/catalog.js';
import type { StateStore } from '../../../shared/ports/state-store.js';
import { currentSnapshot } from '../../../shared/iceberg/spec/snapshot.js';
import { readLiveDataFiles, readTableRows } from '../../../shared/iceberg/table-files.js';
import { silentLogger } from '../../../shared/log.js';
import { compactTable } from '../../../shared/maintenance/compact.js';
import { maintainTable } from '../../../shared/maintenance/maintain-table.js';
import { filesOfSnapshots, ManifestReader } from '../../../shared/maintenance/reachable.js';
import { commitPositionDeletes, ID, KEY, removeWarehouses, warehouse, type Warehouse } from './support.js';

after(removeWarehouses);

const SETTINGS = {
  targetFileSizeBytes: 128 * 1024 * 1024,
  smallFileFraction: 0.75,
  minInputFiles: 2,
  dryRun: false,
  maxAttempts: 3,
};

/** The table's catalog, with `meanwhile` run once right before the first commit goes to the catalog. */
function racingCatalog(w: Warehouse, meanwhile: () => Promise<void>): Catalog {
  let ran = false;
  return new Proxy(w.catalog, {
    get(target, prop, receiver) {
      if (prop !== 'commitTable') return Reflect.get(target, prop, receiver) as unknown;
      return async (...args: Parameters<Catalog['commitTable']>) => {
        if (!ran) {
          ran = true;
          await meanwhile();
        }
        return target.commitTable(...args);
      };
    },
  });
}

const rowsById = async (w: Warehouse) => {
  const { metadata } = await w.load();
  return (await readTableRows(metadata, w.objects)).sort((a, b) => (a.id as number) - (b.id as number));
};

test('a commit that only adds files lands meanwhile: the compaction commits again on the new base', async () => {
  const w = warehouse();
  for (let i = 0; i < 4; i++) await w.commit([[i, i]]);
  const catalog = racingCatalog(w, () => w.commit([[100, 1]]));
  const result = await compactTable(
    { catalog, objects: w.objects, log: silentLogger },
    ID,
    undefined,
    SETTINGS,
  );
  assert.equal(result.status, 'committed');
  assert.equal(result.attempts, 2);
  assert.equal(result.liveFilesAfter, 2, 'counted on the new base');
  const { metadata } = await w.load();
  assert.equal(currentSnapshot(metadata)!.summary.operation, 'replace');
  assert.equal(
    (await readLiveDataFiles(metadata, w.objects)).length,
    2,
    'the compacted file and the new one',
  );
  assert.deepEqual(
    (await rowsById(w)).map((r) => [r.id, r.qty]),
    [
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
      [100, 1],
    ],
  );
  w.db.close();
});

test('a commit that deletes rows of an input file lands meanwhile: the compaction gives up, the delete stands', async () => {
  const w = warehouse();
  for (let i = 0; i < 4; i++) await w.commit([[i, i]]);
  const { metadata: base } = await w.load();
  const second = (await readLiveDataFiles(base, w.objects)).find((f) => String(f.sequenceNumber) === '2')!;
  const catalog = racingCatalog(w, async () => {
    await commitPositionDeletes(w, second.dataFile.filePath, [0]);
  });
  const result = await compactTable(
    { catalog, objects: w.objects, log: silentLogger },
    ID,
    undefined,
    SETTINGS,
  );
  assert.equal(result.status, 'gave-up');
  assert.match(result.reason!, /1 input files were rewritten, or got delete files/);
  const { metadata } = await w.load();
  assert.equal(currentSnapshot(metadata)!.summary.operation, 'delete', 'the delete stays the last word');
  assert.deepEqual(
    (await rowsById(w)).map((r) => [r.id, r.qty]),
    [
      [0, 0],
      [2, 2],
      [3, 3],
    ],
  );
  w.db.close();
});

test('a commit that rewrites an input file lands meanwhile: the compaction gives up and removes its files', async () => {
  const w = warehouse();
  for (let i = 0; i < 4; i++) await w.commit([[i, i]]);
  const catalog = racingCatalog(w, () => w.commit([[2, 200]]));
  const result = await compactTable(
    { catalog, objects: w.objects, log: silentLogger },
    ID,
    undefined,
    SETTINGS,
  );
  assert.equal(result.status, 'gave-up');
  assert.match(result.reason!, /1 input files were rewritten/);
  const { metadata } = await w.load();
  assert.equal(currentSnapshot(metadata)!.summary.operation, 'overwrite', 'the commit stays the last word');
  // every data file left on disk is one a snapshot of the table uses: the compaction's output is gone
  const used = (await filesOfSnapshots(metadata.snapshots!, new ManifestReader(w.objects), true)).dataFiles;
  for await (const f of w.objects.list(`${metadata.location}/data/`))
    assert.ok(used.has(f.location), `a data file no snapshot uses was left: ${f.location}`);
  assert.deepEqual(
    (await rowsById(w)).map((r) => [r.id, r.qty]),
    [
      [0, 0],
      [1, 1],
      [2, 200],
      [3, 3],
    ],
  );
  w.db.close();
});

test('a lease taken over during the run stops maintenance before its catalog commit', async () => {
  const w = warehouse();
  for (let i = 0; i < 6; i++) await w.commit([[i, i]]);
  const before = await w.load();
  let offset = 0;
  const now = () => Date.now() + offset;
  // at the first renewal the lease has expired and another run took it
  const state = new Proxy(w.state, {
    get(target, prop, receiver) {
      if (prop !== 'renewLease') return Reflect.get(target, prop, receiver) as unknown;
      return async (...args: Parameters<StateStore['renewLease']>) => {
        offset = 120_000;
        await target.acquireLease(KEY, 'another-run', 60_000, now());
        return target.renewLease(args[0], args[1], now());
      };
    },
  });
  const result = await maintainTable({ ...w.maintainDeps, state, now }, KEY, {
    leaseTtlMs: 60_000,
    minLeaseLeftMs: 1_000,
  });
  assert.equal(result.status, 'lease-lost');
  assert.equal((await w.load()).metadataLocation, before.metadataLocation, 'nothing committed');
  w.db.close();
});
