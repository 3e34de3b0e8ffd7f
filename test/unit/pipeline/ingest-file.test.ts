// ingestFile on the embedded defaults (local folder, SQLite state, in-process queue), on the fixtures.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalObjectStore } from '../../../shared/adapters/embedded/local-object-store.js';
import { SqliteStateStore } from '../../../shared/adapters/embedded/sqlite-state-store.js';
import { decodeChangeSet } from '../../../shared/changes/change-set.js';
import { createLogger, silentLogger } from '../../../shared/log.js';
import { loadCloudConfig } from '../../../shared/config.js';
import { createCloudRuntime } from '../../../shared/runtime/cloud.js';
import { fileIdOf, ingestFile, type IngestDependencies } from '../../../shared/pipeline/ingest-file.js';
import { ConfiguredTableDirectory } from '../../../shared/pipeline/table-directory.js';
import type { CommitTask, TaskQueue } from '../../../shared/ports/task-queue.js';
import { loadScenario } from '../../support/scenarios.js';

/** Records tasks instead of running them: these tests look at what ingest enqueues. */
class RecordingQueue implements TaskQueue {
  readonly tasks: CommitTask[] = [];
  async enqueue(task: CommitTask): Promise<'created' | 'exists'> {
    if (this.tasks.some((t) => t.taskId === task.taskId)) return 'exists';
    this.tasks.push(task);
    return 'created';
  }
}

function setup(scenarioName: string) {
  const scenario = loadScenario(scenarioName);
  const dir = mkdtempSync(join(tmpdir(), 'dsi-ingest-'));
  const bucket = join(dir, 'bucket');
  cpSync(scenario.bucketRoot, bucket, { recursive: true });
  const state = new SqliteStateStore(':memory:');
  const queue = new RecordingQueue();
  const deps: IngestDependencies = {
    objects: new LocalObjectStore(),
    state,
    queue,
    tables: new ConfiguredTableDirectory(scenario.tables),
    workRoot: join(dir, 'work'),
    landingPrefix: 'cdc-staging/',
    log: silentLogger,
  };
  const source = (name: string, generation = '1') => ({
    bucket: 'landing',
    name,
    generation,
    location: join(bucket, name),
  });
  return { scenario, deps, state, queue, source };
}

test('every file of a scenario stages one change-set per table, with one task each', async () => {
  const { scenario, deps, state, queue, source } = setup('seed-validation');
  let events = 0;
  for (const name of scenario.order) {
    const outcome = await ingestFile(deps, source(name));
    assert.equal(outcome.status, 'staged', name);
    if (outcome.status === 'staged') events += outcome.changesets.reduce((n, c) => n + c.events, 0);
  }
  const pending = await state.listPendingChangesets('public.products', 100);
  assert.equal(pending.length, scenario.order.length);
  assert.equal(queue.tasks.length, scenario.order.length);
  assert.deepEqual(new Set(queue.tasks.map((t) => t.table)), new Set(['public.products']));
  // The staged objects decode to exactly the events counted at ingest.
  let decoded = 0;
  for (const record of pending) {
    const changeSet = decodeChangeSet(await deps.objects.get(record.location));
    assert.equal(changeSet.events.length, record.eventCount);
    decoded += changeSet.events.length;
  }
  assert.equal(decoded, events);
});

test('the same generation again changes nothing; a new generation is processed again', async () => {
  const { scenario, deps, state, queue, source } = setup('seed-validation');
  const name = scenario.order[0] as string;
  const first = await ingestFile(deps, source(name, '1'));
  assert.equal(first.status, 'staged');
  const again = await ingestFile(deps, source(name, '1'));
  assert.deepEqual(again, {
    status: 'duplicate',
    fileId: first.status === 'staged' ? first.fileId : '',
    previous: 'staged',
  });
  assert.equal(queue.tasks.length, 1);
  assert.equal((await state.listPendingChangesets('public.products', 10)).length, 1);
  const rewritten = await ingestFile(deps, source(name, '2'));
  assert.equal(rewritten.status, 'staged');
  assert.equal(queue.tasks.length, 2);
  assert.equal((await state.listPendingChangesets('public.products', 10)).length, 2);
});

test('a run that died after claiming the file finishes it on re-delivery', async () => {
  const { scenario, deps, state, queue, source } = setup('seed-validation');
  const name = scenario.order[0] as string;
  const file = source(name);
  // Simulate a crash right after the claim: the record exists, still processing, nothing staged.
  const { fileIdOf } = await import('../../../shared/pipeline/ingest-file.js');
  await state.createFile({
    fileId: fileIdOf(file),
    location: file.location,
    generation: file.generation,
    status: 'processing',
    changesetIds: [],
    eventCounts: {},
    createdAtMs: 1,
    updatedAtMs: 1,
  });
  const outcome = await ingestFile(deps, file);
  assert.equal(outcome.status, 'staged');
  assert.equal(queue.tasks.length, 1);
  assert.equal((await state.getFile(fileIdOf(file)))?.status, 'staged');
});

