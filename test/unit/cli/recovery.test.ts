// What a run that died or failed leaves behind, and the next `apply` finishing it: change-sets staged but
// never committed (the file is "already seen" the next time), files left half-read ('processing'), a
// table whose commit failed (an unwritable warehouse). `status` exits 1 and says what is left while it is,
// 0 once the next apply is done; a live process's work is never taken from it.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../../shared/log.js';
import { fileIdOf, ingestFile } from '../../../shared/pipeline/ingest-file.js';
import { createEmbeddedRuntime } from '../../../shared/runtime/embedded.js';
import { objectOf } from '../../../functions/cli/source-files.js';
import { loadScenario } from '../../support/scenarios.js';
import { cli, tempWarehouse } from './cli-process.js';
import { statusOf } from './process-runs.js';

const scenario = loadScenario('out-of-order');
const TABLES = ['--tables', join(scenario.root, 'tables.json')];
const fileAt = (i: number): string => join(scenario.bucketRoot, scenario.order[i]!);

/** A holder id of a process of this host that has exited. */
function deadHolder(): string {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return `${child.stdout}@${hostname()}#${randomUUID()}`;
}

/** A process that lives until killed, and a holder id naming it. */
function liveHolder(): { holder: string; child: ChildProcess } {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120_000)'], { stdio: 'ignore' });
  return { holder: `${child.pid}@${hostname()}#${randomUUID()}`, child };
}

/** `show` of the products table: the rows as a reader of the warehouse sees them. */
function rowsOf(warehouse: string): string {
  const show = cli(['show', 'public.products', '--warehouse', warehouse]);
  assert.equal(show.status, 0, show.stderr);
  return show.stdout;
}

/** The same files applied to a fresh warehouse with no interruption. */
function cleanRows(files: string[]): string {
  const warehouse = tempWarehouse();
  try {
    assert.equal(cli(['apply', ...files, '--warehouse', warehouse, ...TABLES]).status, 0);
    return rowsOf(warehouse);
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
}

test('a change-set staged by a run that died is committed by the next apply of its file, which found it already seen', async () => {
  const warehouse = tempWarehouse();
  try {
    const file = fileAt(0);
    // stage it as apply would (same bucket and name), with no commit: the run "dies" after staging
    const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger, tables: scenario.tables });
    try {
      const source = { ...objectOf({ root: dirname(file), path: file }), location: file };
      const generation = (await runtime.objects.stat(file))!.generation;
      assert.equal(
        (await ingestFile(runtime.ingestDependencies(), { ...source, generation })).status,
        'staged',
      );
      const live = statusOf(warehouse);
      assert.equal(live.code, 0, 'staged by a live process (this one): in its run, not left behind');
      assert.equal(live.report.tables[0]!.pendingChangesets, 1);
      assert.equal(live.report.tables[0]!.strandedChangesets, 0);
      await runtime.state.updateFile(fileIdOf({ ...source, generation }), { holder: deadHolder() });
    } finally {
      runtime.close();
    }
    const stranded = cli(['status', '--warehouse', warehouse]);
    assert.equal(stranded.status, 1, stranded.stdout);
    assert.match(
      stranded.stdout,
      /public\.products: snapshot - \(never\), lag unknown, 1 pending \(1 left by a run that is over\)/,
    );

    const again = cli(['apply', file, '--warehouse', warehouse, ...TABLES]);
    assert.equal(again.status, 0, again.stdout);
    assert.match(again.stdout, /1 already seen/);
    const after = statusOf(warehouse);
    assert.equal(after.code, 0, JSON.stringify(after.report));
    assert.equal(after.report.tables[0]!.pendingChangesets, 0);
    assert.equal(rowsOf(warehouse), cleanRows([file]));
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});

