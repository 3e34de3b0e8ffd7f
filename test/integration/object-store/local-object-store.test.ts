import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalObjectStore } from '../../../shared/adapters/embedded/local-object-store.js';
import { GcsObjectStore } from '../../../shared/adapters/gcp/gcs-object-store.js';
import { ObjectStoreRouter } from '../../../shared/adapters/object-store-router.js';
import { PreconditionFailedError } from '../../../shared/ports/object-store.js';
import { checkObjectStore } from './object-store-contract.js';

test('LocalObjectStore with file:// URLs and with plain paths', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'local-store-'));
  try {
    const store = new LocalObjectStore();
    await checkObjectStore(store, `${pathToFileURL(dir).href}/url/`);
    await checkObjectStore(store, `${dir}/plain/`);
    // no temporary files are left behind, and none are listed while present
    const leftovers = (await readdir(dir, { recursive: true })).filter((name) => name.includes('.tmp-'));
    assert.deepEqual(leftovers, []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('create-only writes racing for one name: exactly one wins, the content is whole', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'local-store-'));
  try {
    const store = new LocalObjectStore();
    const name = `${dir}/m/00001.metadata.json`;
    const payloads = ['a', 'b', 'c', 'd'].map((c) => new TextEncoder().encode(c.repeat(200_000)));
    const results = await Promise.allSettled(payloads.map((p) => store.put(name, p, { ifAbsent: true })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) {
      if (r.status === 'rejected') assert.ok(r.reason instanceof PreconditionFailedError);
    }
    const content = new TextDecoder().decode(await store.get(name));
    assert.equal(content.length, 200_000);
    assert.equal(new Set(content).size, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the router sends each location to the store of its scheme', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'local-store-'));
  try {
    const router = new ObjectStoreRouter(
      new GcsObjectStore({ apiEndpoint: 'http://127.0.0.1:9' }),
      new LocalObjectStore(),
    );
    await router.put(`${dir}/x.txt`, new TextEncoder().encode('x'));
    assert.equal(new TextDecoder().decode(await router.get(pathToFileURL(`${dir}/x.txt`).href)), 'x');
    assert.ok(router.handles('gs://b/k'));
    assert.equal(router.handles('s3://b/k'), false);
    assert.throws(() => router.get('s3://b/k'), /no object store handles this location: s3:\/\/b\/k/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