test('bad files are recorded as failed with a reason naming the file, and stage nothing', async () => {
  const { scenario, deps, state, queue, source } = setup('bad-input');
  const badFiles = scenario.order.filter((name) => name.startsWith('cdc-staging/'));
  assert.ok(badFiles.length >= 5);
  for (const name of badFiles) {
    const outcome = await ingestFile(deps, source(name));
    assert.equal(outcome.status, 'failed', name);
    if (outcome.status === 'failed') {
      const fileName = name.slice(name.lastIndexOf('/') + 1);
      assert.ok(outcome.reason.includes(fileName), `${outcome.reason} names ${fileName}`);
    }
  }
  assert.equal(queue.tasks.length, 0);
  assert.equal((await state.listPendingChangesets('public.products', 10)).length, 0);
  assert.equal((await state.listFiles({ status: 'failed' })).length, badFiles.length);
  const unrelated = await ingestFile(deps, source('unrelated/report.csv'));
  assert.equal(unrelated.status, 'ignored');
});

test('a file beyond a read limit fails naming the limit and its line, and the next file still stages', async () => {
  const { scenario, deps, state, source } = setup('seed-validation');
  const name = scenario.order[0] as string;
  const lines = readFileSync(source(name).location, 'utf8').split('\n');
  const longest = Math.max(...lines.map((l) => Buffer.byteLength(l)));
  const longestAt = lines.findIndex((l) => Buffer.byteLength(l) === longest) + 1;
  const limited = { ...deps, readLimits: { maxLineBytes: longest - 1 } };
  const outcome = await ingestFile(limited, source(name));
  assert.equal(outcome.status, 'failed');
  if (outcome.status === 'failed') {
    assert.match(
      outcome.reason,
      new RegExp(
        `:${longestAt}: the line is larger than the limit of ${longest - 1} bytes \\(DSI_MAX_LINE_BYTES\\)`,
      ),
    );
  }
  const next = await ingestFile(deps, source(scenario.order[1] as string));
  assert.equal(next.status, 'staged');
  assert.equal((await state.listFiles({ status: 'failed' })).length, 1);
});

test('an object of another bucket than the landing bucket is ignored and logged, and records nothing', async () => {
  const { scenario, deps, state, queue, source } = setup('seed-validation');
  const lines: string[] = [];
  const log = createLogger({}, (line) => lines.push(line));
  const landing = { ...deps, landingBucket: 'landing', log };
  const name = scenario.order[0]!;
  const foreign = await ingestFile(landing, { ...source(name), bucket: 'someone-elses' });
  assert.deepEqual(foreign, { status: 'ignored', reason: 'outside the landing bucket landing' });
  assert.equal(await state.getFile(fileIdOf({ ...source(name), bucket: 'someone-elses' })), undefined);
  assert.equal(queue.tasks.length, 0);
  const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(
    logged.map((l) => [l.severity, l.message, l.bucket]),
    [['WARNING', 'object ignored', 'someone-elses']],
  );
  assert.equal((await ingestFile(landing, source(name))).status, 'staged');
});

test('the cloud configuration reads DSI_LANDING_BUCKET; ingest refuses to run without it', () => {
  const env = {
    GOOGLE_CLOUD_PROJECT: 'p',
    DSI_WORK_ROOT: 'gs://lake/work',
    DSI_CATALOG_WAREHOUSE: 'gs://lake',
    DSI_TASKS_LOCATION: 'us-central1',
    DSI_COMMIT_URL: 'https://commit.example/commit',
    DSI_CATALOG_AUTH: 'none',
  };
  assert.equal(loadCloudConfig({ ...env, DSI_LANDING_BUCKET: 'landing-1' }).landingBucket, 'landing-1');
  assert.throws(
    () => loadCloudConfig({ ...env, DSI_LANDING_BUCKET: 'gs://landing-1' }),
    /DSI_LANDING_BUCKET="gs:\/\/landing-1" must be a bucket name/,
  );
  const without = createCloudRuntime(loadCloudConfig(env));
  assert.equal(without.commitDependencies().catalog !== undefined, true, 'commit runs without it');
  assert.throws(() => without.ingestDependencies(), /DSI_LANDING_BUCKET is required to ingest/);
});
