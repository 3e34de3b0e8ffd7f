// The whole cloud path on the emulator stack: files uploaded to fake-gcs-server, CloudEvents delivered to
// functions/ingest, Cloud Tasks (one queue per table, concurrency 1) dispatching to functions/commit served
// by the functions framework, commits through the Iceberg REST reference catalog; PyIceberg then reads
// the table through the same REST catalog and must see exactly the scenario's expected rows. With
// DSI_WRITE_MODE=merge-on-read the same holds with position delete files in the table.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { commitHandler } from '../../../functions/commit.js';
import { ingestCloudEventHandler } from '../../../functions/ingest.js';
import { loadCloudConfig } from '../../../shared/config.js';
import { createCloudRuntime, type CloudRuntime } from '../../../shared/runtime/cloud.js';
import { projectId, storageClient } from '../../support/emulator-clients.js';
import { postStorageFinalized, serveFunction, type ServedFunction } from '../../support/function-server.js';
import { isolate } from '../../support/isolation.js';
import { compareTablesWithPyIceberg } from '../../support/pyiceberg-compare.js';
import { loadScenario, scenarioNames } from '../../support/scenarios.js';
import { stackEnv } from '../../support/stack-env.js';
import { insertLines } from '../../support/datastream-lines.js';
import { pathSegment } from '../../../shared/names/storage-path.js';
import { tableKey } from '../../../shared/names/table-key.js';

const names = isolate('commit fn');
const storage = storageClient();
let runtime: CloudRuntime;
let ingestServer: ServedFunction;
let commitServer: ServedFunction;

before(async () => {
  await storage.createBucket(names.bucket);
  ingestServer = await serveFunction(`ingest-${names.id}`, {
    cloudEvent: ingestCloudEventHandler(() => runtime),
  });
  commitServer = await serveFunction(`commit-${names.id}`, { http: commitHandler(() => runtime) });
});

after(async () => {
  await ingestServer.close();
  await commitServer.close();
});

/** The scenario's source schema `public` becomes this test's namespace, so tests never share a table. */
function retarget(bytes: Buffer, gzip: boolean, namespace: string): Buffer {
  const text = (gzip ? gunzipSync(bytes) : bytes).toString('utf8');
  const rewritten = Buffer.from(text.replace(/"schema"\s*:\s*"public"/g, `"schema":"${namespace}"`));
  return gzip ? gzipSync(rewritten) : rewritten;
}

/** The functions' cloud runtime on the stack, its state, queues and landing prefix named after `prefix`. */
function cloudRuntime(prefix: string, extra: Record<string, string> = {}): CloudRuntime {
  return createCloudRuntime(
    loadCloudConfig({
      GOOGLE_CLOUD_PROJECT: projectId(),
      DSI_LANDING_BUCKET: names.bucket,
      DSI_LANDING_PREFIX: `${prefix}/`,
      DSI_WORK_ROOT: `gs://${names.bucket}/_datastream_iceberg`,
      DSI_CATALOG_URI: stackEnv('ICEBERG_REST_URI'),
      DSI_CATALOG_WAREHOUSE: stackEnv('ICEBERG_REST_WAREHOUSE'),
      DSI_CATALOG_AUTH: 'none',
      DSI_FIRESTORE_PREFIX: `${names.collectionPrefix}${prefix.replace(/-/g, '_')}_`,
      DSI_TASKS_LOCATION: 'us-central1',
      DSI_COMMIT_URL: commitServer.url,
      DSI_QUEUE_PREFIX: `${names.queue('c').slice(0, 30)}-${prefix}`,
      DSI_STORAGE_ENDPOINT: stackEnv('STORAGE_EMULATOR_HOST'),
      DSI_CLOUD_TASKS_ENDPOINT: stackEnv('CLOUD_TASKS_EMULATOR_HOST'),
      DSI_LOG_LEVEL: 'WARNING',
      ...extra,
    }),
  );
}

async function deliver(name: string, generation: string): Promise<void> {
  const response = await postStorageFinalized(ingestServer.url, { bucket: names.bucket, name, generation });
  assert.equal(response.status, 200, await response.text());
}

const SCENARIOS = scenarioNames().filter((name) => existsSync(join(loadScenario(name).root, 'expected')));

