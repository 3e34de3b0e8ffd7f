// fake-gcs-server through the real @google-cloud/storage client: object preconditions are what the
// pipeline's exactly-once writes rely on, so the emulator must refuse a create-only upload of an existing
// object with 412 and accept a write guarded by the current generation.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { storageClient } from '../../support/emulator-clients.js';
import { isolate } from '../../support/isolation.js';

const names = isolate('gcs smoke');
const storage = storageClient();
let bucket: Bucket;

before(async () => {
  [bucket] = await storage.createBucket(names.bucket);
});

after(async () => {
  await bucket.deleteFiles({ force: true });
  await bucket.delete();
});

function statusOf(error: unknown): unknown {
  return (error as { code?: unknown }).code;
}

test('ifGenerationMatch: 0 creates an object once and then fails with 412', async () => {
  const file = bucket.file('changes/one.jsonl');
  await file.save('first\n', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
  await assert.rejects(
    file.save('second\n', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
    (error) => statusOf(error) === 412,
  );
  const [content] = await file.download();
  assert.equal(content.toString('utf8'), 'first\n');
});

test('a resumable upload honours ifGenerationMatch: 0 too', async () => {
  const file = bucket.file('changes/resumable.jsonl');
  await file.save('a\n', { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } });
  await assert.rejects(
    file.save('b\n', { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } }),
    (error) => statusOf(error) === 412,
  );
  const [content] = await file.download();
  assert.equal(content.toString('utf8'), 'a\n');
});

test('a write guarded by the current generation succeeds; one guarded by an old generation fails', async () => {
  const file = bucket.file('pointer.json');
  await file.save('{"v":1}', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
  const [first] = await file.getMetadata();
  const firstGeneration = Number(first.generation);
  assert.ok(firstGeneration > 0, `generation ${first.generation}`);

  await file.save('{"v":2}', { resumable: false, preconditionOpts: { ifGenerationMatch: firstGeneration } });
  const [second] = await file.getMetadata();
  assert.notEqual(Number(second.generation), firstGeneration);

  await assert.rejects(
    file.save('{"v":3}', { resumable: false, preconditionOpts: { ifGenerationMatch: firstGeneration } }),
    (error) => statusOf(error) === 412,
  );
  const [content] = await file.download();
  assert.equal(content.toString('utf8'), '{"v":2}');
});
