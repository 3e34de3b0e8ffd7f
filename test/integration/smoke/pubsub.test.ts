// The gcloud Pub/Sub emulator through the real @google-cloud/pubsub client: a push subscription must POST
// the published message (data and attributes) to a local HTTP endpoint, as GCS notifications reach the
// ingest function.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { projectId, pubsubClient } from '../../support/emulator-clients.js';
import { isolate } from '../../support/isolation.js';

interface PushBody {
  message?: { data?: string; attributes?: Record<string, string>; messageId?: string };
  subscription?: string;
}

const names = isolate('pubsub smoke');
const pubsub = pubsubClient();
const pushed: PushBody[] = [];
let server: Server;

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      pushed.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as PushBody);
      res.writeHead(204).end(); // acknowledges the message
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await pubsub.close();
  await new Promise((resolve) => server.close(resolve));
});

test('a push subscription delivers the published message to a local endpoint', async () => {
  const [topic] = await pubsub.createTopic(names.topic('notifications'));
  const subscriptionId = names.subscription('push');
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`;
  const [subscription] = await topic.createSubscription(subscriptionId, {
    pushConfig: { pushEndpoint: endpoint },
  });
  try {
    const messageId = await topic.publishMessage({
      data: Buffer.from('{"name":"changes/1.jsonl"}'),
      attributes: { eventType: 'OBJECT_FINALIZE', bucketId: names.bucket },
    });
    const deadline = Date.now() + 20_000;
    while (pushed.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(pushed.length >= 1, true, 'no push arrived within 20 s');
    const body = pushed[0]!;
    assert.equal(body.subscription, `projects/${projectId()}/subscriptions/${subscriptionId}`);
    assert.equal(body.message?.messageId, messageId);
    assert.equal(
      Buffer.from(body.message?.data ?? '', 'base64').toString('utf8'),
      '{"name":"changes/1.jsonl"}',
    );
    assert.deepEqual(body.message?.attributes, { eventType: 'OBJECT_FINALIZE', bucketId: names.bucket });
  } finally {
    await subscription.delete();
    await topic.delete();
  }
});
