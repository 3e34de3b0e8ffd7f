// `npm run chaos [-- --histories N --seed S --max-steps M]`: the long run of the property test. Prints
// the number of histories, the failure points covered and the rows lost / duplicated / resurrected
// (all must be 0), and exits non-zero on any violation. Its last line is one JSON object.

import { seeded } from './history.js';
import {
  CRASH_POINTS,
  noViolations,
  runHistory,
  type CrashPoint,
  type HistoryOutcome,
} from './run-history.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const histories = arg('histories', 1000);
const base = arg('seed', Date.now() % 1_000_000);
const maxSteps = arg('max-steps', 60);
const crashes: Partial<Record<CrashPoint, number>> = {};
const totals = noViolations();
let events = 0;
let commits = 0;
let copiedRowGroups = 0;
const failures: HistoryOutcome[] = [];
const started = Date.now();
for (let i = 0; i < histories; i++) {
  const seed = base + i;
  let outcome: HistoryOutcome;
  try {
    outcome = await runHistory(seed, seeded(seed), 0.6, maxSteps);
  } catch (error) {
    console.error(`history seed ${seed} threw: ${(error as Error).stack}`);
    process.exitCode = 1;
    continue;
  }
  events += outcome.events;
  commits += outcome.commits;
  copiedRowGroups += outcome.copiedRowGroups;
  for (const [p, n] of Object.entries(outcome.crashes))
    crashes[p as CrashPoint] = (crashes[p as CrashPoint] ?? 0) + n;
  let bad = false;
  for (const k of Object.keys(totals) as (keyof typeof totals)[]) {
    totals[k] += outcome[k];
    if (outcome[k] > 0) bad = true;
  }
  if (bad) failures.push(outcome);
  if ((i + 1) % 100 === 0) console.log(`${i + 1} histories, ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
const missing = CRASH_POINTS.filter((p) => !crashes[p]);
console.log(
  `histories: ${histories} (seeds ${base}..${base + histories - 1}), events ${events}, commits ${commits}, ` +
    `row groups copied by rewrites ${copiedRowGroups}`,
);
console.log(`failure points covered: ${CRASH_POINTS.map((p) => `${p}=${crashes[p] ?? 0}`).join(' ')}`);
console.log(
  `lost rows: ${totals.lost}, duplicated rows: ${totals.duplicated}, resurrected rows: ${totals.resurrected}`,
);
console.log(
  `wrong values: ${totals.wrong}, unexpected rows: ${totals.unexpected}, change-sets applied twice: ${totals.reapplied}, ` +
    `zombie snapshots: ${totals.zombieSnapshots}, change-sets left pending: ${totals.pendingLeft}`,
);
for (const f of failures.slice(0, 5)) console.log(`FAILED seed ${f.seed}: ${JSON.stringify(f)}`);
if (failures.length > 0 || missing.length > 0) process.exitCode = 1;
console.log(
  JSON.stringify({
    histories,
    seed: base,
    events,
    commits,
    copied_row_groups: copiedRowGroups,
    crash_points: crashes,
    crash_points_missing: missing,
    ...totals,
    seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
  }),
);
