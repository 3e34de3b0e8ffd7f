// The property test in CI: random histories delivered in random order with duplicates and injected
// failures end in the model's table, with no row lost, duplicated or resurrected and no zombie snapshot.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seeded } from './history.js';
import { CRASH_POINTS, runHistory, type CrashPoint } from './run-history.js';

const HISTORIES = Number(process.env.CHAOS_HISTORIES ?? 50);
// CI keeps histories short; `npm run chaos` runs longer ones
const MAX_STEPS = Number(process.env.CHAOS_MAX_STEPS ?? 30);

test(`${HISTORIES} random histories with injected failures equal the sorted replay`, async () => {
  const base = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
  const covered = new Set<CrashPoint>();
  let copiedRowGroups = 0;
  for (let i = 0; i < HISTORIES; i++) {
    const seed = base + i;
    const outcome = await runHistory(seed, seeded(seed), 0.6, MAX_STEPS);
    for (const p of Object.keys(outcome.crashes)) covered.add(p as CrashPoint);
    copiedRowGroups += outcome.copiedRowGroups;
    const bad = {
      lost: outcome.lost,
      duplicated: outcome.duplicated,
      resurrected: outcome.resurrected,
      wrong: outcome.wrong,
      unexpected: outcome.unexpected,
      reapplied: outcome.reapplied,
      zombieSnapshots: outcome.zombieSnapshots,
      pendingLeft: outcome.pendingLeft,
    };
    assert.deepEqual(
      bad,
      {
        lost: 0,
        duplicated: 0,
        resurrected: 0,
        wrong: 0,
        unexpected: 0,
        reapplied: 0,
        zombieSnapshots: 0,
        pendingLeft: 0,
      },
      `history seed ${seed} (rerun with CHAOS_SEED=${seed} CHAOS_HISTORIES=1): ${JSON.stringify(outcome.crashes)}`,
    );
  }
  assert.deepEqual([...covered].sort(), [...CRASH_POINTS].sort(), 'every failure point was exercised');
  assert.ok(copiedRowGroups > 0, 'some rewrite spliced copied row groups with re-encoded ones');
});
