// `replay` and the repair of a bad file on the whole cloud path (emulator stack, the seed's trigger: GCS
// notification → Pub/Sub push → ingestPubsub). An applied file replayed — through the command on the
// deployment's configuration, and again in-process — gets new Cloud Tasks task names, the commit runs and
// finds nothing to apply, and the table keeps its snapshot. A file that fails changes nothing, is failed
// again when replayed unchanged, and once uploaded again fixed (a new generation) is applied.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloudTasksQueue } from '../../shared/adapters/gcp/cloud-tasks-queue.js';
import { recordedChangesets } from '../../shared/cow/recorded-changesets.js';
import { tableIdentifier } from '../../shared/table/table-identifier.js';
import {
  replayFile,
  resolveReplayTarget,
  type ReplayedTask,
  type ReplayOutcome,
} from '../../shared/pipeline/replay-file.js';
import { stableId } from '../../shared/util/hash.js';
import { tasksClient } from '../support/emulator-clients.js';
import { isolate } from '../support/isolation.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { runCliCommand, runReplayCommand } from './replay-command.js';
import type { StatusReport } from '../../functions/cli/status.js';
import { assertReadsExpected, scenarioInNamespace } from './scenario-tables.js';

const SCENARIO = 'seed-validation';
const FAILED_PRECONDITION = 9;

/** Per table: the current snapshot id and how many snapshots the table has. */
async function snapshotsOf(pipeline: Pipeline, tables: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of tables) {
    const { metadata } = await pipeline.runtime.catalog.loadTable(tableIdentifier(table));
    out[table] = `${String(metadata['current-snapshot-id'])} of ${metadata.snapshots?.length ?? 0}`;
  }
  return out;
}

/**
 * Waits until Cloud Tasks has dispatched each task and the commit function acknowledged it: the emulator
 * then answers GetTask with FAILED_PRECONDITION ("successfully completed or was deleted").
 */
async function waitUntilDispatched(pipeline: Pipeline, tasks: ReplayedTask[]): Promise<void> {
  const client = tasksClient();
  const queue = pipeline.runtime.queue as CloudTasksQueue;
  try {
    for (const task of tasks) {
      const name = `${queue.queuePath(task.table)}/tasks/${task.taskId}`;
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await client.getTask({ name });
        } catch (error) {
          if ((error as { code?: number }).code === FAILED_PRECONDITION) break;
          throw error;
        }
        assert.ok(Date.now() < deadline, `task ${name} was not dispatched within 60 s`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    await client.close();
  }
}

function requeued(outcome: ReplayOutcome): Extract<ReplayOutcome, { action: 'requeued' }> {
  assert.equal(outcome.action, 'requeued', JSON.stringify(outcome));
  return outcome as Extract<ReplayOutcome, { action: 'requeued' }>;
}

test('replaying an applied file queues its change-sets under new task names and leaves the table unchanged', async () => {
  const run = scenarioInNamespace(SCENARIO, isolate('replay applied').namespace);
  const pipeline = await startPipeline({ label: 'replay applied', trigger: 'pubsub', tables: run.tables });
  try {
    const uploaded = [];
    for (const file of run.files)
      uploaded.push({ name: file.name, ...(await pipeline.upload(file.name, file.bytes)) });
    const tables = Object.keys(run.tables);
    await pipeline.waitUntilApplied(tables);
    const before = await snapshotsOf(pipeline, tables);

    // `status --cloud`, configured like the functions, sees what the catalog and Firestore hold.
    const status = await runCliCommand('status', ['--cloud', '--json'], pipeline.environment);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout.trim().split('\n').pop()!) as StatusReport;
    assert.equal(report.files, null, 'files are not counted on the cloud');
    for (const table of tables) {
      const row = report.tables.find((t) => t.table === table);
      assert.ok(row, `status lists ${table}`);
      assert.equal(row.snapshotId, before[table]!.split(' of ')[0], table);
      assert.equal(row.pendingChangesets, 0, table);
      assert.ok(row.lagMs !== null && row.lagMs > 0, `${table}: lag ${row.lagMs}`);
    }

    const first = uploaded[0]!;
    const target = `gs://${pipeline.bucket}/${first.name}`;

    // The operator's way: the command, configured like the functions.
    const command = await runReplayCommand([target, '--json'], pipeline.environment);
    assert.equal(command.code, 0, command.stderr);
    const byCommand = requeued(JSON.parse(command.stdout.trim().split('\n').pop()!) as ReplayOutcome);
    assert.equal(byCommand.generation, first.generation);
    assert.deepEqual(byCommand.tasks.map((t) => t.changesetId).sort(), [...first.record.changesetIds].sort());
    assert.ok(byCommand.tasks.every((t) => t.changesetStatus === 'committed'));

    // Again, naming the generation: every replay has task names of its own, none the ingest's.
    const deps = pipeline.ingestDependencies;
    const again = requeued(
      await replayFile(deps, await resolveReplayTarget(deps, `${target}#${first.generation}`)),
    );
    const ingestNames = first.record.changesetIds.map((id) => stableId(['commit', id]));
    const names = [...byCommand.tasks, ...again.tasks].map((t) => t.taskId);
    assert.equal(new Set([...names, ...ingestNames]).size, names.length + ingestNames.length);

    await waitUntilDispatched(pipeline, [...byCommand.tasks, ...again.tasks]);
    assert.deepEqual(await snapshotsOf(pipeline, tables), before);
    await assertReadsExpected(pipeline, run);
  } finally {
    await pipeline.close();
  }
});

