// The property test in CI, in each write mode: random histories delivered in random order with duplicates,
// injected failures and maintenance runs end in the model's table, with no row lost, duplicated or
// resurrected, no zombie snapshot, and no trace of a run that died before its catalog commit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WRITE_MODES, type WriteMode } from '../../shared/iceberg/table-properties.js';
import { seeded } from './history.js';
import {
  CRASH_POINTS,
  noViolations,
  runHistory,
  type CrashPoint,
  type HistoryOutcome,
  type Violations,
} from './run-history.js';

// per write mode; CI keeps histories short, `npm run chaos` runs longer ones
const HISTORIES = Number(process.env.CHAOS_HISTORIES ?? 20);
const MAX_STEPS = Number(process.env.CHAOS_MAX_STEPS ?? 30);
const BASE = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);

const VIOLATIONS = Object.keys(noViolations()) as (keyof Violations)[];
// each mode runs the same seeds: the same histories, written three ways
const outcomes = new Map<WriteMode, HistoryOutcome[]>();

for (const mode of WRITE_MODES) {
  test(`${mode}: ${HISTORIES} random histories with injected failures equal the sorted replay`, async () => {
    const done: HistoryOutcome[] = [];
    outcomes.set(mode, done);
    for (let i = 0; i < HISTORIES; i++) {
      const seed = BASE + i;
      const outcome = await runHistory(seed, seeded(seed), 0.6, MAX_STEPS, mode);
      done.push(outcome);
      const bad = Object.fromEntries(VIOLATIONS.map((k) => [k, outcome[k]]));
      assert.deepEqual(
        bad,
        noViolations(),
        `history seed ${seed} in ${mode} (rerun with CHAOS_SEED=${seed} CHAOS_HISTORIES=1, or ` +
          `npm run chaos -- --seed ${seed} --histories 1 --write-mode ${mode}): ${JSON.stringify(outcome.crashes)}`,
      );
    }
  });
}

test('the histories exercised every failure point, maintenance and partial rewrites', () => {
  const all = [...outcomes.values()].flat();
  const covered = new Set<CrashPoint>();
  for (const o of all) for (const p of Object.keys(o.crashes)) covered.add(p as CrashPoint);
  assert.deepEqual([...covered].sort(), [...CRASH_POINTS].sort(), 'every failure point was exercised');
  assert.ok(
    all.some((o) => o.copiedRowGroups > 0),
    'some rewrite spliced copied row groups with re-encoded ones',
  );
  assert.ok(
    all.some((o) => o.maintainRuns > 0),
    'some history ran maintenance between deliveries',
  );
});

// (crash-at-commit.test.ts makes the crash after delete files were written certain; here it is random)
test('merge-on-read histories committed position delete files', () => {
  const mor = outcomes.get('merge-on-read') ?? [];
  assert.ok(mor.reduce((n, o) => n + o.deleteFilesCommitted, 0) > 0, 'delete files committed');
});

test('auto histories both rewrote data files and committed position delete files', () => {
  const auto = outcomes.get('auto') ?? [];
  assert.ok(auto.reduce((n, o) => n + o.deleteFilesCommitted, 0) > 0, 'delete files committed');
  assert.ok(auto.reduce((n, o) => n + o.rewrittenDataFiles, 0) > 0, 'data files rewritten');
});

test('maintenance folded delete files of merge-on-read histories', () => {
  const mor = outcomes.get('merge-on-read') ?? [];
  assert.ok(mor.reduce((n, o) => n + o.deleteFilesFolded, 0) > 0, 'delete files folded');
});