test('a file left processing by a dead process is read again by the next apply, even when not given; a live one is left to it', async () => {
  const warehouse = tempWarehouse();
  const live = liveHolder();
  try {
    const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger, tables: scenario.tables });
    const ids: string[] = [];
    try {
      for (const [i, holder] of [
        [1, deadHolder()],
        [2, live.holder],
      ] as const) {
        const file = fileAt(i);
        const source = { ...objectOf({ root: dirname(file), path: file }), location: file };
        const generation = (await runtime.objects.stat(file))!.generation;
        const fileId = fileIdOf({ ...source, generation });
        ids.push(fileId);
        const created = await runtime.state.createFile({
          fileId,
          ...source,
          generation,
          status: 'processing',
          holder,
          changesetIds: [],
          eventCounts: {},
          createdAtMs: Date.now(),
          updatedAtMs: Date.now(),
        });
        assert.deepEqual(created, { created: true });
      }
    } finally {
      runtime.close();
    }
    const before = cli(['status', '--warehouse', warehouse]);
    assert.equal(before.status, 1, before.stdout);
    assert.match(before.stdout, new RegExp(`left half-read by a run that died: ${fileAt(1)}\n`));
    assert.doesNotMatch(before.stdout, new RegExp(fileAt(2)), 'a live process is still at it');

    // given file 0 and file 2 (whose holder lives), not file 1
    const first = cli(['apply', fileAt(0), fileAt(2), '--warehouse', warehouse, ...TABLES, '--json']);
    assert.equal(first.status, 0, first.stdout);
    const report = JSON.parse(first.stdout) as {
      abandoned: { file: string; outcome: { status: string } }[];
      files: { file: string; outcome: { status: string; previous?: string } }[];
    };
    assert.deepEqual(
      report.abandoned.map((a) => [a.file, a.outcome.status]),
      [[fileAt(1), 'staged']],
    );
    assert.deepEqual(report.files[1]!.outcome, {
      status: 'duplicate',
      fileId: ids[1],
      previous: 'processing',
    });
    const during = statusOf(warehouse);
    assert.equal(during.code, 0, JSON.stringify(during.report));
    assert.equal(during.report.files.processing, 1, 'the live process keeps its file');

    live.child.kill('SIGKILL');
    await new Promise((resolve) => live.child.once('exit', resolve));
    const dead = cli(['status', '--warehouse', warehouse]);
    assert.equal(dead.status, 1, dead.stdout);
    assert.match(dead.stdout, new RegExp(`left half-read by a run that died: ${fileAt(2)}\n`));
    const second = cli(['apply', fileAt(0), '--warehouse', warehouse, ...TABLES]);
    assert.equal(second.status, 0, second.stdout);
    assert.match(second.stdout, /1 files left half-read by a run that died: read again/);
    const after = statusOf(warehouse);
    assert.equal(after.code, 0, JSON.stringify(after.report));
    assert.equal(after.report.files.processing, 0);
    assert.equal(after.report.tables[0]!.pendingChangesets, 0);
    assert.equal(rowsOf(warehouse), cleanRows([fileAt(0), fileAt(1), fileAt(2)]));
  } finally {
    live.child.kill('SIGKILL');
    rmSync(warehouse, { recursive: true, force: true });
  }
});

test('a commit the warehouse refuses: apply and status exit 1 naming the table and why; the next apply finishes it', () => {
  const warehouse = tempWarehouse();
  try {
    const files = [fileAt(0), fileAt(1)];
    // the table folder cannot be made (a file stands where its namespace folder goes): every write of
    // the commit fails, as on a read-only warehouse, whoever runs the test
    const blocker = join(warehouse, 'public');
    writeFileSync(blocker, '');
    const failed = cli(['apply', ...files, '--warehouse', warehouse, ...TABLES]);
    assert.equal(failed.status, 1, failed.stdout);
    assert.match(failed.stdout, /^table public\.products failed: ENOTDIR: .*public\/products.*$/m);
    assert.match(failed.stdout, /2 files: 2 staged/);

    const status = cli(['status', '--warehouse', warehouse]);
    assert.equal(status.status, 1, status.stdout);
    assert.match(status.stdout, /^failing: public\.products: ENOTDIR: .*public\/products.*$/m);
    const json = statusOf(warehouse);
    assert.equal(json.code, 1);
    assert.match(json.report.tables[0]!.failure ?? '', /public/);
    assert.equal(json.report.tables[0]!.pendingChangesets, 2);

    rmSync(blocker);
    const again = cli(['apply', ...files, '--warehouse', warehouse, ...TABLES]);
    assert.equal(again.status, 0, again.stdout);
    assert.match(again.stdout, /2 already seen/);
    const after = statusOf(warehouse);
    assert.equal(after.code, 0, JSON.stringify(after.report));
    assert.equal(after.report.tables[0]!.failure, null);
    assert.equal(after.report.tables[0]!.pendingChangesets, 0);
    assert.equal(rowsOf(warehouse), cleanRows(files));
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});
