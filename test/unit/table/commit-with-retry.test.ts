// The one commit loop on the embedded defaults (SQLite catalog, local folder): a conflict deletes the
// refused manifests and builds again on the new base; an unknown outcome deletes nothing and is resolved
// from the table (landed, or built again); the attempts are bounded; a lost lease stops the loop before
// the catalog commit; a commit that only removes snapshots is recognised after an unknown outcome too.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { currentSnapshot } from '../../../shared/iceberg/spec/snapshot.js';
import { silentLogger } from '../../../shared/log.js';
import { CommitStateUnknownError, type Catalog } from '../../../shared/ports/catalog.js';
import {
  CommitRetriesExhaustedError,
  commitWithRetry,
  type Built,
} from '../../../shared/table/commit-with-retry.js';
import { LeaseLostError, TableLease } from '../../../shared/table/lease.js';
import { TableTransaction } from '../../../shared/table/transaction.js';
import { ID, KEY, removeWarehouses, warehouse, type Warehouse } from '../maintenance/support.js';

after(removeWarehouses);

/** The table's catalog with `around` in charge of every commit (it may call the real one or not). */
function catalogWith(
  w: Warehouse,
  around: (commit: () => ReturnType<Catalog['commitTable']>, n: number) => ReturnType<Catalog['commitTable']>,
): Catalog {
  let n = 0;
  return new Proxy(w.catalog, {
    get(target, prop, receiver) {
      if (prop !== 'commitTable') return Reflect.get(target, prop, receiver) as unknown;
      return (...args: Parameters<Catalog['commitTable']>) => around(() => target.commitTable(...args), ++n);
    },
  });
}

/** One attempt: an empty append snapshot on the table as it is now; every attempt's files recorded. */
function appendOnce(w: Warehouse, written: string[][]) {
  return async (): Promise<Built<string, never>> => {
    const { metadata } = await w.load();
    const tx = new TableTransaction(ID, metadata, w.objects);
    const snapshot = await tx.addSnapshot({ added: [], summary: { writer: 'test' } });
    written.push([...tx.writtenFiles]);
    return { transaction: tx, value: String(snapshot.snapshot['snapshot-id']) };
  };
}

const exists = async (w: Warehouse, path: string) => (await w.objects.stat(path)) !== undefined;
const options = (w: Warehouse) => ({ maxAttempts: 3, log: silentLogger, objects: w.objects });

test('a conflict deletes the refused manifests and commits again on the new base', async () => {
  const w = warehouse();
  await w.commit([[1, 1]]);
  const written: string[][] = [];
  const catalog = catalogWith(w, async (commit, n) => {
    if (n === 1) await w.commit([[2, 2]]); // another writer lands first: this commit is refused
    return commit();
  });
  const outcome = await commitWithRetry(catalog, undefined, appendOnce(w, written), options(w));
  assert.equal(outcome.status, 'committed');
  assert.equal(outcome.attempts, 2);
  assert.equal(String(currentSnapshot((await w.load()).metadata)!['snapshot-id']), outcome.value);
  for (const path of written[0]!) assert.equal(await exists(w, path), false, `refused, not deleted: ${path}`);
  for (const path of written[1]!) assert.ok(await exists(w, path), `committed, missing: ${path}`);
  w.db.close();
});

test('an unknown outcome of a commit that landed is resolved as committed, nothing deleted', async () => {
  const w = warehouse();
  await w.commit([[1, 1]]);
  const written: string[][] = [];
  const catalog = catalogWith(w, async (commit) => {
    await commit();
    throw new CommitStateUnknownError('injected: timeout after applying');
  });
  const outcome = await commitWithRetry(catalog, undefined, appendOnce(w, written), options(w));
  assert.equal(outcome.status, 'committed');
  assert.equal(outcome.attempts, 1);
  assert.equal(String(currentSnapshot((await w.load()).metadata)!['snapshot-id']), outcome.value);
  for (const path of written[0]!) assert.ok(await exists(w, path));
  w.db.close();
});

test('commits that never land end after maxAttempts, every attempt’s files kept', async () => {
  const w = warehouse();
  await w.commit([[1, 1]]);
  const before = await w.load();
  const written: string[][] = [];
  const catalog = catalogWith(w, () => Promise.reject(new CommitStateUnknownError('injected: 503')));
  await assert.rejects(
    commitWithRetry(catalog, undefined, appendOnce(w, written), options(w)),
    (error: unknown) =>
      error instanceof CommitRetriesExhaustedError &&
      error.attempts === 3 &&
      error.unknownOutcome &&
      /table shop\.items: commit failed after 3 attempts/.test(error.message),
  );
  assert.equal(written.length, 3);
  for (const path of written.flat())
    assert.ok(await exists(w, path), `deleted after an unknown outcome: ${path}`);
  assert.equal((await w.load()).metadataLocation, before.metadataLocation, 'nothing committed');
  w.db.close();
});

test('a lease taken over stops the loop before the catalog commit', async () => {
  const w = warehouse();
  await w.commit([[1, 1]]);
  const before = await w.load();
  let clock = Date.now();
  const lease = await TableLease.take(w.state, KEY, 'first', {
    ttlMs: 60_000,
    minLeftMs: 1_000,
    now: () => clock,
    waitMs: 0,
  });
  assert.ok(lease);
  clock += 120_000; // the lease ran out and another run took the table
  assert.ok(await w.state.acquireLease(KEY, 'second', 60_000, clock));
  let commits = 0;
  const catalog = catalogWith(w, (commit) => {
    commits++;
    return commit();
  });
  await assert.rejects(commitWithRetry(catalog, lease, appendOnce(w, []), options(w)), LeaseLostError);
  assert.equal(commits, 0);
  assert.equal((await w.load()).metadataLocation, before.metadataLocation);
  w.db.close();
});

test('removing snapshots with an unknown outcome is resolved from the snapshots left', async () => {
  const w = warehouse();
  for (let i = 0; i < 3; i++) await w.commit([[i, i]]);
  const catalog = catalogWith(w, async (commit, n) => {
    if (n === 1) throw new CommitStateUnknownError('injected: 503 before applying');
    await commit();
    throw new CommitStateUnknownError('injected: timeout after applying');
  });
  let removed: string[] = [];
  const outcome = await commitWithRetry(
    catalog,
    undefined,
    async () => {
      const { metadata } = await w.load();
      const main = currentSnapshot(metadata)!['snapshot-id'];
      const old = (metadata.snapshots ?? []).map((s) => s['snapshot-id']).filter((id) => id !== main);
      removed = old.map(String);
      return {
        transaction: new TableTransaction(ID, metadata, w.objects).removeSnapshots(old),
        value: old.length,
      };
    },
    options(w),
  );
  assert.equal(outcome.status, 'committed');
  assert.equal(outcome.attempts, 2, 'not landed, then landed');
  assert.equal(outcome.value, 2);
  const left = ((await w.load()).metadata.snapshots ?? []).map((s) => String(s['snapshot-id']));
  assert.equal(left.length, 1);
  assert.ok(!removed.some((id) => left.includes(id)));
  w.db.close();
});
