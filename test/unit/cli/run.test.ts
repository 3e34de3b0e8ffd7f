// `datastream-iceberg run` as a user runs it: a child process watching an empty folder; a scenario's
// files are copied in one by one in arrival order; once `status --json` shows every file applied and
// nothing pending, SIGTERM stops it cleanly (exit 0, last log line "stopped") and PyIceberg reads exactly
// expected/. An overwritten file (a new generation) is applied again and changes nothing.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { compareTablesWithPyIceberg } from '../../support/pyiceberg-compare.js';
import { loadScenario } from '../../support/scenarios.js';
import { CLI, cli, compareJobs, expectedCanonical, tempWarehouse } from './cli-process.js';

interface Status {
  tables: { table: string; snapshotId: string | null; pendingChangesets: number }[];
  files: { staged: number; failed: number; processing: number };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

test('run: files copied into the watched folder are applied; SIGTERM stops it cleanly', async () => {
  const scenario = loadScenario('out-of-order');
  const root = tempWarehouse();
  const landing = join(root, 'landing');
  const warehouse = join(root, 'warehouse');
  mkdirSync(landing);
  const child = spawn(
    process.execPath,
    [
      CLI,
      'run',
      landing,
      '--warehouse',
      warehouse,
      '--tables',
      join(scenario.root, 'tables.json'),
      '--poll-ms',
      '100',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const status = (): Status | undefined => {
    const run = cli(['status', '--warehouse', warehouse, '--json']);
    return run.status === 0 ? (JSON.parse(run.stdout) as Status) : undefined;
  };
  const settled = (files: number) => () => {
    const s = status();
    return (
      s !== undefined &&
      s.files.staged === files &&
      s.tables.length > 0 &&
      s.tables.every((t) => t.snapshotId !== null && t.pendingChangesets === 0)
    );
  };
  try {
    await waitFor('run to start watching', () => stdout.includes('"watching"'));
    for (const name of scenario.order) {
      const target = join(landing, name);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(join(scenario.bucketRoot, name), target);
      await sleep(50);
    }
    await waitFor('every file applied', settled(scenario.order.length));
    const before = cli(['show', 'public.products', '--warehouse', warehouse]).stdout;

    // the object written again with other bytes (its events in reverse order) is a new generation:
    // applied again, same rows (events count once)
    const first = join(landing, scenario.order[0]!);
    const events = readFileSync(first, 'utf8').split('\n').filter(Boolean);
    writeFileSync(first, `${events.reverse().join('\n')}\n`);
    const later = new Date(Date.now() + 5000);
    utimesSync(first, later, later);
    await waitFor('the new generation applied', settled(scenario.order.length + 1));
    assert.equal(cli(['show', 'public.products', '--warehouse', warehouse]).stdout, before);

    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { message: string });
    assert.equal(lines.at(-1)!.message, 'stopped');
    assert.ok(
      lines.some((l) => l.message === 'committed'),
      'commits are logged',
    );

    const jobs = compareJobs(scenario, warehouse);
    const seen = await compareTablesWithPyIceberg(jobs);
    for (const job of jobs) assert.deepEqual(seen[job.id]!.actual, seen[job.id]!.expected, job.id);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
});

test('run --once applies what is there and exits like apply', () => {
  const scenario = loadScenario('seed-validation');
  const warehouse = tempWarehouse();
  try {
    const run = cli(['run', scenario.bucketRoot, '--warehouse', warehouse, '--once']);
    assert.equal(run.status, 0, run.stderr);
    const show = cli(['show', 'public.products', '--warehouse', warehouse]);
    assert.equal(
      show.stdout.split('\n').filter(Boolean).length,
      expectedCanonical(scenario, 'public.products').length,
    );
    const bad = loadScenario('bad-input');
    assert.equal(cli(['run', bad.bucketRoot, '--warehouse', warehouse, '--once']).status, 1);
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});
