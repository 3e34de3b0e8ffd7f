import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { stackEnv } from '../../support/stack-env.js';
import { GcsObjectStore } from '../../../shared/adapters/gcp/gcs-object-store.js';
import { PreconditionFailedError } from '../../../shared/ports/object-store.js';
import { checkObjectStore } from './object-store-contract.js';
import { startFailingProxy } from '../catalog/failing-proxy.js';

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

test('a create-only upload whose answer is lost is retried by the client and still reported as ours', async () => {
  const apiEndpoint = stackEnv('STORAGE_EMULATOR_HOST');
  const projectId = process.env.GOOGLE_CLOUD_PROJECT ?? 'test-project';
  const storage = new Storage({ apiEndpoint, projectId });
  (storage as unknown as { baseUrl: string }).baseUrl = `${apiEndpoint}/storage/v1`;
  const bucket = `it-${randomUUID().slice(0, 8)}`;
  await storage.createBucket(bucket);
  const proxy = await startFailingProxy(apiEndpoint, {
    matches: (method, url) => method === 'POST' && url.startsWith('/upload/storage/v1/'),
    status: 503,
  });
  try {
    const store = new GcsObjectStore({ apiEndpoint: proxy.uri, projectId });
    const name = `gs://${bucket}/m/00001.metadata.json`;
    proxy.failNextCommit('after-forward');
    const info = await store.put(name, new TextEncoder().encode('ours'), { ifAbsent: true });
    // the object was stored by the first attempt; the client's retry met the precondition failure
    const uploads = proxy.seen().filter((r) => r.method === 'POST' && r.url.startsWith('/upload/'));
    assert.equal(uploads.length, 2);
    assert.equal(info.size, 4);
    // another writer of the same name still fails
    await assert.rejects(
      store.put(name, new TextEncoder().encode('theirs'), { ifAbsent: true }),
      PreconditionFailedError,
    );
    assert.equal(new TextDecoder().decode(await store.get(name)), 'ours');
  } finally {
    await proxy.close();
  }
});
