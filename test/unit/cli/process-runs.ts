// `apply` processes killed at random moments, or run four at a time on one warehouse, over a generated
// workload; then the warehouse must hold exactly the source's final rows (PyIceberg reads them), with
// nothing pending and `status` exiting 0. The tests run a CI-sized version; `npm run test:processes`
// runs the full counts (DSI_PROCESS_RUNS=full).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeWorkload, type Workload } from '../../support/change-workload.js';
import { compareTablesWithPyIceberg, type CompareJob } from '../../support/pyiceberg-compare.js';
import { seeded, type Random } from '../../support/random.js';
import { CLI, cli, sqlCatalog, tempWarehouse } from './cli-process.js';

export const FULL = process.env.DSI_PROCESS_RUNS === 'full';

/** About how long the CLI takes to start and open the warehouse, before it applies anything. */
const START_MS = 800;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The CLI in a child process; `killAfterMs` sends it SIGKILL then (unless it ended before). */
export function cliProcess(args: readonly string[], killAfterMs?: number): Promise<ProcessExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

export interface StatusJson {
  tables: Array<{
    table: string;
    pendingChangesets: number;
    strandedChangesets: number | null;
    failure: string | null;
  }>;
  files: Record<string, number>;
}

/** `status --json` of a warehouse, with its exit code. */
export function statusOf(warehouse: string): { code: number | null; report: StatusJson } {
  const run = cli(['status', '--warehouse', warehouse, '--json']);
  return { code: run.status, report: JSON.parse(run.stdout) as StatusJson };
}

function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The PyIceberg view of every job: rows read from the table and the source's final rows. */
export async function mismatches(jobs: CompareJob[]): Promise<string[]> {
  const seen = await compareTablesWithPyIceberg(jobs);
  return jobs.flatMap((job) => {
    const { actual, expected } = seen[job.id]!;
    if (expected.length === 0) return [`${job.id}: the workload expects no rows`];
    if (JSON.stringify(actual) === JSON.stringify(expected)) return [];
    const missing = expected.filter((row) => !actual.includes(row)).length;
    const extra = actual.filter((row) => !expected.includes(row)).length;
    return [
      `${job.id}: ${actual.length} rows read, ${expected.length} expected (${missing} missing, ${extra} not expected)`,
    ];
  });
}

export interface CrashRunsOptions {
  runs: number;
  files: number;
  eventsPerFile: number;
  seed: number;
}

export interface CrashRunsResult {
  events: number;
  killed: number;
  finished: number;
  /** How long the uninterrupted apply took. */
  cleanMs: number;
  crashedMs: number;
  /** After how many milliseconds each killed run was killed, ascending. */
  killMoments: number[];
  /** Exit code of the plain apply after the crashes, and of `status` after it. */
  recoveryExit: number | null;
  statusExit: number | null;
  status: StatusJson;
  mismatches: string[];
  /** Failures of a killed run's own output (a crash other than our SIGKILL). */
  unexpected: string[];
}

/**
 * `runs` applies, each of a growing share of the files (in a shuffled order) or of the whole folder,
 * and killed after a random time, on one warehouse; then one plain apply of the folder. A clean warehouse gets one uninterrupted
 * apply. PyIceberg must read the source's final rows from both.
 */
