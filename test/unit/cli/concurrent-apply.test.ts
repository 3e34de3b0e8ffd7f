// Four `apply` processes at once on one warehouse, over interleaved files of the same tables (each file
// given to two of them): every process exits 0 with nothing on stderr, nothing is left pending, and
// PyIceberg reads exactly the source's final rows. CI size here; `npm run test:processes` runs 20 rounds.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concurrentRuns, FULL } from './process-runs.js';

test('four concurrent applies over interleaved files: exit 0 and the right tables', async () => {
  const options = FULL
    ? { runs: 20, processes: 4, files: 40, eventsPerFile: 200, seed: 11 }
    : { runs: 2, processes: 4, files: 16, eventsPerFile: 50, seed: 5 };
  const result = await concurrentRuns(options);
  if (FULL) console.log(JSON.stringify({ concurrent: { ...options, ...result } }));
  assert.deepEqual(result.failures, []);
  assert.deepEqual(result.leftBehind, []);
  assert.deepEqual(result.mismatches, []);
});
