// `npm run chaos [-- --histories N --seed S --max-steps M --write-mode copy-on-write|merge-on-read|auto|all
// --maintenance on|off]`: the long run of the property test. With `all` (the default) the histories take
// the three write modes in turn (seed % 3: copy-on-write, merge-on-read, auto). Half the histories run
// maintenance between deliveries (`--maintenance off`: none). Prints, per mode and in total, the number
// of histories, the failure points covered, what the commits did (rewritten data files, delete files,
// maintenance folds) and the violations (all must be 0), and exits non-zero on any violation or a
// failure point never reached. Its last line is one JSON object. Rerun one history with
// `--seed S --histories 1 --write-mode M`.

import { WRITE_MODES, type WriteMode } from '../../shared/iceberg/table-properties.js';
import { seeded } from './history.js';
import {
  CRASH_POINTS,
  modeOfSeed,
  noViolations,
  runHistory,
  type CrashPoint,
  type HistoryOutcome,
  type Violations,
} from './run-history.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function writeModeArg(): WriteMode | 'all' {
  const i = process.argv.indexOf('--write-mode');
  const value = i >= 0 ? process.argv[i + 1] : 'all';
  if (value === 'all' || (WRITE_MODES as readonly string[]).includes(value ?? ''))
    return value as WriteMode | 'all';
  console.error(`--write-mode ${String(value)}: expected one of ${WRITE_MODES.join(', ')}, all`);
  process.exit(2);
}

/** What the histories of one mode did and broke. */
interface ModeFigures extends Violations {
  histories: number;
  events: number;
  commits: number;
  copiedRowGroups: number;
  rewrittenDataFiles: number;
  deleteFilesCommitted: number;
  deleteFilesOfCrashedRuns: number;
  maintainRuns: number;
  deleteFilesFolded: number;
  crashes: Partial<Record<CrashPoint, number>>;
}

function emptyFigures(): ModeFigures {
  return {
    histories: 0,
    events: 0,
    commits: 0,
    copiedRowGroups: 0,
    rewrittenDataFiles: 0,
    deleteFilesCommitted: 0,
    deleteFilesOfCrashedRuns: 0,
    maintainRuns: 0,
    deleteFilesFolded: 0,
    crashes: {},
    ...noViolations(),
  };
}

const COUNTED = [
  'events',
  'commits',
  'copiedRowGroups',
  'rewrittenDataFiles',
  'deleteFilesCommitted',
  'deleteFilesOfCrashedRuns',
  'maintainRuns',
  'deleteFilesFolded',
] as const;
const VIOLATIONS = Object.keys(noViolations()) as (keyof Violations)[];

function add(into: ModeFigures, outcome: HistoryOutcome): void {
  into.histories++;
  for (const k of COUNTED) into[k] += outcome[k];
  for (const k of VIOLATIONS) into[k] += outcome[k];
  for (const [p, n] of Object.entries(outcome.crashes))
    into.crashes[p as CrashPoint] = (into.crashes[p as CrashPoint] ?? 0) + n;
}

function report(label: string, f: ModeFigures): void {
  console.log(
    `${label}: histories ${f.histories}, events ${f.events}, commits ${f.commits}, ` +
      `data files rewritten ${f.rewrittenDataFiles} (row groups copied ${f.copiedRowGroups}), ` +
      `delete files committed ${f.deleteFilesCommitted}, written by crashed runs ${f.deleteFilesOfCrashedRuns}, ` +
      `maintenance runs ${f.maintainRuns} folding ${f.deleteFilesFolded} delete files`,
  );
  console.log(`  failure points covered: ${CRASH_POINTS.map((p) => `${p}=${f.crashes[p] ?? 0}`).join(' ')}`);
  console.log(`  ${VIOLATIONS.map((k) => `${k} ${f[k]}`).join(', ')}`);
}

const histories = arg('histories', 1000);
const base = arg('seed', Date.now() % 1_000_000);
const maxSteps = arg('max-steps', 60);
const writeMode = writeModeArg();
const maintenance =
  !process.argv.includes('--maintenance') ||
  process.argv[process.argv.indexOf('--maintenance') + 1] !== 'off';
const modes: readonly WriteMode[] = writeMode === 'all' ? WRITE_MODES : [writeMode];
const perMode = new Map<WriteMode, ModeFigures>(modes.map((m) => [m, emptyFigures()]));
const total = emptyFigures();
const failures: HistoryOutcome[] = [];
const started = Date.now();
for (let i = 0; i < histories; i++) {
  const seed = base + i;
  const mode = writeMode === 'all' ? modeOfSeed(seed) : writeMode;
  let outcome: HistoryOutcome;
  try {
    outcome = await runHistory(seed, seeded(seed), 0.6, maxSteps, mode, maintenance);
  } catch (error) {
    console.error(`history seed ${seed} (${mode}) threw: ${(error as Error).stack}`);
    process.exitCode = 1;
    continue;
  }
  add(perMode.get(mode)!, outcome);
  add(total, outcome);
  if (VIOLATIONS.some((k) => outcome[k] > 0)) failures.push(outcome);
  if ((i + 1) % 100 === 0) console.log(`${i + 1} histories, ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
console.log(
  `seeds ${base}..${base + histories - 1}, max steps ${maxSteps}, maintenance ${maintenance ? 'on' : 'off'}`,
);
for (const [mode, figures] of perMode) report(mode, figures);
if (modes.length > 1) report('all modes', total);
const missing = [...perMode].flatMap(([mode, f]) =>
  f.histories === 0 ? [] : CRASH_POINTS.filter((p) => !f.crashes[p]).map((p) => `${mode}:${p}`),
);
if (missing.length > 0) console.log(`failure points never reached: ${missing.join(' ')}`);
for (const f of failures.slice(0, 5))
  console.log(
    `FAILED seed ${f.seed} (rerun: --seed ${f.seed} --histories 1 --write-mode ${f.mode}): ${JSON.stringify(f)}`,
  );
if (failures.length > 0 || missing.length > 0) process.exitCode = 1;
console.log(
  JSON.stringify({
    seed: base,
    max_steps: maxSteps,
    write_mode: writeMode,
    maintenance,
    modes: Object.fromEntries(perMode),
    ...total,
    histories,
    crash_points_missing: missing,
    seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
  }),
);
