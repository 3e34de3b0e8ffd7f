// `datastream-iceberg status`: per table the last snapshot, the lag measured from the newest source
// timestamp the table has applied (computed here from the files' own sort keys), and the change-sets
// staged but not committed, also for a table no commit has created yet.

import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { silentLogger } from '../../../shared/log.js';
import { ingestFile } from '../../../shared/pipeline/ingest-file.js';
import { createEmbeddedRuntime } from '../../../shared/runtime/embedded.js';
import { loadScenario, type Scenario } from '../../support/scenarios.js';
import { cli, tempWarehouse } from './cli-process.js';

interface StatusReport {
  tables: {
    table: string;
    snapshotId: string | null;
    snapshotAt: string | null;
    newestSourceTs: string | null;
    lagMs: number | null;
    pendingChangesets: number;
  }[];
  files: { staged: number; failed: number; processing: number };
  failedFiles: unknown[];
}

/** The greatest sort_keys[0] (source ms) over every line of files, read from the raw text. */
function newestSourceMs(scenario: Scenario, files: readonly string[] = scenario.order): number {
  let newest = -Infinity;
  for (const name of files) {
    let bytes = readFileSync(join(scenario.bucketRoot, name));
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
    for (const line of bytes.toString('utf8').split('\n')) {
      if (line.trim()) newest = Math.max(newest, (JSON.parse(line) as { sort_keys: [number] }).sort_keys[0]);
    }
  }
  return newest;
}

function status(warehouse: string): StatusReport {
  const run = cli(['status', '--warehouse', warehouse, '--json']);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as StatusReport;
}

test('status: last snapshot, lag from the newest applied source timestamp, pending change-sets', async () => {
  const warehouse = tempWarehouse();
  try {
    const seed = loadScenario('seed-validation');
    assert.equal(cli(['apply', seed.bucketRoot, '--warehouse', warehouse]).status, 0);
    const newest = newestSourceMs(seed);
    const before = Date.now();
    const report = status(warehouse);
    const after = Date.now();
    const describe = JSON.parse(
      cli(['tables', 'describe', 'public.products', '--warehouse', warehouse, '--json']).stdout,
    ) as { currentSnapshot: { id: string; at: string } };
    assert.equal(report.tables.length, 1);
    const products = report.tables[0]!;
    assert.equal(products.table, 'public.products');
    assert.equal(products.snapshotId, describe.currentSnapshot.id);
    assert.equal(products.snapshotAt, describe.currentSnapshot.at);
    assert.equal(products.newestSourceTs, new Date(newest).toISOString());
    assert.ok(
      products.lagMs! >= before - newest && products.lagMs! <= after - newest,
      `lag ${products.lagMs}`,
    );
    assert.equal(products.pendingChangesets, 0);
    assert.equal(report.files.staged, seed.order.length);

    // stage without committing: one more file of the same table, one of a table not created yet
    const runtime = createEmbeddedRuntime({
      warehouse,
      log: silentLogger,
      tables: { ...loadScenario('out-of-order').tables, ...loadScenario('composite-and-no-pk').tables },
    });
    try {
      for (const [scenario, name] of [
        [loadScenario('out-of-order'), loadScenario('out-of-order').order[0]!],
        [
          loadScenario('composite-and-no-pk'),
          'cdc-staging/public_order_items/2026/11/24/09/00/d3babe9bfc56d507f0b26e1dfd4524f34901e50f_postgresql-cdc_-2108492267_0_92767.jsonl',
        ],
      ] as const) {
        const outcome = await ingestFile(runtime.ingestDependencies(), {
          bucket: 'bucket',
          name,
          generation: '1',
          location: join(scenario.bucketRoot, name),
        });
        assert.equal(outcome.status, 'staged');
      }
    } finally {
      runtime.close();
    }
    const staged = status(warehouse);
    assert.deepEqual(
      staged.tables.map((t) => [t.table, t.pendingChangesets, t.snapshotId]),
      [
        ['public.order_items', 1, null],
        ['public.products', 1, products.snapshotId],
      ],
    );
    assert.equal(staged.tables[1]!.newestSourceTs, products.newestSourceTs, 'nothing new applied yet');
    const text = cli(['status', '--warehouse', warehouse]);
    assert.match(text.stdout, /public\.products: snapshot \d+ \(.*\), lag \S+, 1 pending/);
    assert.match(text.stdout, /public\.order_items: snapshot - \(never\), lag unknown, 1 pending/);
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});

test('status: the newest applied source timestamp is carried forward by a commit of older changes', () => {
  const warehouse = tempWarehouse();
  try {
    const scenario = loadScenario('out-of-order');
    // one apply (so one commit) per file, newest file first: later commits bring only older changes
    const files = [...scenario.order].sort(
      (a, b) => newestSourceMs(scenario, [b]) - newestSourceMs(scenario, [a]),
    );
    assert.ok(newestSourceMs(scenario, [files[0]!]) > newestSourceMs(scenario, [files.at(-1)!]));
    const snapshots = new Set<string>();
    for (const name of files) {
      assert.equal(
        cli([
          'apply',
          join(scenario.bucketRoot, name),
          '--warehouse',
          warehouse,
          '--tables',
          join(scenario.root, 'tables.json'),
        ]).status,
        0,
      );
      const table = status(warehouse).tables[0]!;
      snapshots.add(table.snapshotId!);
      assert.equal(table.newestSourceTs, new Date(newestSourceMs(scenario, [files[0]!])).toISOString(), name);
    }
    assert.ok(snapshots.size > 1, 'several commits');
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});

test('status of a folder that is no warehouse: exit 2, and no catalog.db is created', () => {
  const dir = tempWarehouse();
  try {
    const run = cli(['status', '--warehouse', dir]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /has no catalog\.db/);
    assert.equal(cli(['show', 'public.products', '--warehouse', dir]).status, 2);
    assert.throws(() => readFileSync(join(dir, 'catalog.db')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