export async function crashRuns(options: CrashRunsOptions): Promise<CrashRunsResult> {
  const root = mkdtempSync(join(tmpdir(), 'dsi-crash-'));
  const clean = tempWarehouse();
  const crashed = tempWarehouse();
  try {
    const workload = writeWorkload(root, {
      files: options.files,
      eventsPerFile: options.eventsPerFile,
      seed: options.seed,
    });
    const random = seeded(options.seed);
    const order = shuffled(workload.files, random);
    const tablesArgs = ['--tables', workload.tablesFile];
    const cleanStarted = Date.now();
    const cleanRun = await cliProcess(['apply', workload.bucket, '--warehouse', clean, ...tablesArgs]);
    const cleanMs = Date.now() - cleanStarted;
    if (cleanRun.code !== 0)
      throw new Error(`the uninterrupted apply failed: ${cleanRun.stderr}${cleanRun.stdout}`);

    let killed = 0;
    let finished = 0;
    const unexpected: string[] = [];
    const crashedStarted = Date.now();
    // The kill moment is drawn from [0, 1.5 × window]; the window starts at a run's share of the work plus
    // the process start and adapts (longer after a kill, shorter after a run that finished), so the
    // kills spread over the whole of a run: start, reading, staging, committing, marking.
    let window = cleanMs / options.runs + START_MS;
    const killMoments: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      // a file given by itself is known by another name than within its folder (bucket = its parent):
      // every third run gives the whole folder, so both identities are killed mid-way
      const share =
        run % 3 === 2
          ? [workload.bucket]
          : order.slice(0, Math.ceil(((run + 1) / options.runs) * order.length));
      const killAfterMs = Math.floor(random() * 1.5 * window);
      const exit = await cliProcess(['apply', ...share, '--warehouse', crashed, ...tablesArgs], killAfterMs);
      if (exit.signal === 'SIGKILL') {
        killed += 1;
        killMoments.push(killAfterMs);
        window *= 1.3;
      } else if (exit.code === 0) {
        finished += 1;
        window *= 0.8;
      } else unexpected.push(`run ${run}: exit ${exit.code}: ${exit.stderr}${exit.stdout}`);
    }
    const crashedMs = Date.now() - crashedStarted;
    const recovery = await cliProcess(['apply', workload.bucket, '--warehouse', crashed, ...tablesArgs]);
    if (recovery.code !== 0)
      unexpected.push(`recovery apply: exit ${recovery.code}: ${recovery.stderr}${recovery.stdout}`);
    const status = statusOf(crashed);
    return {
      events: workload.events,
      killed,
      finished,
      cleanMs,
      crashedMs,
      killMoments: killMoments.sort((a, b) => a - b),
      recoveryExit: recovery.code,
      statusExit: status.code,
      status: status.report,
      mismatches: await mismatches([
        ...workload.compareJobs(sqlCatalog(clean), 'uninterrupted'),
        ...workload.compareJobs(sqlCatalog(crashed), 'crashed'),
      ]),
      unexpected,
    };
  } finally {
    for (const dir of [root, clean, crashed]) rmSync(dir, { recursive: true, force: true });
  }
}

export interface ConcurrentRunsOptions {
  runs: number;
  processes: number;
  files: number;
  eventsPerFile: number;
  seed: number;
}

export interface ConcurrentRunsResult {
  events: number;
  /** Each process's failures: a non-zero exit, or anything on stderr. */
  failures: string[];
  /** Runs whose `status` did not exit 0 or showed pending change-sets. */
  leftBehind: string[];
  mismatches: string[];
  elapsedMs: number;
}

/**
 * `runs` times, on a fresh warehouse: `processes` applies at once, process p taking the files whose
 * index modulo `processes` is p or p + 1 (so every file is applied by two processes, interleaved with
 * the others' files of the same tables).
 */
export async function concurrentRuns(options: ConcurrentRunsOptions): Promise<ConcurrentRunsResult> {
  const root = mkdtempSync(join(tmpdir(), 'dsi-concurrent-'));
  const warehouses: string[] = [];
  const failures: string[] = [];
  const leftBehind: string[] = [];
  const jobs: CompareJob[] = [];
  const started = Date.now();
  try {
    const workload: Workload = writeWorkload(root, {
      files: options.files,
      eventsPerFile: options.eventsPerFile,
      seed: options.seed,
    });
    const random = seeded(options.seed);
    for (let run = 0; run < options.runs; run++) {
      const warehouse = tempWarehouse();
      warehouses.push(warehouse);
      const order = shuffled(workload.files, random);
      const n = options.processes;
      const exits = await Promise.all(
        Array.from({ length: n }, (_, p) =>
          cliProcess([
            'apply',
            ...order.filter((_, i) => i % n === p || i % n === (p + 1) % n),
            '--warehouse',
            warehouse,
            '--tables',
            workload.tablesFile,
          ]),
        ),
      );
      exits.forEach((exit, p) => {
        if (exit.code !== 0 || exit.stderr !== '') {
          failures.push(
            `run ${run} process ${p}: exit ${exit.code ?? exit.signal}: ${exit.stderr}${exit.stdout}`,
          );
        }
      });
      const status = statusOf(warehouse);
      const pending = status.report.tables.filter((t) => t.pendingChangesets > 0);
      if (status.code !== 0 || pending.length > 0) {
        leftBehind.push(`run ${run}: status exit ${status.code}, ${JSON.stringify(status.report.tables)}`);
      }
      jobs.push(...workload.compareJobs(sqlCatalog(warehouse), `run ${run}`));
    }
    return {
      events: workload.events * options.runs,
      failures,
      leftBehind,
      mismatches: await mismatches(jobs),
      elapsedMs: Date.now() - started,
    };
  } finally {
    for (const dir of [root, ...warehouses]) rmSync(dir, { recursive: true, force: true });
  }
}
