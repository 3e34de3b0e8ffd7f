// The chain that starts ingestion: an object finalized in a bucket with a notification config is
// published by fake-gcs-server to a Pub/Sub emulator topic, whose push subscription POSTs it to a local
// endpoint, with the attributes and JSON_API_V1 payload GCS sends.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { addBucketNotification, pubsubClient, storageClient } from '../../support/emulator-clients.js';
import { isolate } from '../../support/isolation.js';

interface PushBody {
  message?: { data?: string; attributes?: Record<string, string> };
}

const names = isolate('gcs notifications');
const storage = storageClient();
const pubsub = pubsubClient();
const pushed: PushBody[] = [];
let server: Server;

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      pushed.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as PushBody);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await pubsub.close();
  await new Promise((resolve) => server.close(resolve));
});

test('finalizing an object publishes an OBJECT_FINALIZE notification that is pushed to the endpoint', async () => {
  const [topic] = await pubsub.createTopic(names.topic('finalize'));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const [subscription] = await topic.createSubscription(names.subscription('finalize'), {
    pushConfig: { pushEndpoint: endpoint },
  });
  const [bucket] = await storage.createBucket(names.bucket);
  try {
    await addBucketNotification(names.bucket, names.topic('finalize'), { eventTypes: ['OBJECT_FINALIZE'] });
    const objectName = 'stream/2026/11/25/changes-1.jsonl';
    await bucket.file(objectName).save('{"a":1}\n', { resumable: false });
    const [stored] = await bucket.file(objectName).getMetadata();

    const deadline = Date.now() + 20_000;
    while (pushed.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(pushed.length, 1, `expected one push, got ${pushed.length}`);
    const message = pushed[0]!.message!;
    assert.equal(message.attributes?.eventType, 'OBJECT_FINALIZE');
    assert.equal(message.attributes?.bucketId, names.bucket);
    assert.equal(message.attributes?.objectId, objectName);
    assert.equal(message.attributes?.payloadFormat, 'JSON_API_V1');
    const payload = JSON.parse(Buffer.from(message.data ?? '', 'base64').toString('utf8')) as Record<
      string,
      string
    >;
    assert.equal(payload.name, objectName);
    assert.equal(payload.bucket, names.bucket);
    assert.equal(payload.generation, String(stored.generation));
    assert.equal(payload.size, '8');
  } finally {
    await bucket.deleteFiles({ force: true });
    await bucket.delete();
    await subscription.delete();
    await topic.delete();
  }
});
