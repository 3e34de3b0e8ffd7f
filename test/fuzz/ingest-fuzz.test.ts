// A short fuzz run on every test: mutated fixture lines give events or typed errors, nothing else.
// The long run is `npm run fuzz -- --cases 100000`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from './ingest-fuzz.js';

test('2,000 mutated inputs: only events or typed Datastream errors', async () => {
  const result = await runFuzz(2000, 7);
  assert.deepEqual(result.failures, []);
  assert.ok(result.accepted > 0, 'some mutations still parse');
  assert.ok(Object.keys(result.rejected).length >= 2, 'both read and validation errors occur');
});
