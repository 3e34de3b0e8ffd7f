// functions/ingest on the real emulators: objects uploaded to fake-gcs-server, the CloudEvent (binary and
// structured mode) and the Pub/Sub push (through the real Pub/Sub emulator) delivered to the function
// served by the functions framework; then the Firestore file record, the staged change-sets and the
// Cloud Tasks dispatches (per table queue) are checked.

import { tableKey } from '../../../shared/changes/change-event.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ingestCloudEventHandler, ingestPubsubHandler } from '../../../functions/ingest.js';
import { CloudTasksQueue } from '../../../shared/adapters/gcp/cloud-tasks-queue.js';
import { decodeChangeSet } from '../../../shared/changes/change-set.js';
import { loadCloudConfig } from '../../../shared/config.js';
import { fileIdOf } from '../../../shared/pipeline/ingest-file.js';
import { createCloudRuntime, type CloudRuntime } from '../../../shared/runtime/cloud.js';
import { projectId, pubsubClient, storageClient, tasksClient } from '../../support/emulator-clients.js';
import { postStorageFinalized, serveFunction, type ServedFunction } from '../../support/function-server.js';
import { isolate } from '../../support/isolation.js';
import { startRecordingEndpoint, type RecordingEndpoint } from '../../support/recording-endpoint.js';
import { loadScenario } from '../../support/scenarios.js';
import { stackEnv } from '../../support/stack-env.js';

const names = isolate('ingest fn');
const scenario = loadScenario('composite-and-no-pk');
const storage = storageClient();
let tasksTarget: RecordingEndpoint;
let runtime: CloudRuntime;
let cloudEventServer: ServedFunction;
let pubsubServer: ServedFunction;

before(async () => {
  tasksTarget = await startRecordingEndpoint(200);
  await storage.createBucket(names.bucket);
  runtime = createCloudRuntime(
    loadCloudConfig({
      GOOGLE_CLOUD_PROJECT: projectId(),
      DSI_LANDING_BUCKET: names.bucket,
      DSI_LANDING_PREFIX: 'cdc-staging/',
      DSI_WORK_ROOT: `gs://${names.bucket}/_datastream_iceberg`,
      DSI_CATALOG_URI: stackEnv('ICEBERG_REST_URI'),
      DSI_CATALOG_WAREHOUSE: stackEnv('ICEBERG_REST_WAREHOUSE'),
      DSI_CATALOG_AUTH: 'none',
      DSI_FIRESTORE_PREFIX: names.collectionPrefix,
      DSI_TASKS_LOCATION: 'us-central1',
      DSI_COMMIT_URL: `${tasksTarget.url}/commit`,
      DSI_QUEUE_PREFIX: names.queue('t').slice(0, 40),
      DSI_TABLES: JSON.stringify(
        Object.fromEntries(
          Object.entries(scenario.tables).map(([k, t]) => [
            k,
            { columns: t.columns, primary_keys: t.primaryKeys },
          ]),
        ),
      ),
      DSI_STORAGE_ENDPOINT: stackEnv('STORAGE_EMULATOR_HOST'),
      DSI_CLOUD_TASKS_ENDPOINT: stackEnv('CLOUD_TASKS_EMULATOR_HOST'),
    }),
  );
  cloudEventServer = await serveFunction(`ingest-${names.id}`, {
    cloudEvent: ingestCloudEventHandler(() => runtime),
  });
  pubsubServer = await serveFunction(`ingestPubsub-${names.id}`, {
    http: ingestPubsubHandler(() => runtime),
  });
});

after(async () => {
  await tasksTarget.close();
  await cloudEventServer.close();
  await pubsubServer.close();
});

async function upload(name: string, bytes?: Buffer): Promise<string> {
  const [file] = await storage
    .bucket(names.bucket)
    .file(name)
    .save(bytes ?? readFileSync(join(scenario.bucketRoot, name)))
    .then(() => storage.bucket(names.bucket).file(name).getMetadata());
  return String(file.generation);
}

async function deliverBinary(name: string, generation: string): Promise<number> {
  return (await postStorageFinalized(cloudEventServer.url, { bucket: names.bucket, name, generation }))
    .status;
}

async function deliverStructured(name: string, generation: string): Promise<number> {
  const response = await fetch(cloudEventServer.url, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({
      specversion: '1.0',
      id: `${name}#${generation}#structured`,
      type: 'google.cloud.storage.object.v1.finalized',
      source: `//storage.googleapis.com/projects/_/buckets/${names.bucket}`,
      subject: `objects/${name}`,
      datacontenttype: 'application/json',
      data: { bucket: names.bucket, name, generation: Number(generation) },
    }),
  });
  return response.status;
}

function tasksFor(changesetIds: string[]) {
  return tasksTarget.requests.filter((r) =>
    changesetIds.includes((r.body as { changesetId: string }).changesetId),
  );
}