for (const [scenarioName, direction] of SCENARIOS.flatMap(
  (n) =>
    [
      [n, 'forward'],
      [n, 'reversed'],
    ] as const,
)) {
  test(`${scenarioName} (${direction}): ingest → Cloud Tasks → commit → REST catalog, read by PyIceberg equal to expected/`, async () => {
    const scenario = loadScenario(scenarioName);
    const namespace = isolate(scenarioName).namespace;
    const prefix = `${scenarioName}-${direction}`;
    const order = direction === 'forward' ? scenario.order : [...scenario.order].reverse();
    const tables = Object.fromEntries(
      Object.entries(scenario.tables).map(([key, t]) => [
        key.replace(/^public\./, `${namespace}.`),
        { columns: t.columns, primary_keys: t.primaryKeys },
      ]),
    );
    runtime = cloudRuntime(prefix, { DSI_TABLES: JSON.stringify(tables) });
    // Upload and deliver in the scenario's arrival order.
    for (const relative of order) {
      const name = `${prefix}/${relative}`;
      const bytes = retarget(
        readFileSync(join(scenario.bucketRoot, relative)),
        relative.endsWith('.gz'),
        namespace,
      );
      const file = storage.bucket(names.bucket).file(name);
      await file.save(bytes);
      const [meta] = await file.getMetadata();
      await deliver(name, String(meta.generation));
    }
    // Wait until every change-set of every table is committed.
    const tableKeys = Object.keys(tables);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const pending = await Promise.all(tableKeys.map((t) => runtime.state.listPendingChangesets(t, 1)));
      if (pending.every((p) => p.length === 0)) break;
      assert.ok(Date.now() < deadline, `change-sets still pending: ${JSON.stringify(pending)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const jobs = tableKeys.map((table) => ({
      id: table,
      catalog: { type: 'rest', uri: stackEnv('ICEBERG_REST_URI') },
      table,
      columns: (tables[table] as { columns: Array<[string, string]> }).columns,
      expected: join(scenario.root, 'expected', `${table.replace(`${namespace}.`, 'public.')}.jsonl`),
    }));
    const seen = await compareTablesWithPyIceberg(jobs);
    for (const job of jobs) {
      const result = seen[job.id];
      assert.ok(result && result.expected.length > 0, `${job.id}: expected rows`);
      assert.deepEqual(result.actual, result.expected, job.id);
    }
  });
}

test('tables "<ns>.b".c and <ns>."b.c" and <ns>."a/data" land as three tables through ingest → tasks → commit', async () => {
  const namespace = isolate('dotted names').namespace;
  const prefix = 'dotted-names';
  runtime = cloudRuntime(prefix);
  const refs = [
    { schema: `${namespace}.b`, name: 'c' },
    { schema: namespace, name: 'b.c' },
    { schema: namespace, name: 'a/data' },
  ];
  for (const [i, ref] of refs.entries()) {
    const file = storage.bucket(names.bucket).file(`${prefix}/t${i}/f_postgresql-cdc_1_${i}.jsonl`);
    await file.save(Buffer.from(insertLines(ref.schema, ref.name, { v: i })));
    const [meta] = await file.getMetadata();
    await deliver(file.name, String(meta.generation));
  }
  const keys = refs.map(tableKey);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const pending = await Promise.all(keys.map((t) => runtime.state.listPendingChangesets(t, 1)));
    if (pending.every((p) => p.length === 0)) break;
    assert.ok(Date.now() < deadline, `change-sets still pending: ${JSON.stringify(pending)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const locations = new Set<string>();
  for (const ref of refs) {
    const { metadata } = await runtime.catalog.loadTable({ namespace: [ref.schema], name: ref.name });
    assert.ok(metadata['current-snapshot-id'] !== -1, `${tableKey(ref)} has a snapshot`);
    assert.ok(
      metadata.location.endsWith(`/${pathSegment(ref.schema)}/${pathSegment(ref.name)}`),
      metadata.location,
    );
    locations.add(metadata.location);
  }
  assert.equal(locations.size, 3);
});

test('DSI_WRITE_MODE=merge-on-read, one commit per file: position delete files through the REST catalog, PyIceberg reads expected/', async () => {
  const scenario = loadScenario('out-of-order');
  const namespace = isolate('out-of-order-mor').namespace;
  const prefix = 'out-of-order-mor';
  const tables = Object.fromEntries(
    Object.entries(scenario.tables).map(([key, t]) => [
      key.replace(/^public\./, `${namespace}.`),
      { columns: t.columns, primary_keys: t.primaryKeys },
    ]),
  );
  runtime = cloudRuntime(prefix, { DSI_TABLES: JSON.stringify(tables), DSI_WRITE_MODE: 'merge-on-read' });
  const tableKeys = Object.keys(tables);
  for (const relative of scenario.order) {
    const name = `${prefix}/${relative}`;
    const file = storage.bucket(names.bucket).file(name);
    await file.save(
      retarget(readFileSync(join(scenario.bucketRoot, relative)), relative.endsWith('.gz'), namespace),
    );
    const [meta] = await file.getMetadata();
    await deliver(name, String(meta.generation));
    // each file committed before the next arrives: later files change rows earlier commits stored
    const deadline = Date.now() + 60_000;
    for (;;) {
      const pending = await Promise.all(tableKeys.map((t) => runtime.state.listPendingChangesets(t, 1)));
      if (pending.every((p) => p.length === 0)) break;
      assert.ok(Date.now() < deadline, `change-sets still pending: ${JSON.stringify(pending)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const [namespacePart, tableName] = tableKeys[0]!.split('.');
  const { metadata } = await runtime.catalog.loadTable({ namespace: [namespacePart!], name: tableName! });
  assert.equal(metadata.properties?.['datastream-iceberg.write-mode'], 'merge-on-read');
  const summary = metadata.snapshots?.find(
    (s) => s['snapshot-id'] === metadata['current-snapshot-id'],
  )?.summary;
  assert.ok(Number(summary?.['total-delete-files'] ?? 0) > 0, JSON.stringify(summary));
  const jobs = tableKeys.map((table) => ({
    id: table,
    catalog: { type: 'rest', uri: stackEnv('ICEBERG_REST_URI') },
    table,
    columns: (tables[table] as { columns: Array<[string, string]> }).columns,
    expected: join(scenario.root, 'expected', `${table.replace(`${namespace}.`, 'public.')}.jsonl`),
  }));
  const seen = await compareTablesWithPyIceberg(jobs);
  for (const job of jobs) {
    assert.ok(seen[job.id]!.expected.length > 0, `${job.id}: expected rows`);
    assert.deepEqual(seen[job.id]!.actual, seen[job.id]!.expected, job.id);
  }
});
