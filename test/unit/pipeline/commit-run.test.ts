// Commit runs as operated: a commit that runs longer than its lease's time to live: with background renewal it keeps the table
// (a second worker cannot take it) and commits; without, the second worker takes the table and the first
// stops before committing. Real time, real SQLite state store, the embedded runtime's engine.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, silentLogger } from '../../../shared/log.js';
import { ingestFile } from '../../../shared/pipeline/ingest-file.js';
import { commitTable, type CommitResult } from '../../../shared/pipeline/commit-table.js';
import { createEmbeddedRuntime } from '../../../shared/runtime/embedded.js';
import { loadScenario } from '../../support/scenarios.js';

const TTL_MS = 400;
const WORK_MS = 1500;

async function longCommit(renewEveryMs: number): Promise<{ result: CommitResult; takenByOther: number }> {
  const scenario = loadScenario('seed-validation');
  const dir = mkdtempSync(join(tmpdir(), 'dsi-lease-'));
  const bucket = join(dir, 'bucket');
  cpSync(scenario.bucketRoot, bucket, { recursive: true });
  const runtime = createEmbeddedRuntime({
    warehouse: join(dir, 'warehouse'),
    tables: scenario.tables,
    landingPrefix: 'cdc-staging/',
    log: silentLogger,
  });
  try {
    const name = scenario.order[0]!;
    const staged = await ingestFile(runtime.ingestDependencies(), {
      bucket: 'landing',
      name,
      generation: '1',
      location: join(bucket, name),
    });
    assert.equal(staged.status, 'staged');
    const table = 'public.products';
    let takenByOther = 0;
    const result = await commitTable(
      {
        ...runtime.commitDependencies(),
        options: { leaseTtlMs: TTL_MS, renewEveryMs, minLeaseLeftMs: 50 },
        hooks: {
          // The slow part of a big commit: meanwhile a second worker keeps trying to take the table.
          afterFilesWritten: async () => {
            const until = Date.now() + WORK_MS;
            while (Date.now() < until) {
              const other = await runtime.state.acquireLease(table, 'second worker', TTL_MS, Date.now());
              if (other) takenByOther++;
              await sleep(50);
            }
          },
        },
      },
      table,
    );
    return { result, takenByOther };
  } finally {
    runtime.close();
  }
}

test('renewed in the background, a commit longer than its lease keeps the table and commits', async () => {
  const { result, takenByOther } = await longCommit(TTL_MS / 4);
  assert.equal(takenByOther, 0, 'the second worker took the table');
  assert.equal(result.status, 'committed');
});

test('without renewal the same commit loses the table to the second worker and does not commit', async () => {
  const { result, takenByOther } = await longCommit(0);
  assert.ok(takenByOther > 0, 'the second worker never got the table');
  assert.equal(result.status, 'lease-lost');
});

test('the committed log line carries the ids, counts, duration, lag and backlog an operator watches', async () => {
  const scenario = loadScenario('seed-validation');
  const dir = mkdtempSync(join(tmpdir(), 'dsi-log-'));
  const bucket = join(dir, 'bucket');
  cpSync(scenario.bucketRoot, bucket, { recursive: true });
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const runtime = createEmbeddedRuntime({
    warehouse: join(dir, 'warehouse'),
    tables: scenario.tables,
    landingPrefix: 'cdc-staging/',
    log,
  });
  try {
    const name = scenario.order[0]!;
    await ingestFile(runtime.ingestDependencies(), {
      bucket: 'landing',
      name,
      generation: '1',
      location: join(bucket, name),
    });
    const result = await commitTable(runtime.commitDependencies(), 'public.products');
    assert.equal(result.status, 'committed');
    const committed = lines.find((l) => l.message === 'committed');
    assert.ok(committed, 'no committed line');
    assert.equal(committed.severity, 'INFO');
    assert.equal(committed.table, 'public.products');
    assert.equal(committed.snapshotId, result.status === 'committed' ? result.snapshotId : undefined);
    assert.equal(typeof committed.durationMs, 'number');
    // The fixture's changes are from the past: the lag is now minus their newest source timestamp.
    const lagMs = committed.lagMs as number;
    assert.ok(lagMs > 0 && lagMs < Date.now(), `lagMs ${lagMs}`);
    assert.equal(committed.pendingChangesets, 0, 'the one change-set was committed');
  } finally {
    runtime.close();
  }
});

test('the committed log line counts the change-sets a budget-bound commit leaves pending', async () => {
  const scenario = loadScenario('seed-validation');
  const dir = mkdtempSync(join(tmpdir(), 'dsi-log-'));
  const bucket = join(dir, 'bucket');
  cpSync(scenario.bucketRoot, bucket, { recursive: true });
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const runtime = createEmbeddedRuntime({
    warehouse: join(dir, 'warehouse'),
    tables: scenario.tables,
    landingPrefix: 'cdc-staging/',
    log,
  });
  try {
    const products = scenario.order.filter((name) => name.includes('/public_products/'));
    assert.ok(products.length >= 3, `${products.length} product files`);
    for (const [i, name] of products.entries()) {
      await ingestFile(runtime.ingestDependencies(), {
        bucket: 'landing',
        name,
        generation: String(i + 1),
        location: join(bucket, name),
      });
    }
    const deps = runtime.commitDependencies();
    // A one-row budget takes one change-set per commit (at least one is always taken).
    const budgeted = { ...deps, options: { ...deps.options, maxRows: 1 } };
    for (let left = products.length - 1; left >= 0; left--) {
      lines.length = 0;
      const result = await commitTable(budgeted, 'public.products');
      assert.equal(result.status, 'committed');
      const committed = lines.find((l) => l.message === 'committed');
      assert.equal(committed?.pendingChangesets, left);
    }
  } finally {
    runtime.close();
  }
});