test('a CloudEvent stages change-sets per table and their tasks reach the commit target, once', async () => {
  const names_ = scenario.order;
  for (const name of names_) {
    const generation = await upload(name);
    assert.equal(await deliverBinary(name, generation), 200);
  }
  // Everything recorded: one staged file per object, one pending change-set per (file, table).
  const files = await Promise.all(
    names_.map(async (name) => {
      const [meta] = await storage.bucket(names.bucket).file(name).getMetadata();
      return runtime.state.getFile(
        fileIdOf({ bucket: names.bucket, name, generation: String(meta.generation) }),
      );
    }),
  );
  assert.ok(
    files.every((f) => f?.status === 'staged'),
    JSON.stringify(files.map((f) => f?.status)),
  );
  const changesetIds = files.flatMap((f) => f?.changesetIds ?? []);
  const tables = new Set<string>();
  for (const id of changesetIds) {
    const record = await runtime.state.getChangeset(id);
    assert.ok(record, `change-set ${id} recorded`);
    tables.add(record.table);
    const decoded = decodeChangeSet(await runtime.objects.get(record.location));
    assert.equal(decoded.events.length, record.eventCount);
    assert.equal(tableKey(decoded.info.table), record.table);
  }
  assert.deepEqual([...tables].sort(), Object.keys(scenario.tables).sort());
  // Cloud Tasks dispatched one POST per change-set to the commit URL, each naming its table's queue.
  await tasksTarget.waitFor(() => tasksFor(changesetIds).length === changesetIds.length);
  for (const request of tasksFor(changesetIds)) {
    const body = request.body as { table: string; changesetId: string };
    const record = await runtime.state.getChangeset(body.changesetId);
    assert.equal(body.table, record?.table);
    assert.match(
      String(request.headers['x-cloudtasks-queuename']),
      new RegExp(body.table.replace(/[._]/g, '-')),
    );
  }
  // Each table got its own queue, created with at most one dispatch at a time.
  const tasks = tasksClient();
  try {
    for (const table of tables) {
      const [queue] = await tasks.getQueue({ name: (runtime.queue as CloudTasksQueue).queuePath(table) });
      assert.equal(queue.rateLimits?.maxConcurrentDispatches, 1, table);
    }
  } finally {
    await tasks.close();
  }
  // The same events again: acknowledged, nothing new staged or dispatched.
  for (const name of names_) {
    const [meta] = await storage.bucket(names.bucket).file(name).getMetadata();
    assert.equal(await deliverStructured(name, String(meta.generation)), 200);
  }
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(tasksFor(changesetIds).length, changesetIds.length);
});

test('a new generation of the same object is processed again; a bad file is failed and acknowledged', async () => {
  const name = scenario.order[0] as string;
  const first = await upload(name);
  assert.equal(await deliverBinary(name, first), 200);
  const second = await upload(name); // an overwrite: new generation
  assert.notEqual(second, first);
  assert.equal(await deliverBinary(name, second), 200);
  const a = await runtime.state.getFile(fileIdOf({ bucket: names.bucket, name, generation: first }));
  const b = await runtime.state.getFile(fileIdOf({ bucket: names.bucket, name, generation: second }));
  assert.equal(a?.status, 'staged');
  assert.equal(b?.status, 'staged');
  assert.notDeepEqual(a?.changesetIds, b?.changesetIds);

  const bad = 'cdc-staging/public_order_items/2026/11/24/09/00/broken.jsonl';
  const generation = await upload(bad, Buffer.from('{"uuid": "x", "payload": \n'));
  assert.equal(await deliverBinary(bad, generation), 200);
  const record = await runtime.state.getFile(fileIdOf({ bucket: names.bucket, name: bad, generation }));
  assert.equal(record?.status, 'failed');
  assert.match(record?.reason ?? '', /broken\.jsonl/);
  assert.deepEqual(record?.changesetIds, []);
});

test('the Pub/Sub push of a GCS notification goes through the emulator to ingestPubsub', async () => {
  const pubsub = pubsubClient();
  const name = scenario.order[scenario.order.length - 1] as string;
  const generation = await upload(name);
  const [topic] = await pubsub.createTopic(names.topic('gcs'));
  const [subscription] = await topic.createSubscription(names.subscription('ingest'), {
    pushConfig: { pushEndpoint: pubsubServer.url },
  });
  try {
    // What Cloud Storage publishes for a finalized object (notification payload format JSON_API_V1).
    await topic.publishMessage({
      data: Buffer.from(JSON.stringify({ bucket: names.bucket, name, generation })),
      attributes: {
        eventType: 'OBJECT_FINALIZE',
        bucketId: names.bucket,
        objectId: name,
        objectGeneration: generation,
        payloadFormat: 'JSON_API_V1',
      },
    });
    const fileId = fileIdOf({ bucket: names.bucket, name, generation });
    const deadline = Date.now() + 20_000;
    let record = await runtime.state.getFile(fileId);
    while (record?.status !== 'staged' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      record = await runtime.state.getFile(fileId);
    }
    assert.equal(record?.status, 'staged');
    assert.ok((record?.changesetIds.length ?? 0) >= 1);
  } finally {
    await subscription.delete();
    await topic.delete();
    await pubsub.close();
  }
});
