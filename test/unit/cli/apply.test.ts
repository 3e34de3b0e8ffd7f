// `datastream-iceberg apply` as a user runs it: every scenario's bucket folder applied to a fresh
// warehouse with no --tables (the scenario's tables.json above the folder is found), then PyIceberg's
// SqlCatalog on <warehouse>/catalog.db must read exactly expected/, and `show` must print exactly the
// expected rows in key order. The bad-input scenario must exit 1 with one reason per rejected file and
// change no table.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { canonicalJsonLine } from '../../../shared/datastream/canonical-form.js';
import { compareTablesWithPyIceberg, type CompareJob } from '../../support/pyiceberg-compare.js';
import { loadScenario, scenarioNames } from '../../support/scenarios.js';
import { cli, compareJobs, expectedCanonical, expectedTables, tempWarehouse } from './cli-process.js';

interface ApplyReport {
  tablesFile: string | null;
  files: { file: string; outcome: { status: string; reason?: string } }[];
  failures: unknown[];
  counts: { files: number; staged: number; rejected: number; events: number };
}

const SCENARIOS = scenarioNames().filter((name) => existsSync(join(loadScenario(name).root, 'expected')));

function filesUnder(dir: string): number {
  return readdirSync(dir).reduce((n, name) => {
    const path = join(dir, name);
    return n + (statSync(path).isDirectory() ? filesUnder(path) : 1);
  }, 0);
}

test('apply <scenario>/bucket for every scenario: PyIceberg reads exactly expected/, show prints it in key order', async (t) => {
  assert.ok(SCENARIOS.length >= 7, `scenarios: ${SCENARIOS.join(', ')}`);
  const warehouses: string[] = [];
  const jobs: CompareJob[] = [];
  try {
    for (const name of SCENARIOS) {
      const scenario = loadScenario(name);
      const warehouse = tempWarehouse();
      warehouses.push(warehouse);
      const run = cli(['apply', scenario.bucketRoot, '--warehouse', warehouse, '--json']);
      assert.equal(run.status, 0, `${name}: ${run.stderr}${run.stdout}`);
      // stderr is not a terminal here: no progress bar, nothing at all
      assert.equal(run.stderr, '', name);
      const report = JSON.parse(run.stdout) as ApplyReport;
      assert.equal(report.tablesFile, join(scenario.root, 'tables.json'), `${name}: tables.json found`);
      assert.equal(report.files.length, filesUnder(scenario.bucketRoot), `${name}: every file`);
      assert.equal(report.counts.rejected, 0, name);
      assert.ok(report.counts.events > 0, name);
      for (const table of expectedTables(scenario)) {
        const show = cli(['show', table, '--warehouse', warehouse]);
        assert.equal(show.status, 0, show.stderr);
        const lines = show.stdout.split('\n').filter(Boolean);
        const expected = expectedCanonical(scenario, table);
        assert.deepEqual([...lines.map(canonicalJsonLine)].sort(), expected, `${name} ${table}: show`);
        if (scenario.tables[table]!.primaryKeys.length > 0) {
          // expected/ files are sorted by primary key: show prints the same sequence
          const inFileOrder = expectedCanonical(scenario, table, false);
          assert.deepEqual(lines.map(canonicalJsonLine), inFileOrder, `${name} ${table}: key order`);
        }
      }
      jobs.push(...compareJobs(scenario, warehouse));
    }
    const seen = await compareTablesWithPyIceberg(jobs);
    for (const job of jobs) {
      await t.test(job.id, () => {
        assert.ok(seen[job.id]!.expected.length > 0);
        assert.deepEqual(seen[job.id]!.actual, seen[job.id]!.expected);
      });
    }
  } finally {
    for (const dir of warehouses) rmSync(dir, { recursive: true, force: true });
  }
});

test('apply twice: the second run changes nothing and says every file was already applied', () => {
  const warehouse = tempWarehouse();
  try {
    const scenario = loadScenario('out-of-order');
    assert.equal(cli(['apply', scenario.bucketRoot, '--warehouse', warehouse]).status, 0);
    const before = cli(['show', 'public.products', '--warehouse', warehouse]).stdout;
    const again = cli(['apply', scenario.bucketRoot, '--warehouse', warehouse, '--json']);
    assert.equal(again.status, 0, again.stderr);
    const statuses = (JSON.parse(again.stdout) as ApplyReport).files.map((f) => f.outcome.status);
    assert.deepEqual(new Set(statuses), new Set(['duplicate']));
    assert.equal(cli(['show', 'public.products', '--warehouse', warehouse]).stdout, before);
    const limited = cli(['show', 'public.products', '--warehouse', warehouse, '--limit', '3']);
    assert.deepEqual(limited.stdout.split('\n').filter(Boolean), before.split('\n').slice(0, 3));
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});

test('apply bad-input onto an applied table: exit 1, one reason per rejected file, the table unchanged', () => {
  const warehouse = tempWarehouse();
  try {
    const seed = loadScenario('seed-validation');
    assert.equal(cli(['apply', seed.bucketRoot, '--warehouse', warehouse]).status, 0);
    const describe = () =>
      JSON.parse(
        cli(['tables', 'describe', 'public.products', '--warehouse', warehouse, '--json']).stdout,
      ) as {
        currentSnapshot: { id: string };
        rows: number;
      };
    const before = describe();
    const rowsBefore = cli(['show', 'public.products', '--warehouse', warehouse]).stdout;

    const scenario = loadScenario('bad-input');
    const rejectedFiles = scenario.order.filter((name) => name.startsWith('cdc-staging/'));
    const run = cli([
      'apply',
      scenario.bucketRoot,
      '--warehouse',
      warehouse,
      '--tables',
      join(scenario.root, 'tables.json'),
    ]);
    assert.equal(run.status, 1, run.stderr);
    const reasons = run.stdout.split('\n').filter((line) => line.startsWith('rejected: '));
    assert.equal(reasons.length, rejectedFiles.length);
    for (const name of rejectedFiles) {
      assert.equal(reasons.filter((r) => r.includes(name)).length, 1, `one reason names ${name}`);
    }
    assert.deepEqual(describe(), before, 'no new snapshot');
    assert.equal(cli(['show', 'public.products', '--warehouse', warehouse]).stdout, rowsBefore);

    const status = cli(['status', '--warehouse', warehouse, '--json']);
    assert.equal(status.status, 1, 'status exits 1 while failed files exist');
    const report = JSON.parse(status.stdout) as {
      tables: { table: string; snapshotId: string }[];
      failedFiles: { file: string; reason: string }[];
    };
    assert.deepEqual(
      report.tables.map((t) => [t.table, t.snapshotId]),
      [['public.products', before.currentSnapshot.id]],
    );
    assert.equal(report.failedFiles.length, rejectedFiles.length);
    for (const f of report.failedFiles) assert.ok(f.reason.length > 0, f.file);
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});

test('apply bad-input on an empty warehouse creates no table', () => {
  const warehouse = tempWarehouse();
  try {
    const scenario = loadScenario('bad-input');
    const run = cli(['apply', scenario.bucketRoot, '--warehouse', warehouse]);
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(cli(['status', '--warehouse', warehouse, '--json']).stdout) as {
      tables: unknown[];
    };
    assert.deepEqual(report.tables, []);
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});
