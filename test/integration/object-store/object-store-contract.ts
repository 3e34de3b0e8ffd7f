// What every ObjectStore must do, checked the same way on Cloud Storage (emulator) and a local folder.

import assert from 'node:assert/strict';
import {
  NotFoundError,
  PreconditionFailedError,
  type ObjectStore,
} from '../../../shared/ports/object-store.js';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** `root` is a fresh prefix ending in '/' (gs://bucket/run/ or file:///tmp/x/). */
export async function checkObjectStore(store: ObjectStore, root: string): Promise<void> {
  assert.ok(store.handles(`${root}a`));

  // put / get / stat
  const info = await store.put(`${root}data/one.txt`, bytes('hello, object store'), {
    contentType: 'text/plain',
  });
  assert.equal(info.location, `${root}data/one.txt`);
  assert.equal(info.size, 19);
  assert.ok(info.generation.length > 0);
  assert.equal(text(await store.get(`${root}data/one.txt`)), 'hello, object store');
  const stat = await store.stat(`${root}data/one.txt`);
  assert.equal(stat?.size, 19);
  assert.equal(stat?.generation, info.generation);
  assert.equal(await store.stat(`${root}data/absent.txt`), undefined);
  await assert.rejects(store.get(`${root}data/absent.txt`), NotFoundError);

  // ranges are [start, end): a Parquet footer read takes the last bytes
  assert.equal(text(await store.getRange(`${root}data/one.txt`, 7, 13)), 'object');
  assert.equal(text(await store.getRange(`${root}data/one.txt`, 14, 19)), 'store');
  assert.equal((await store.getRange(`${root}data/one.txt`, 3, 3)).length, 0);

  // streams return the whole object, in order, across many chunks
  const big = new Uint8Array(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
  await store.put(`${root}data/big.bin`, big);
  const chunks = await collect(await store.stream(`${root}data/big.bin`));
  const joined = Buffer.concat(chunks.map((c) => Buffer.from(c)));
  assert.equal(joined.length, big.length);
  assert.ok(joined.equals(Buffer.from(big)));
  await assert.rejects(store.stream(`${root}data/absent.bin`), NotFoundError);

  // create-only: the second writer of a name fails and the first content stays
  await store.put(`${root}meta/00001.metadata.json`, bytes('first'), { ifAbsent: true });
  await assert.rejects(
    store.put(`${root}meta/00001.metadata.json`, bytes('second'), { ifAbsent: true }),
    (error: unknown) =>
      error instanceof PreconditionFailedError && error.location === `${root}meta/00001.metadata.json`,
  );
  assert.equal(text(await store.get(`${root}meta/00001.metadata.json`)), 'first');
  // without ifAbsent a write replaces the object
  await store.put(`${root}meta/00001.metadata.json`, bytes('replaced'));
  assert.equal(text(await store.get(`${root}meta/00001.metadata.json`)), 'replaced');

  // list: everything under a prefix (which may end inside a name), in byte order of the names
  const names = ['l/b/2', 'l/a', 'l/b/1', 'l/B', 'l-x', 'l/a0', 'l/ab/c'];
  for (const name of names) await store.put(`${root}${name}`, bytes(name));
  const listed = (await collect(store.list(`${root}l/`))).map((o) => o.location.slice(root.length));
  assert.deepEqual(listed, ['l/B', 'l/a', 'l/a0', 'l/ab/c', 'l/b/1', 'l/b/2']);
  const partial = (await collect(store.list(`${root}l/a`))).map((o) => o.location.slice(root.length));
  assert.deepEqual(partial, ['l/a', 'l/a0', 'l/ab/c']);
  const sizes = (await collect(store.list(`${root}l/b/`))).map((o) => o.size);
  assert.deepEqual(sizes, [5, 5]);

  // delete is idempotent
  await store.delete(`${root}l/a`);
  await store.delete(`${root}l/a`);
  assert.equal(await store.stat(`${root}l/a`), undefined);
}
