// Compaction works per partition: a table partitioned by bucket[4](id), built by the commit engine with
// every commit touching every bucket, compacts into one file per bucket, each holding only rows of its
// bucket, and PyIceberg reads the same rows before and after.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundPartitionSpec } from '../../../shared/iceberg/spec/partitioning.js';
import { readRowsDataFile } from '../../../shared/iceberg/io/parquet-data-file.js';
import { currentSchema, defaultSpec } from '../../../shared/iceberg/spec/metadata-access.js';
import { readLiveDataFiles } from '../../../shared/iceberg/table-files.js';
import { maintainTable } from '../../../shared/maintenance/maintain-table.js';
import { createPartitionedTable, KEY, readWithPyIceberg, removeWarehouses, warehouse } from './support.js';

after(removeWarehouses);

test('compaction rewrites each partition into its own files', async () => {
  const w = warehouse();
  await createPartitionedTable(w, { source: 'id', transform: 'bucket[4]' });
  for (let i = 0; i < 20; i++)
    await w.commit(Array.from({ length: 8 }, (_, k): [number, number] => [i * 8 + k, i]));
  const before = await w.load();
  const liveBefore = await readLiveDataFiles(before.metadata, w.objects);
  const pyBefore = await readWithPyIceberg(w);

  const result = await maintainTable(w.maintainDeps, KEY, { expire: false, removeOrphans: false });
  assert.ok(result.status === 'done' && result.compaction?.status === 'committed');
  assert.equal(result.compaction.rewrittenFiles, liveBefore.length);

  const { metadata } = await w.load();
  const spec = new BoundPartitionSpec(defaultSpec(metadata), currentSchema(metadata));
  const live = await readLiveDataFiles(metadata, w.objects);
  const partitions = live.map((f) => spec.keyOf(f.dataFile.partition));
  assert.equal(new Set(partitions).size, 4, 'four buckets');
  assert.equal(live.length, 4, 'one file per bucket');
  for (const f of live) {
    const rows = readRowsDataFile(await w.objects.get(f.dataFile.filePath), currentSchema(metadata).fields);
    for (const row of rows)
      assert.equal(
        spec.keyOf(spec.partitionOf(row)),
        spec.keyOf(f.dataFile.partition),
        `row ${String(row.id)}`,
      );
  }
  assert.deepEqual(await readWithPyIceberg(w), { ...pyBefore, files: 4 });
  w.db.close();
});