test('a failed file changes nothing, fails again when replayed unchanged, and is applied once uploaded fixed', async () => {
  const run = scenarioInNamespace(SCENARIO, isolate('replay fixed').namespace);
  const pipeline = await startPipeline({ label: 'replay fixed', trigger: 'pubsub', tables: run.tables });
  try {
    const last = run.files[run.files.length - 1]!;
    for (const file of run.files.slice(0, -1)) await pipeline.upload(file.name, file.bytes);
    const tables = Object.keys(run.tables);
    await pipeline.waitUntilApplied(tables);
    const before = await snapshotsOf(pipeline, tables);

    // The last file arrives broken: its second line is cut in the middle.
    const lines = last.bytes.toString('utf8').split('\n');
    lines[1] = lines[1]!.slice(0, Math.floor(lines[1]!.length / 2));
    const broken = await pipeline.upload(last.name, Buffer.from(lines.join('\n')));
    assert.equal(broken.record.status, 'failed');
    // the reason names the object and the line
    assert.ok(broken.record.reason?.includes(`${last.name}:2:`), broken.record.reason);
    assert.deepEqual(broken.record.changesetIds, []);

    // Replayed as it is, it is read again and rejected again.
    const deps = pipeline.ingestDependencies;
    const location = `gs://${pipeline.bucket}/${last.name}`;
    const retried = await replayFile(deps, await resolveReplayTarget(deps, location));
    assert.equal(retried.action, 'ingested');
    assert.equal(retried.action === 'ingested' && retried.previous, 'failed');
    assert.equal(retried.action === 'ingested' && retried.outcome.status, 'failed');
    assert.deepEqual(await snapshotsOf(pipeline, tables), before);

    // Uploaded again fixed: a new generation, ingested by the notification like any new file.
    const fixed = await pipeline.upload(last.name, last.bytes);
    assert.notEqual(fixed.generation, broken.generation);
    assert.equal(fixed.record.status, 'staged', fixed.record.reason);
    await pipeline.waitUntilApplied(tables);
    for (const id of fixed.record.changesetIds) {
      const changeset = await pipeline.runtime.state.getChangeset(id);
      assert.equal(changeset?.status, 'committed', id);
      const { metadata } = await pipeline.runtime.catalog.loadTable(tableIdentifier(changeset.table));
      assert.ok(recordedChangesets(metadata, 100).has(id), `${id} is in a snapshot summary`);
    }
    await assertReadsExpected(pipeline, run);

    // The broken generation is gone from the bucket: replaying it is refused with the reason.
    await assert.rejects(
      replayFile(deps, await resolveReplayTarget(deps, `${location}#${broken.generation}`)),
      /no longer the object's current generation/,
    );
  } finally {
    await pipeline.close();
  }
});
