// Rewrites in a partitioned table: a file whose updates keep every row in its partition is rewritten
// column-wise; a file where an update moves a row to another partition value goes through rows and is
// partitioned again; inserts are partitioned. Every file holds only rows of its partition, and PyIceberg
// reads the replay.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readRowsDataFile } from '../../../shared/iceberg/io/parquet-data-file.js';
import { BoundPartitionSpec } from '../../../shared/iceberg/spec/partitioning.js';
import { currentSchema, defaultSpec } from '../../../shared/iceberg/spec/metadata-access.js';
import { readLiveDataFiles } from '../../../shared/iceberg/table-files.js';
import { commitTable } from '../../../shared/pipeline/commit-table.js';
import {
  createPartitionedTable,
  KEY,
  readWithPyIceberg,
  removeWarehouses,
  warehouse,
} from '../maintenance/support.js';

after(removeWarehouses);

test('an update that moves a row to another partition rewrites through rows; one that does not, column-wise', async () => {
  const w = warehouse();
  await createPartitionedTable(w, { source: 'qty', transform: 'identity' });
  const model = new Map<number, number>();
  const initial = Array.from({ length: 20 }, (_, id): [number, number] => [id, id % 2]);
  await w.commit(initial);
  for (const [id, qty] of initial) model.set(id, qty);

  // id 2 stays in qty=0; id 3 moves from qty=1 to qty=0; id 5 is deleted; id 100 is new in qty=1
  await w.stage(
    [
      [2, 0],
      [3, 0],
      [100, 1],
    ],
    [5],
  );
  const result = await commitTable(w.commitDeps, KEY);
  assert.ok(result.status === 'committed', JSON.stringify(result));
  model.set(2, 0).set(3, 0).set(100, 1).delete(5);
  assert.equal(result.counts.rewrittenFiles, 2);
  assert.equal(result.counts.rewrittenByRows, 1, 'only the file with the moved row goes through rows');
  assert.equal(result.counts.updated, 2);
  assert.equal(result.counts.deleted, 1);
  assert.equal(result.counts.inserted, 1);

  const { metadata } = await w.load();
  const schema = currentSchema(metadata);
  const spec = new BoundPartitionSpec(defaultSpec(metadata), schema);
  for (const f of await readLiveDataFiles(metadata, w.objects)) {
    const rows = readRowsDataFile(await w.objects.get(f.dataFile.filePath), schema.fields);
    for (const row of rows) {
      assert.equal(
        spec.keyOf(spec.partitionOf(row)),
        spec.keyOf(f.dataFile.partition),
        `row ${String(row.id)}`,
      );
    }
  }
  const read = await readWithPyIceberg(w);
  const seen = read.rows.map((r) => JSON.parse(r) as { id: number; qty: number; name: string });
  assert.deepEqual(
    seen.map((r) => [r.id, r.qty, r.name]).sort((a, b) => Number(a[0]) - Number(b[0])),
    [...model].sort((a, b) => a[0] - b[0]).map(([id, qty]) => [id, qty, `n${id}`]),
  );
  w.db.close();
});
