// Maintenance and commits share the table's lease: a run while a commit holds it reports the table busy
// and changes nothing, or waits for it with waitForLeaseMs; a commit while maintenance holds it is busy.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../shared/log.js';
import { TableLease } from '../../../shared/table/lease.js';
import { maintainTable } from '../../../shared/maintenance/maintain-table.js';
import { commitTable } from '../../../shared/pipeline/commit-table.js';
import { KEY, removeWarehouses, warehouse } from '../maintenance/support.js';

after(removeWarehouses);

test('maintenance while a commit holds the lease reports busy, or waits for it', async () => {
  const w = warehouse();
  for (let i = 0; i < 6; i++) await w.commit([[i, i]]);
  const before = await w.load();
  const commitLease = await w.state.acquireLease(KEY, 'a-commit', 60_000, Date.now());
  assert.ok(commitLease);

  const busy = await maintainTable(w.maintainDeps, KEY, { expireOlderThanMs: 0, orphansOlderThanMs: 0 });
  assert.deepEqual(busy, { status: 'lease-busy', table: KEY });
  assert.equal((await w.load()).metadataLocation, before.metadataLocation, 'nothing committed');

  setTimeout(() => void w.state.releaseLease(commitLease), 300);
  const waited = await maintainTable(w.maintainDeps, KEY, { waitForLeaseMs: 10_000 });
  assert.equal(waited.status, 'done');
  assert.ok(waited.status === 'done' && waited.compaction?.status === 'committed');
  w.db.close();
});

test('a commit while maintenance holds the lease is busy', async () => {
  const w = warehouse();
  await w.commit([[1, 1]]);
  const lease = await TableLease.take(w.state, KEY, 'maintenance', {
    ttlMs: 60_000,
    minLeftMs: 1_000,
    now: Date.now,
    waitMs: 0,
  });
  assert.ok(lease);
  const result = await commitTable({ ...w.commitDeps, log: silentLogger }, KEY);
  assert.equal(result.status, 'lease-busy');
  await lease.release();
  w.db.close();
});
