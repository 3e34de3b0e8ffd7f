// Maintenance in the cloud path on the emulator stack: a table built by commitTable through the Iceberg
// REST reference catalog (state in Firestore, change-sets in fake-gcs-server), then a maintenance task
// enqueued on the table's Cloud Tasks queue and dispatched to functions/commit, which runs it under the
// table's lease: compaction commits a `replace` snapshot, expiry removes the older snapshots through the
// catalog's remove-snapshots update and deletes the files only they used. PyIceberg reads the same rows
// through the REST catalog before and after.

import { tableKey } from '../../../shared/changes/change-event.js';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { commitHandler } from '../../../functions/commit.js';
import { loadCloudConfig } from '../../../shared/config.js';
import { currentSnapshot } from '../../../shared/iceberg/spec/snapshot.js';
import { readLiveDataFiles } from '../../../shared/iceberg/table-files.js';
import type { Schema } from '../../../shared/iceberg/spec/types.js';
import { commitTable } from '../../../shared/pipeline/commit-table.js';
import { createCloudRuntime, type CloudRuntime } from '../../../shared/runtime/cloud.js';
import { projectId, storageClient } from '../../support/emulator-clients.js';
import { serveFunction, type ServedFunction } from '../../support/function-server.js';
import { isolate } from '../../support/isolation.js';
import { runPython } from '../../support/python.js';
import { stackEnv } from '../../support/stack-env.js';
import { change, stageChangeset } from '../../unit/cow/support/stage.js';

const names = isolate('maintain task');
const storage = storageClient();
let runtime: CloudRuntime;
let commitServer: ServedFunction;

const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'int' },
    { id: 2, name: 'qty', required: false, type: 'int' },
  ],
};

before(async () => {
  await storage.createBucket(names.bucket);
  commitServer = await serveFunction(`commit-${names.id}`, { http: commitHandler(() => runtime) });
  runtime = createCloudRuntime(
    loadCloudConfig({
      GOOGLE_CLOUD_PROJECT: projectId(),
      DSI_WORK_ROOT: `gs://${names.bucket}/_datastream_iceberg`,
      DSI_CATALOG_URI: stackEnv('ICEBERG_REST_URI'),
      DSI_CATALOG_WAREHOUSE: stackEnv('ICEBERG_REST_WAREHOUSE'),
      DSI_CATALOG_AUTH: 'none',
      DSI_FIRESTORE_PREFIX: names.collectionPrefix,
      DSI_TASKS_LOCATION: 'us-central1',
      DSI_COMMIT_URL: commitServer.url,
      DSI_QUEUE_PREFIX: names.queue('m').slice(0, 40),
      DSI_STORAGE_ENDPOINT: stackEnv('STORAGE_EMULATOR_HOST'),
      DSI_CLOUD_TASKS_ENDPOINT: stackEnv('CLOUD_TASKS_EMULATOR_HOST'),
      DSI_LOG_LEVEL: 'WARNING',
    }),
  );
});

after(async () => {
  await commitServer.close();
});

function readRows(table: string): Promise<{ rows: string[]; files: number }> {
  return runPython(
    `
import json, sys
from pyiceberg.catalog.rest import RestCatalog
t = RestCatalog("rest", uri=sys.argv[1]).load_table(sys.argv[2])
scan = t.scan()
print(json.dumps({"rows": sorted(json.dumps(r, sort_keys=True) for r in scan.to_arrow().to_pylist()),
                  "files": len(list(scan.plan_files()))}))
`,
    [stackEnv('ICEBERG_REST_URI'), table],
  );
}

test('a maintenance task on the table queue compacts and expires through the REST catalog', async () => {
  const ref = { schema: names.namespace, name: 'items' };
  const table = tableKey(ref);
  const id = { namespace: [ref.schema], name: ref.name };
  const commits = 12;
  for (let i = 0; i < commits; i++) {
    const events = [0, 1, 2].map((k) =>
      change(ref, ['id'], 'upsert', { id: i * 3 + k, qty: i }, 1000 + i * 3 + k),
    );
    if (i % 4 === 3) events.push(change(ref, ['id'], 'upsert', { id: i, qty: 999 }, 5000 + i));
    await stageChangeset(
      { objects: runtime.objects, state: runtime.state, workRoot: runtime.config.workRoot },
      ref,
      SCHEMA,
      ['id'],
      events,
    );
    const result = await commitTable(runtime.commitDependencies(), table);
    assert.equal(result.status, 'committed');
  }
  const built = await runtime.catalog.loadTable(id);
  const firstFiles = built.metadata.snapshots!.length;
  assert.equal(firstFiles, commits);
  const liveBefore = await readLiveDataFiles(built.metadata, runtime.objects);
  const pyBefore = await readRows(table);
  assert.equal(pyBefore.files, liveBefore.length);
  assert.ok(liveBefore.length >= commits);

  const enqueued = await runtime.queue.enqueue({
    taskId: `maintain-${names.id}`,
    table,
    changesetId: '',
    kind: 'maintain',
    maintenance: { expireOlderThanMs: 0, retainLast: 1 },
  });
  assert.equal(enqueued, 'created');

  const deadline = Date.now() + 60_000;
  let metadata = built.metadata;
  for (;;) {
    metadata = (await runtime.catalog.loadTable(id)).metadata;
    // done when the older snapshots are gone and so are the files only they used (deleted after the commit)
    const left = await Promise.all(liveBefore.map((f) => runtime.objects.stat(f.dataFile.filePath)));
    if (metadata.snapshots!.length === 1 && left.every((f) => f === undefined)) break;
    assert.ok(Date.now() < deadline, `maintenance did not finish: ${metadata.snapshots!.length} snapshots`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const snap = currentSnapshot(metadata)!;
  assert.equal(snap.summary.operation, 'replace');
  const liveAfter = await readLiveDataFiles(metadata, runtime.objects);
  assert.equal(liveAfter.length, 1);

  const pyAfter = await readRows(table);
  assert.equal(pyAfter.files, 1);
  assert.deepEqual(pyAfter.rows, pyBefore.rows, 'PyIceberg reads the same rows through the REST catalog');
});

test('a task body with a field out of bounds is rejected naming the field, and acknowledged', async () => {
  const table = `${names.namespace}.never_touched`;
  for (const [options, field] of [
    [{ leaseTtlMs: 0 }, 'leaseTtlMs'],
    [{ orphansOlderThanMs: 0 }, 'orphansOlderThanMs'],
    [{ maxAttempts: 1e9 }, 'maxAttempts'],
  ] as const) {
    const response = await fetch(commitServer.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'maintain', table, options }),
    });
    // 200: Cloud Tasks retries any other status, and a retry would not fix the body
    assert.equal(response.status, 200, field);
    const body = (await response.json()) as { status: string; reason: string };
    assert.equal(body.status, 'rejected', field);
    assert.match(body.reason, new RegExp(`^maintenance option ${field}: .* is out of range`));
  }
});
