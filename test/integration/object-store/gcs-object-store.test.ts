import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { stackEnv } from '../../support/stack-env.js';
import { GcsObjectStore } from '../../../shared/adapters/gcp/gcs-object-store.js';
import { PreconditionFailedError } from '../../../shared/ports/object-store.js';
import { checkObjectStore } from './object-store-contract.js';

test('GcsObjectStore on fake-gcs-server: put, get, ranges, streams, create-only 412, ordered listing', async () => {
  const apiEndpoint = stackEnv('STORAGE_EMULATOR_HOST');
  const projectId = process.env.GOOGLE_CLOUD_PROJECT ?? 'test-project';
  const storage = new Storage({ apiEndpoint, projectId });
  // see makeStorage in the adapter: the client's handling of STORAGE_EMULATOR_HOST drops /storage/v1
  (storage as unknown as { baseUrl: string }).baseUrl = `${apiEndpoint}/storage/v1`;
  const bucket = `it-${randomUUID().slice(0, 8)}`;
  await storage.createBucket(bucket);
  const store = new GcsObjectStore({ apiEndpoint, projectId });
  await checkObjectStore(store, `gs://${bucket}/run/`);

  // two writers racing for the same metadata file name: exactly one gets it
  const name = `gs://${bucket}/race/00002.metadata.json`;
  const results = await Promise.allSettled(
    ['a', 'b', 'c'].map((w) => store.put(name, new TextEncoder().encode(w), { ifAbsent: true })),
  );
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results) {
    if (r.status === 'rejected') assert.ok(r.reason instanceof PreconditionFailedError, String(r.reason));
  }
  assert.equal(store.handles('file:///tmp/x'), false);
});
