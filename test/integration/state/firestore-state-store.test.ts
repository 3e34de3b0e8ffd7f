import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Firestore, Timestamp } from '@google-cloud/firestore';
import { EXPIRE_AT_FIELD, FirestoreStateStore } from '../../../shared/adapters/gcp/firestore-state-store.js';
import { stackEnv } from '../../support/stack-env.js';
import { stateStoreContract } from '../../support/state-store-contract.js';

// The real Firestore emulator: create-only documents and transactional lease takes behave as in the cloud.
stateStoreContract('FirestoreStateStore', async () => {
  stackEnv('FIRESTORE_EMULATOR_HOST');
  const firestore = new Firestore({ projectId: stackEnv('GOOGLE_CLOUD_PROJECT') });
  return new FirestoreStateStore({ firestore, collectionPrefix: `t${randomUUID().slice(0, 8)}_` });
});

// The TTL field: file records and committed change-sets expire after the retention; pending change-sets
// and leases never carry it, so Firestore's TTL deletion cannot drop work that is still to be applied.
test('file records and committed change-sets get the expireAt Timestamp; pending ones and leases do not', async () => {
  stackEnv('FIRESTORE_EMULATOR_HOST');
  const firestore = new Firestore({ projectId: stackEnv('GOOGLE_CLOUD_PROJECT') });
  const prefix = `ttl${randomUUID().slice(0, 8)}_`;
  const retentionMs = 3 * 24 * 3600_000;
  const store = new FirestoreStateStore({ firestore, collectionPrefix: prefix, retentionMs });
  const createdAtMs = Date.UTC(2026, 10, 25, 12);
  await store.createFile({
    fileId: 'f1',
    location: 'gs://b/p/public_t/f1.jsonl',
    generation: '1',
    status: 'processing',
    changesetIds: [],
    eventCounts: {},
    createdAtMs,
    updatedAtMs: createdAtMs,
  });
  const changeset = (id: string) => ({
    id,
    table: 'public.t',
    fileId: 'f1',
    location: `gs://b/work/${id}.arrows`,
    eventCount: 1,
    minOrder: '1/1',
    maxOrder: '1/1',
    status: 'pending' as const,
    createdAtMs,
  });
  await store.putChangeset(changeset('c1'));
  await store.putChangeset(changeset('c2'));
  await store.markChangesetsCommitted(['c1'], '42', createdAtMs + 1000);
  const lease = await store.acquireLease('public.t', 'me', 60_000, createdAtMs);
  assert.ok(lease);

  const stored = async (collection: string, id: string) =>
    (await firestore.collection(`${prefix}${collection}`).doc(id).get()).data() ?? {};
  const fileDoc = await stored('files', 'f1');
  assert.ok(fileDoc[EXPIRE_AT_FIELD] instanceof Timestamp);
  assert.equal((fileDoc[EXPIRE_AT_FIELD] as Timestamp).toMillis(), createdAtMs + retentionMs);
  const committed = await stored('changesets', 'c1');
  assert.equal((committed[EXPIRE_AT_FIELD] as Timestamp).toMillis(), createdAtMs + 1000 + retentionMs);
  assert.equal((await stored('changesets', 'c2'))[EXPIRE_AT_FIELD], undefined, 'a pending change-set');
  assert.equal((await stored('leases', 'public.t'))[EXPIRE_AT_FIELD], undefined, 'a lease');
  // Records read back are the records written: the TTL field stays storage detail.
  assert.equal(Object.hasOwn((await store.getFile('f1')) ?? {}, EXPIRE_AT_FIELD), false);
  assert.equal(Object.hasOwn((await store.getChangeset('c1')) ?? {}, EXPIRE_AT_FIELD), false);
});
