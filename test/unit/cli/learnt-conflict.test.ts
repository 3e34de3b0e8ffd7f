// Two processes learn one new table from files whose values disagree (a number here, a boolean there),
// and both stage before either commits. The commit creates the table from the first change-set and
// rejects the other: its file fails naming file, line, column and both types, the table keeps working,
// and applying the fixed file brings status back to 0.

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../../shared/log.js';
import { ingestFile } from '../../../shared/pipeline/ingest-file.js';
import { createEmbeddedRuntime } from '../../../shared/runtime/embedded.js';
import { cli, tempWarehouse } from './cli-process.js';

const T0 = Date.UTC(2026, 10, 24, 9);

function itemLine(id: number, v: unknown, n: number): string {
  return JSON.stringify({
    uuid: `u${n}`,
    read_timestamp: '2026-11-24T09:00:16.767000Z',
    source_timestamp: new Date(T0 + n).toISOString(),
    object: 'public_items',
    read_method: 'postgresql-cdc',
    sort_keys: [T0 + n, `1/${n}`],
    source_metadata: {
      schema: 'public',
      table: 'items',
      is_deleted: false,
      change_type: 'INSERT',
      lsn: `1/${n}`,
      primary_keys: ['id'],
    },
    payload: { id, v },
  });
}

/** Stage one file as a process of its own does: its own table directory, no commit. */
async function stageAlone(warehouse: string, bucket: string, name: string): Promise<void> {
  const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger });
  try {
    const location = join(bucket, name);
    const info = await runtime.objects.stat(location);
    const outcome = await ingestFile(runtime.ingestDependencies(), {
      bucket: basename(bucket),
      name,
      generation: info!.generation,
      location,
    });
    assert.equal(outcome.status, 'staged');
  } finally {
    runtime.close();
  }
}

test('conflicting learnt types of one new table: the later file fails with both types, a fixed one recovers', async () => {
  const root = tempWarehouse();
  try {
    const bucket = join(root, 'landing');
    const warehouse = join(root, 'warehouse');
    mkdirSync(bucket);
    writeFileSync(join(bucket, 'a.jsonl'), `${itemLine(1, 5, 1)}\n`);
    writeFileSync(join(bucket, 'b.jsonl'), `${itemLine(2, true, 2)}\n`);
    await stageAlone(warehouse, bucket, 'a.jsonl');
    await stageAlone(warehouse, bucket, 'b.jsonl');

    // the commit runs in the next apply: a.jsonl creates the table, b.jsonl is rejected
    const apply = cli(['apply', bucket, '--warehouse', warehouse, '--json']);
    assert.equal(apply.status, 1, apply.stderr + apply.stdout);
    const report = JSON.parse(apply.stdout) as {
      files: { file: string; outcome: { status: string; reason?: string } }[];
      failures: unknown[];
    };
    assert.deepEqual(report.failures, [], 'the table does not fail');
    const b = report.files.find((f) => f.file.endsWith('b.jsonl'))!;
    assert.equal(b.outcome.status, 'failed');
    assert.match(b.outcome.reason!, /b\.jsonl:1: column "v", value true/);
    assert.match(b.outcome.reason!, /column "v" is "string" in the table but "boolean" in the changes/);

    let status = cli(['status', '--warehouse', warehouse, '--json']);
    assert.equal(status.status, 1);
    const before = JSON.parse(status.stdout) as {
      tables: { table: string; pendingChangesets: number; failure: string | null; snapshotId: string }[];
      failedFiles: { file: string }[];
    };
    assert.equal(before.tables.length, 1);
    assert.equal(before.tables[0]!.pendingChangesets, 0);
    assert.equal(before.tables[0]!.failure, null);
    assert.notEqual(before.tables[0]!.snapshotId, null);
    assert.deepEqual(
      before.failedFiles.map((f) => basename(f.file)),
      ['b.jsonl'],
    );

    // the same file again is rejected again, now when it is read (the table exists)
    assert.equal(cli(['replay', join(bucket, 'b.jsonl'), '--warehouse', warehouse]).status, 1);

    // the fixed file (a new generation of the same object) is applied, and the failure is history
    writeFileSync(join(bucket, 'b.jsonl'), `${itemLine(2, 7, 2)}\n`);
    const fixed = cli(['apply', bucket, '--warehouse', warehouse]);
    assert.equal(fixed.status, 0, fixed.stdout + fixed.stderr);
    status = cli(['status', '--warehouse', warehouse, '--json']);
    assert.equal(status.status, 0, status.stdout);
    const show = cli(['show', 'public.items', '--warehouse', warehouse]);
    assert.equal(show.status, 0, show.stderr);
    assert.deepEqual(
      show.stdout
        .trim()
        .split('\n')
        .map((line) => {
          const row = JSON.parse(line) as { id: number; v: unknown };
          return [row.id, row.v];
        }),
      [
        [1, '5'],
        [2, '7'],
      ],
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
