// `apply` killed (SIGKILL) at random moments, again and again on one warehouse, then one plain apply:
// every table must hold exactly the source's final rows (PyIceberg reads them, as it reads the same
// workload applied without interruption), nothing may be left pending, and `status` must exit 0.
// CI size here; `npm run test:processes` runs 50 kills over a few hundred thousand events.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crashRuns, FULL } from './process-runs.js';

test('apply killed at random moments, then one plain apply: the tables of an uninterrupted run', async () => {
  const options = FULL
    ? { runs: 50, files: 150, eventsPerFile: 2000, seed: 7 }
    : { runs: 6, files: 16, eventsPerFile: 150, seed: 3 };
  const result = await crashRuns(options);
  if (FULL) console.log(JSON.stringify({ crash: { ...options, ...result, status: undefined } }));
  assert.deepEqual(result.unexpected, []);
  assert.ok(result.killed > 0, `${result.killed} of ${options.runs} runs were killed`);
  // the full run also has runs that outlived their kill moment: the kills spread over whole runs
  if (FULL) assert.ok(result.finished > 0, `${result.finished} of ${options.runs} runs finished`);
  assert.equal(result.recoveryExit, 0);
  assert.deepEqual(result.mismatches, []);
  assert.equal(result.statusExit, 0, JSON.stringify(result.status));
  for (const table of result.status.tables) assert.equal(table.pendingChangesets, 0, table.table);
  assert.equal(result.status.files.processing, 0, JSON.stringify(result.status));
});
