// `datastream-iceberg status --watch`, run as a user runs it: it reads the warehouse again every interval,
// so a change staged while it runs shows in a later frame, and Ctrl-C (SIGINT) ends it with exit 0.

import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../../shared/log.js';
import { ingestFile } from '../../../shared/pipeline/ingest-file.js';
import { createEmbeddedRuntime } from '../../../shared/runtime/embedded.js';
import { loadScenario } from '../../support/scenarios.js';
import type { StatusReport } from '../../../functions/cli/status.js';
import { watchStatus } from '../../../functions/cli/status-watch.js';
import { CLI, cli, tempWarehouse } from './cli-process.js';

interface Watched {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  /** Resolves once the output so far satisfies the predicate (fails after 30 s). */
  until: (predicate: (output: string) => boolean, what: string) => Promise<void>;
  exit: Promise<number | null>;
  errors: () => string;
}

function watch(args: string[]): Watched {
  const child = spawn(process.execPath, [CLI, 'status', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const until = async (predicate: (output: string) => boolean, what: string) => {
    const deadline = Date.now() + 30_000;
    while (!predicate(out)) {
      if (Date.now() > deadline || child.exitCode !== null)
        assert.fail(`status --watch never showed ${what}:\n${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, output: () => out, until, exit, errors: () => err };
}

async function stageOneMoreProductsFile(warehouse: string): Promise<void> {
  const scenario = loadScenario('out-of-order');
  const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger, tables: scenario.tables });
  try {
    const name = scenario.order[0]!;
    const outcome = await ingestFile(runtime.ingestDependencies(), {
      bucket: 'bucket',
      name,
      generation: '1',
      location: join(scenario.bucketRoot, name),
    });
    assert.equal(outcome.status, 'staged');
  } finally {
    runtime.close();
  }
}

test('status --watch --json: one line per read, a change staged meanwhile shows, Ctrl-C exits 0', async () => {
  const warehouse = tempWarehouse();
  try {
    assert.equal(
      cli(['apply', loadScenario('seed-validation').bucketRoot, '--warehouse', warehouse]).status,
      0,
    );
    const watched = watch(['--warehouse', warehouse, '--watch', '--interval', '1', '--json']);
    type Line = { at: string; tables: { table: string; pendingChangesets: number; lagMs: number | null }[] };
    const lines = () =>
      watched
        .output()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Line);
    await watched.until(() => lines().length >= 1, 'a first read');
    const first = lines()[0]!;
    assert.deepEqual(
      first.tables.map((t) => [t.table, t.pendingChangesets]),
      [['public.products', 0]],
    );
    assert.ok(first.tables[0]!.lagMs! > 0);

    await stageOneMoreProductsFile(warehouse);
    await watched.until(
      () => lines().some((l) => l.tables[0]?.pendingChangesets === 1),
      'the staged change-set as pending',
    );
    const times = lines().map((l) => Date.parse(l.at));
    assert.ok(
      times.every((t, i) => i === 0 || t > times[i - 1]!),
      'each line is a later read',
    );

    watched.child.kill('SIGINT');
    assert.equal(await watched.exit, 0);
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});

test('status --watch into a pipe: plain frames, each with its time, separated by a blank line', async () => {
  const warehouse = tempWarehouse();
  try {
    assert.equal(
      cli(['apply', loadScenario('seed-validation').bucketRoot, '--warehouse', warehouse]).status,
      0,
    );
    const watched = watch(['--warehouse', warehouse, '--watch', '--interval', '1']);
    const frames = () => watched.output().split(/^(?=datastream-iceberg status at )/m);
    await watched.until(() => frames().length >= 3, 'a third frame');
    assert.ok(!watched.output().includes('\x1b'), 'no escape codes into a pipe');
    const frame = frames()[0]!;
    assert.match(frame, /^datastream-iceberg status at \d{4}-\d\d-\d\dT/);
    assert.match(frame, /^table\s+lag\s+pending\s+last snapshot$/m);
    assert.match(frame, /^public\.products\s+\S+\s+0\s+\d{4}-\d\d-\d\dT/m);
    assert.match(frame, /^1 tables; 0 failed files\n\n$/m, 'a blank line after each frame');
    watched.child.kill('SIGINT');
    assert.equal(await watched.exit, 0);
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});

test('status --watch on a terminal redraws each frame in place (cursor home, clear screen)', async () => {
  const report: StatusReport = {
    tables: [
      {
        table: 'public.products',
        snapshotId: '1',
        snapshotAt: '2026-11-24T09:00:00.000Z',
        newestSourceTs: null,
        lagMs: 93_000,
        pendingChangesets: 2,
        strandedChangesets: 0,
        failure: null,
      },
    ],
    files: null,
    failedFiles: [],
    fixedFiles: [],
    abandonedFiles: null,
  };
  const stop = new AbortController();
  let out = '';
  let reads = 0;
  await watchStatus(
    async () => {
      if (++reads === 2) stop.abort();
      return report;
    },
    { intervalMs: 1, json: false, terminal: true, write: (text) => (out += text), signal: stop.signal },
  );
  const frames = out.split('\x1b[H\x1b[2J');
  assert.equal(frames[0], '', 'every frame starts by clearing the screen');
  assert.equal(frames.length, 3);
  assert.match(frames[1]!, /^public\.products\s+1m33s\s+2\s+2026-11-24T09:00:00\.000Z$/m);
});

test('status --interval without --watch is a usage error', () => {
  const run = cli(['status', '--warehouse', '.', '--interval', '2']);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--interval goes with --watch/);
});

test('status --watch into a pipe whose reader goes away ends with exit 0, not an EPIPE crash', async () => {
  const warehouse = tempWarehouse();
  try {
    assert.equal(cli(['apply', loadScenario('out-of-order').bucketRoot, '--warehouse', warehouse]).status, 0);
    const watched = watch(['--warehouse', warehouse, '--watch', '--interval', '1']);
    await watched.until((out) => out.length > 0, 'a first frame');
    watched.child.stdout.destroy();
    const code = await Promise.race([
      watched.exit,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running after 20 s'), 20_000)),
    ]);
    if (code === 'still running after 20 s') watched.child.kill('SIGKILL');
    assert.equal(code, 0, watched.errors());
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});
