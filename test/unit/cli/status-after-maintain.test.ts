// After `maintain` compacts a table, `status` still knows its lag: the compaction's `replace` snapshot
// carries the newest source timestamp the table has applied, and status reads it from the nearest
// snapshot that records it (a table compacted before the replace snapshot carried it).

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NEWEST_SOURCE_TS_SUMMARY_KEY } from '../../../shared/iceberg/table-properties.js';
import { currentSnapshot } from '../../../shared/iceberg/spec/snapshot.js';
import { silentLogger } from '../../../shared/log.js';
import { createEmbeddedRuntime } from '../../../shared/runtime/embedded.js';
import { cli, tempWarehouse } from './cli-process.js';
import { itemLine } from '../../support/datastream-lines.js';

const T0 = 1_795_510_800_000;

function line(id: number): string {
  return itemLine({ id, name: `n${id}` }, { ms: T0 + id });
}

test('status after maintain compaction: the lag is still known, and the replace snapshot carries it', async () => {
  const root = tempWarehouse();
  try {
    const landing = join(root, 'landing');
    const warehouse = join(root, 'warehouse');
    mkdirSync(landing);
    // one apply per file: one data file each, enough small files to compact
    for (const id of [1, 2, 3]) {
      const file = join(landing, `f${id}.jsonl`);
      writeFileSync(file, `${line(id)}\n`);
      assert.equal(cli(['apply', file, '--warehouse', warehouse]).status, 0);
    }
    const maintain = cli([
      'maintain',
      'public.items',
      '--warehouse',
      warehouse,
      '--min-input-files',
      '2',
      '--json',
    ]);
    assert.equal(maintain.status, 0, maintain.stdout + maintain.stderr);

    const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger });
    try {
      const { metadata } = await runtime.catalog.loadTable({ namespace: ['public'], name: 'items' });
      const replace = currentSnapshot(metadata)!;
      assert.equal(replace.summary.operation, 'replace');
      assert.equal(replace.summary[NEWEST_SOURCE_TS_SUMMARY_KEY], String(T0 + 3));
    } finally {
      runtime.close();
    }
    const status = cli(['status', '--warehouse', warehouse, '--json']);
    assert.equal(status.status, 0, status.stdout);
    const table = (
      JSON.parse(status.stdout) as { tables: { newestSourceTs: string; lagMs: number | null }[] }
    ).tables[0]!;
    assert.equal(table.newestSourceTs, new Date(T0 + 3).toISOString());
    assert.notEqual(table.lagMs, null);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
