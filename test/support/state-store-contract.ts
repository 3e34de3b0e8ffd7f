// One behavioural contract for every StateStore adapter: the SQLite store runs it as a unit test, the
// Firestore store against the real emulator. A store that passes here is interchangeable in the pipeline.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangesetRecord, FileRecord, StateStore } from '../../shared/ports/state-store.js';

function fileRecord(fileId: string, createdAtMs: number): FileRecord {
  return {
    fileId,
    location: `gs://landing/cdc/public_products/${fileId}.jsonl`,
    generation: '1',
    status: 'processing',
    changesetIds: [],
    eventCounts: {},
    createdAtMs,
    updatedAtMs: createdAtMs,
  };
}

function changeset(id: string, table: string, createdAtMs: number): ChangesetRecord {
  return {
    id,
    table,
    fileId: `file-${id}`,
    location: `gs://work/changesets/${table}/${id}.arrow`,
    eventCount: 3,
    minOrder: '1/0',
    maxOrder: '9/5',
    status: 'pending',
    createdAtMs,
  };
}

export function stateStoreContract(name: string, makeStore: () => Promise<StateStore>): void {
  test(`${name}: a file record is create-only and returns the stored record the second time`, async () => {
    const store = await makeStore();
    assert.deepEqual(await store.createFile(fileRecord('f1', 10)), { created: true });
    await store.updateFile('f1', { status: 'failed', reason: 'line 3: bad' });
    const second = await store.createFile(fileRecord('f1', 20));
    assert.equal(second.created, false);
    assert.equal(second.created === false && second.existing.status, 'failed');
    assert.equal(second.created === false && second.existing.reason, 'line 3: bad');
    assert.deepEqual(
      (await store.listFiles({ status: 'failed' })).map((f) => f.fileId),
      ['f1'],
    );
  });

  test(`${name}: pending change-sets list oldest first per table; committed ones stay committed`, async () => {
    const store = await makeStore();
    await store.putChangeset(changeset('c2', 'public.products', 200));
    await store.putChangeset(changeset('c1', 'public.products', 100));
    await store.putChangeset(changeset('c3', 'public.products', 300));
    await store.putChangeset(changeset('o1', 'public.orders', 50));
    assert.deepEqual(
      (await store.listPendingChangesets('public.products', 10)).map((c) => c.id),
      ['c1', 'c2', 'c3'],
    );
    assert.deepEqual(
      (await store.listPendingChangesets('public.products', 2)).map((c) => c.id),
      ['c1', 'c2'],
    );
    await store.markChangesetsCommitted(['c1', 'c2'], '12345', 400);
    // A re-delivered file stages c1 again: it must not come back as pending.
    await store.putChangeset(changeset('c1', 'public.products', 500));
    assert.deepEqual(
      (await store.listPendingChangesets('public.products', 10)).map((c) => c.id),
      ['c3'],
    );
    const committed = await store.getChangeset('c1');
    assert.equal(committed?.status, 'committed');
    assert.equal(committed?.committedSnapshotId, '12345');
  });

  test(`${name}: a rejected change-set leaves the pending ones; its file staged again brings it back`, async () => {
    const store = await makeStore();
    await store.putChangeset(changeset('r1', 'public.items', 100));
    await store.putChangeset(changeset('r2', 'public.items', 200));
    await store.markChangesetRejected('r1', 'types do not fit', 300);
    assert.deepEqual(
      (await store.listPendingChangesets('public.items', 10)).map((c) => c.id),
      ['r2'],
    );
    const rejected = await store.getChangeset('r1');
    assert.equal(rejected?.status, 'rejected');
    assert.equal(rejected?.rejectedReason, 'types do not fit');
    // a committed change-set is not rejected
    await store.markChangesetsCommitted(['r2'], '77', 400);
    await store.markChangesetRejected('r2', 'late', 500);
    assert.equal((await store.getChangeset('r2'))?.status, 'committed');
    // the file ingested again (fixed, or against a table it now fits) stages it anew
    await store.putChangeset(changeset('r1', 'public.items', 600));
    assert.deepEqual(
      (await store.listPendingChangesets('public.items', 10)).map((c) => c.id),
      ['r1'],
    );
  });

  test(`${name}: a lease is exclusive until it expires, and its token increases on every take`, async () => {
    const store = await makeStore();
    const first = await store.acquireLease('public.products', 'worker-a', 1000, 10_000);
    assert.ok(first);
    assert.equal(await store.acquireLease('public.products', 'worker-b', 1000, 10_500), undefined);
    // Another table is independent.
    assert.ok(await store.acquireLease('public.orders', 'worker-b', 1000, 10_500));
    const renewed = await store.renewLease(first, 1000, 10_900);
    assert.equal(renewed?.expiresAtMs, 11_900);
    // Expired by time: a second worker takes it over with a greater token.
    const second = await store.acquireLease('public.products', 'worker-b', 1000, 12_000);
    assert.ok(second);
    assert.ok(second.token > first.token);
    // The zombie can neither renew nor release the new holder's lease.
    assert.equal(await store.renewLease(first, 1000, 12_100), undefined);
    await store.releaseLease(first);
    assert.equal(await store.acquireLease('public.products', 'worker-c', 1000, 12_200), undefined);
    // Released by its holder: free at once, token still increasing.
    await store.releaseLease(second);
    const third = await store.acquireLease('public.products', 'worker-c', 1000, 12_300);
    assert.ok(third && third.token > second.token);
  });

  test(`${name}: table keys holding '/', quotes, dots or __…__ each get their own lease and change-sets`, async () => {
    const store = await makeStore();
    const keys = [
      'public.a',
      'public."a/data"',
      '"a.b".c',
      'a."b.c"',
      '__a.b__',
      'public."__proto__"',
      '"../..".x',
    ];
    for (const key of keys) assert.ok(await store.acquireLease(key, 'worker', 1000, 10_000), key);
    for (const key of keys)
      assert.equal(await store.acquireLease(key, 'other', 1000, 10_500), undefined, key);
    for (const [i, key] of keys.entries()) await store.putChangeset(changeset(`names-${i}`, key, 1000 + i));
    for (const [i, key] of keys.entries())
      assert.deepEqual(
        (await store.listPendingChangesets(key, 10)).map((r) => r.id),
        [`names-${i}`],
        key,
      );
  });
}
