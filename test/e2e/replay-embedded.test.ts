// `replay <path> --warehouse <dir>` on the embedded defaults: files rejected because their table was not
// declared (undeclared tables rejected) are ingested and committed once the command is given the table definitions; replaying an
// applied file then leaves the table's snapshot as it was. PyIceberg reads the result from catalog.db.

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentLogger } from '../../shared/log.js';
import { ingestFile } from '../../shared/pipeline/ingest-file.js';
import type { ReplayOutcome } from '../../shared/pipeline/replay-file.js';
import { createEmbeddedRuntime } from '../../shared/runtime/embedded.js';
import { compareTablesWithPyIceberg } from '../support/pyiceberg-compare.js';
import { loadScenario } from '../support/scenarios.js';
import { runReplayCommand } from './replay-command.js';

const scenario = loadScenario('seed-validation');
const dir = mkdtempSync(join(tmpdir(), 'dsi-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function snapshotOf(warehouse: string, table: string): Promise<string> {
  const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger });
  try {
    const [namespace, name] = table.split('.') as [string, string];
    const { metadata } = await runtime.catalog.loadTable({ namespace: [namespace], name });
    return `${String(metadata['current-snapshot-id'])} of ${metadata.snapshots?.length ?? 0}`;
  } finally {
    runtime.close();
  }
}

test('replay <path> --warehouse ingests files rejected for an undeclared table, and leaves an applied file’s table unchanged', async () => {
  const landing = join(dir, 'landing');
  const warehouse = join(dir, 'warehouse');
  cpSync(scenario.bucketRoot, landing, { recursive: true });
  const paths = scenario.order.map((name) => join(landing, name));

  // Applied as `apply <folder> --undeclared-tables reject` does, with no table declared: every file is
  // rejected (by default the table would be learnt from the files instead).
  const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger, undeclaredTables: 'reject' });
  try {
    for (const [index, path] of paths.entries()) {
      const info = await runtime.objects.stat(path);
      const outcome = await ingestFile(runtime.ingestDependencies(), {
        bucket: 'landing',
        name: scenario.order[index]!,
        generation: info!.generation,
        location: path,
      });
      assert.equal(outcome.status, 'failed');
      assert.match(outcome.status === 'failed' ? outcome.reason : '', /no definition/);
    }
  } finally {
    runtime.close();
  }

  // Replayed with the definitions: each file is found under the key it was rejected with and applied.
  const tables = join(scenario.root, 'tables.json');
  for (const path of paths) {
    const run = await runReplayCommand([path, '--warehouse', warehouse, '--tables', tables, '--json']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const outcome = JSON.parse(run.stdout.trim()) as ReplayOutcome;
    assert.equal(outcome.action, 'ingested');
    assert.equal(outcome.action === 'ingested' && outcome.previous, 'failed');
    assert.equal(outcome.action === 'ingested' && outcome.outcome.status, 'staged');
  }
  const table = Object.keys(scenario.tables)[0]!;
  const before = await snapshotOf(warehouse, table);

  // Replaying an applied file queues its change-sets again; the commit finds them applied.
  const again = await runReplayCommand([paths[0]!, '--warehouse', warehouse, '--json']);
  assert.equal(again.code, 0, again.stderr + again.stdout);
  const outcome = JSON.parse(again.stdout.trim()) as ReplayOutcome;
  assert.equal(outcome.action, 'requeued');
  assert.ok(outcome.action === 'requeued' && outcome.tasks.every((t) => t.changesetStatus === 'committed'));
  assert.equal(await snapshotOf(warehouse, table), before);

  const seen = await compareTablesWithPyIceberg([
    {
      id: table,
      catalog: {
        type: 'sql',
        uri: `sqlite:///${join(warehouse, 'catalog.db')}`,
        warehouse: `file://${warehouse}`,
      },
      table,
      columns: scenario.tables[table]!.columns,
      expected: join(scenario.root, 'expected', `${table}.jsonl`),
    },
  ]);
  assert.deepEqual(seen[table]?.actual, seen[table]?.expected);
  assert.ok((seen[table]?.expected.length ?? 0) > 0);
});

test('replay explains its usage: a path needs --warehouse, gs:// takes no --warehouse', async () => {
  const noWarehouse = await runReplayCommand([join(dir, 'x.jsonl')]);
  assert.equal(noWarehouse.code, 2);
  assert.match(noWarehouse.stderr, /needs --warehouse/);
  const cloudWithWarehouse = await runReplayCommand(['gs://bucket/a.jsonl', '--warehouse', dir]);
  assert.equal(cloudWithWarehouse.code, 2);
  const missing = await runReplayCommand([join(dir, 'missing.jsonl'), '--warehouse', join(dir, 'wh2')]);
  // as apply: a path that is not there is a usage error (2), naming it
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such file: .*missing\.jsonl/);
});
