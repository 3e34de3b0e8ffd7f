// The `datastream-iceberg apply` command as a user runs it: a scenario's bucket folder applied to a fresh
// warehouse, then PyIceberg's SqlCatalog on <warehouse>/catalog.db must read exactly expected/; the
// bad-input scenario must exit non-zero with one reason per rejected file and create no table.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareTablesWithPyIceberg } from '../../support/pyiceberg-compare.js';
import { loadScenario, REPO_ROOT } from '../../support/scenarios.js';

const CLI = join(REPO_ROOT, 'scripts', 'datastream-iceberg.js');

function apply(scenarioName: string, warehouse: string) {
  const scenario = loadScenario(scenarioName);
  return spawnSync(
    process.execPath,
    [
      CLI,
      'apply',
      scenario.bucketRoot,
      '--warehouse',
      warehouse,
      '--tables',
      join(scenario.root, 'tables.json'),
      '--json',
    ],
    { encoding: 'utf8' },
  );
}

test('apply <scenario>/bucket: PyIceberg SqlCatalog on catalog.db reads exactly expected/', async () => {
  const warehouse = mkdtempSync(join(tmpdir(), 'dsi-cli-'));
  try {
    const scenario = loadScenario('out-of-order');
    const run = apply('out-of-order', warehouse);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { files: { outcome: { status: string } }[] };
    assert.equal(report.files.length, scenario.order.length);
    assert.ok(existsSync(join(warehouse, 'catalog.db')));
    const jobs = readdirSync(join(scenario.root, 'expected')).map((file) => {
      const table = file.replace(/\.jsonl$/, '');
      return {
        id: table,
        catalog: {
          type: 'sql',
          uri: `sqlite:///${join(warehouse, 'catalog.db')}`,
          warehouse: `file://${warehouse}`,
        },
        table,
        columns: scenario.tables[table]!.columns,
        expected: join(scenario.root, 'expected', file),
      };
    });
    const seen = await compareTablesWithPyIceberg(jobs);
    for (const job of jobs) {
      assert.ok(seen[job.id]!.expected.length > 0);
      assert.deepEqual(seen[job.id]!.actual, seen[job.id]!.expected, job.id);
    }
    // Applying the same files again changes nothing and says so.
    const again = apply('out-of-order', warehouse);
    assert.equal(again.status, 0, again.stderr);
    const statuses = (JSON.parse(again.stdout) as { files: { outcome: { status: string } }[] }).files.map(
      (f) => f.outcome.status,
    );
    assert.deepEqual(new Set(statuses), new Set(['duplicate']));
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});

test('apply bad-input: exit code 1, one reason per rejected file, no table created', () => {
  const warehouse = mkdtempSync(join(tmpdir(), 'dsi-cli-'));
  try {
    const scenario = loadScenario('bad-input');
    const rejectedFiles = scenario.order.filter((name) => name.startsWith('cdc-staging/'));
    const run = spawnSync(
      process.execPath,
      [
        CLI,
        'apply',
        scenario.bucketRoot,
        '--warehouse',
        warehouse,
        '--tables',
        join(scenario.root, 'tables.json'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 1, run.stderr);
    const reasons = run.stdout.split('\n').filter((line) => line.startsWith('rejected: '));
    assert.equal(reasons.length, rejectedFiles.length);
    for (const name of rejectedFiles) {
      assert.equal(reasons.filter((r) => r.includes(name)).length, 1, `one reason names ${name}`);
    }
    const status = spawnSync(process.execPath, [CLI, 'status', '--warehouse', warehouse, '--json'], {
      encoding: 'utf8',
    });
    const report = JSON.parse(status.stdout) as { tables: unknown[]; failedFiles: unknown[] };
    assert.deepEqual(report.tables, []);
    assert.equal(report.failedFiles.length, rejectedFiles.length);
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});
