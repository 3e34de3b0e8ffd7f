// A maintenance task on the embedded defaults' queue runs maintenance, as the commit function does on the
// cloud, and not a commit: the table's small files are compacted and PyIceberg reads the same rows.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readLiveDataFiles } from '../../../shared/iceberg/table-files.js';
import { createEmbeddedRuntime } from '../../../shared/runtime/embedded.js';
import { silentLogger } from '../../../shared/log.js';
import { commitTaskRunner } from '../../../functions/embedded-commit.js';
import { KEY, readWithPyIceberg, removeWarehouses, warehouse } from './support.js';

after(removeWarehouses);

test('a kind "maintain" task on the in-process queue compacts the table under its lease', async () => {
  const w = warehouse();
  for (let i = 0; i < 6; i++) await w.commit([[i, i * 10]]);
  const before = await readLiveDataFiles((await w.load()).metadata, w.objects);
  assert.equal(before.length, 6);
  const rowsBefore = (await readWithPyIceberg(w)).rows;

  const runtime = createEmbeddedRuntime({ warehouse: w.dir, log: silentLogger, onTask: commitTaskRunner() });
  try {
    await runtime.queue.enqueue({
      taskId: 'maintain-1',
      table: KEY,
      changesetId: '',
      kind: 'maintain',
      maintenance: { minInputFiles: 2, expire: false, removeOrphans: false },
    });
    await runtime.queue.drain();
  } finally {
    runtime.close();
  }
  const afterFiles = await readLiveDataFiles((await w.load()).metadata, w.objects);
  assert.equal(afterFiles.length, 1, 'the six small files compacted into one');
  assert.deepEqual((await readWithPyIceberg(w)).rows, rowsBefore);
});
