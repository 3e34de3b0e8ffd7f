// The Apache Iceberg REST reference catalog, spoken to with plain fetch as our own REST client will:
// config, namespaces, table creation and load, and the optimistic-concurrency check of a commit (a
// requirement that does not hold must be refused with 409, or concurrent committers would both win).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { storageClient } from '../../support/emulator-clients.js';
import { isolate } from '../../support/isolation.js';
import { stackEnv } from '../../support/stack-env.js';

const names = isolate('catalog smoke');
const base = `${stackEnv('ICEBERG_REST_URI')}/v1`;
const schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
  ],
};

// The parts of the REST responses these tests read (spec names, see the REST catalog OpenAPI).
interface Field {
  id: number;
  name: string;
  type: string;
}
interface TableMetadataJson {
  'format-version': number;
  'table-uuid': string;
  'current-schema-id': number;
  schemas: { 'schema-id': number; fields: Field[] }[];
  properties: Record<string, string>;
}
interface RestJson {
  defaults?: object;
  overrides?: object;
  'metadata-location': string;
  metadata: TableMetadataJson;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: RestJson }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as RestJson };
}

before(async () => {
  const created = await call('POST', '/namespaces', { namespace: [names.namespace] });
  assert.equal(created.status, 200, JSON.stringify(created.json));
});

after(async () => {
  for (const table of ['events', 'on_gcs']) {
    await call('DELETE', `/namespaces/${names.namespace}/tables/${table}?purgeRequested=true`);
  }
  await call('DELETE', `/namespaces/${names.namespace}`);
});

test('GET /v1/config answers with defaults and overrides', async () => {
  const { status, json } = await call('GET', '/config');
  assert.equal(status, 200);
  assert.equal(typeof json.defaults, 'object');
  assert.equal(typeof json.overrides, 'object');
});

test('creating an existing namespace is refused with 409', async () => {
  const again = await call('POST', '/namespaces', { namespace: [names.namespace] });
  assert.equal(again.status, 409);
});

test('a created table loads back with its schema, in the warehouse folder', async () => {
  const created = await call('POST', `/namespaces/${names.namespace}/tables`, { name: 'events', schema });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  const loaded = await call('GET', `/namespaces/${names.namespace}/tables/events`);
  assert.equal(loaded.status, 200);
  assert.equal(loaded.json.metadata['format-version'], 2);
  assert.equal(loaded.json.metadata['table-uuid'], created.json.metadata['table-uuid']);
  const current = loaded.json.metadata.schemas.find(
    (s) => s['schema-id'] === loaded.json.metadata['current-schema-id'],
  );
  assert.ok(current, 'the current schema is among the schemas');
  assert.deepEqual(
    current.fields.map((f) => [f.id, f.name, f.type]),
    [
      [1, 'id', 'long'],
      [2, 'name', 'string'],
    ],
  );
  const metadataPath = String(loaded.json['metadata-location']).replace(/^file:/, '');
  assert.ok(metadataPath.startsWith(stackEnv('ICEBERG_REST_WAREHOUSE')), metadataPath);
  assert.ok(
    existsSync(metadataPath.startsWith('/') ? metadataPath : fileURLToPath(metadataPath)),
    metadataPath,
  );
});

test('a commit whose requirement does not hold is refused with 409; a valid one is applied', async () => {
  const path = `/namespaces/${names.namespace}/tables/events`;
  const { json } = await call('GET', path);
  const uuid = json.metadata['table-uuid'];
  const stale = await call('POST', path, {
    requirements: [{ type: 'assert-table-uuid', uuid: '00000000-0000-0000-0000-000000000000' }],
    updates: [{ action: 'set-properties', updates: { writer: 'stale' } }],
  });
  assert.equal(stale.status, 409, JSON.stringify(stale.json));
  const valid = await call('POST', path, {
    requirements: [{ type: 'assert-table-uuid', uuid }],
    updates: [{ action: 'set-properties', updates: { writer: 'current' } }],
  });
  assert.equal(valid.status, 200, JSON.stringify(valid.json));
  const reloaded = await call('GET', path);
  assert.equal(reloaded.json.metadata.properties.writer, 'current');
});

test('a table on a gs:// location is written into fake-gcs-server', async () => {
  const storage = storageClient();
  const [bucket] = await storage.createBucket(names.bucket);
  try {
    const location = `gs://${names.bucket}/${names.namespace}/on_gcs`;
    const created = await call('POST', `/namespaces/${names.namespace}/tables`, {
      name: 'on_gcs',
      schema,
      location,
    });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const metadataLocation = String(created.json['metadata-location']);
    assert.ok(metadataLocation.startsWith(`${location}/metadata/`), metadataLocation);
    const objectName = metadataLocation.slice(`gs://${names.bucket}/`.length);
    const [content] = await bucket.file(objectName).download();
    const stored = JSON.parse(content.toString('utf8')) as { 'table-uuid': string; location: string };
    assert.equal(stored['table-uuid'], created.json.metadata['table-uuid']);
    assert.equal(stored.location, location);
  } finally {
    await call('DELETE', `/namespaces/${names.namespace}/tables/on_gcs`);
    await bucket.deleteFiles({ force: true });
    await bucket.delete();
  }
});
