// The gcloud Firestore emulator through the real @google-cloud/firestore client: leases and commit
// records rely on create() refusing an existing document and on lastUpdateTime preconditions refusing a
// writer that read a stale version.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { firestoreClient } from '../../support/emulator-clients.js';
import { isolate } from '../../support/isolation.js';

const names = isolate('firestore smoke');
const db = firestoreClient();

after(async () => {
  await db.recursiveDelete(db.collection(names.collection('docs')));
  await db.terminate();
});

function grpcCode(error: unknown): unknown {
  return (error as { code?: unknown }).code;
}

test('create() on an existing document fails with ALREADY_EXISTS and keeps the first write', async () => {
  const ref = db.collection(names.collection('docs')).doc('lease');
  await ref.create({ owner: 'a' });
  await assert.rejects(ref.create({ owner: 'b' }), (error) => grpcCode(error) === 6);
  assert.equal((await ref.get()).get('owner'), 'a');
});

test('an update with a stale lastUpdateTime precondition fails; with the current one it succeeds', async () => {
  const ref = db.collection(names.collection('docs')).doc('pointer');
  await ref.create({ version: 1 });
  const read = await ref.get();
  const seen = read.updateTime;
  assert.ok(seen, 'a stored document has an update time');

  await ref.update({ version: 2 }, { lastUpdateTime: seen });
  // A second writer that read the same version is now stale.
  await assert.rejects(
    ref.update({ version: 3 }, { lastUpdateTime: seen }),
    (error) => grpcCode(error) === 9,
  );
  assert.equal((await ref.get()).get('version'), 2);
});
