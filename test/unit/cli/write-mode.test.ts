// Write modes from the command line: `apply --write-mode merge-on-read` file by file (one commit each, so
// later files change rows earlier commits stored) gives exactly the scenarios' expected rows, read by
// PyIceberg, with position delete files; a table's `write_mode` in tables.json wins over the flag and
// `tables describe` shows it with the delete files, `tables create` takes it; a wrong mode or property
// value is a usage error (exit 2) naming it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareTablesWithPyIceberg, type CompareJob } from '../../support/pyiceberg-compare.js';
import { loadScenario } from '../../support/scenarios.js';
import { cli, compareJobs, expectedTables, tempWarehouse } from './cli-process.js';

interface Description {
  properties: Record<string, string>;
  writeMode: string;
  deleteFiles: number;
  deletedRows: number;
  rows: number;
}

function describe(warehouse: string, table: string): Description {
  const run = cli(['tables', 'describe', table, '--warehouse', warehouse, '--json']);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Description;
}

test('apply --write-mode merge-on-read, one file at a time: PyIceberg reads exactly expected/, with delete files', async (t) => {
  const warehouses: string[] = [];
  const jobs: CompareJob[] = [];
  let deleteFiles = 0;
  try {
    for (const name of ['out-of-order', 'composite-and-no-pk', 'schema-evolution']) {
      const scenario = loadScenario(name);
      const warehouse = tempWarehouse();
      warehouses.push(warehouse);
      for (const object of scenario.order) {
        const run = cli([
          'apply',
          join(scenario.bucketRoot, object),
          '--warehouse',
          warehouse,
          '--tables',
          join(scenario.root, 'tables.json'),
          '--write-mode',
          'merge-on-read',
        ]);
        assert.equal(run.status, 0, `${name} ${object}: ${run.stderr}${run.stdout}`);
      }
      for (const table of expectedTables(scenario)) {
        const d = describe(warehouse, table);
        assert.equal(d.writeMode, 'merge-on-read', `${name} ${table}`);
        assert.equal(d.properties['write.update.mode'], 'merge-on-read');
        deleteFiles += d.deleteFiles;
      }
      jobs.push(...compareJobs(scenario, warehouse));
    }
    assert.ok(deleteFiles > 0, 'later files changed stored rows through position deletes');
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

test('a declared write_mode wins over --write-mode; tables describe shows the mode and the delete files', () => {
  const scenario = loadScenario('out-of-order');
  const dir = mkdtempSync(join(tmpdir(), 'dsi-write-mode-'));
  const warehouse = join(dir, 'warehouse');
  try {
    const tablesFile = join(dir, 'tables.json');
    const declared = scenario.tables['public.products']!;
    writeFileSync(
      tablesFile,
      JSON.stringify({
        'public.products': {
          primary_keys: declared.primaryKeys,
          columns: declared.columns,
          write_mode: 'auto',
          properties: { 'datastream-iceberg.auto.rewrite-fraction': '0.9' },
        },
      }),
    );
    for (const object of scenario.order) {
      const run = cli([
        'apply',
        join(scenario.bucketRoot, object),
        '--warehouse',
        warehouse,
        '--tables',
        tablesFile,
        '--write-mode',
        'copy-on-write',
      ]);
      assert.equal(run.status, 0, run.stderr + run.stdout);
    }
    const d = describe(warehouse, 'public.products');
    assert.equal(d.writeMode, 'auto');
    assert.equal(d.properties['datastream-iceberg.auto.rewrite-fraction'], '0.9');
    const text = cli(['tables', 'describe', 'public.products', '--warehouse', warehouse]);
    assert.match(text.stdout, /^write mode: auto$/m);
    assert.ok(d.deleteFiles > 0, 'auto merged changes on read');
    assert.match(
      text.stdout,
      new RegExp(`position delete files: ${d.deleteFiles}, deleted rows: ${d.deletedRows}`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown --write-mode or an unusable declared property value is a usage error naming it', () => {
  const scenario = loadScenario('out-of-order');
  const dir = mkdtempSync(join(tmpdir(), 'dsi-write-mode-'));
  try {
    const bad = cli([
      'apply',
      scenario.bucketRoot,
      '--warehouse',
      join(dir, 'w1'),
      '--write-mode',
      'sometimes',
    ]);
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(
      bad.stderr,
      /--write-mode must be one of copy-on-write, merge-on-read, auto, not "sometimes"/,
    );

    const products = scenario.tables['public.products']!;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ write_mode: 'lazy' }, /public\.products: write mode "lazy" is not one of/],
      [
        { properties: { 'datastream-iceberg.auto.max-delete-files': '0' } },
        /table public\.products: table property datastream-iceberg\.auto\.max-delete-files="0" is not a positive integer/,
      ],
      [
        { properties: { 'datastream-iceberg.write-mode': 'fast' } },
        /table public\.products: table property datastream-iceberg\.write-mode="fast"/,
      ],
    ];
    for (const [extra, message] of cases) {
      const tablesFile = join(dir, 'tables.json');
      writeFileSync(
        tablesFile,
        JSON.stringify({
          'public.products': { primary_keys: products.primaryKeys, columns: products.columns, ...extra },
        }),
      );
      const run = cli(['apply', scenario.bucketRoot, '--warehouse', join(dir, 'w2'), '--tables', tablesFile]);
      assert.equal(run.status, 2, `${JSON.stringify(extra)}: ${run.stderr}${run.stdout}`);
      assert.match(run.stderr, message);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tables create takes the declared write mode and properties', () => {
  const scenario = loadScenario('out-of-order');
  const dir = mkdtempSync(join(tmpdir(), 'dsi-write-mode-'));
  try {
    const products = scenario.tables['public.products']!;
    const tablesFile = join(dir, 'tables.json');
    writeFileSync(
      tablesFile,
      JSON.stringify({
        'public.products': {
          primary_keys: products.primaryKeys,
          columns: products.columns,
          write_mode: 'merge-on-read',
          properties: { 'datastream-iceberg.auto.max-delete-files': '4' },
        },
      }),
    );
    const warehouse = join(dir, 'w');
    const run = cli([
      'tables',
      'create',
      'public.products',
      '--warehouse',
      warehouse,
      '--tables',
      tablesFile,
    ]);
    assert.equal(run.status, 0, run.stderr);
    const d = describe(warehouse, 'public.products');
    assert.equal(d.writeMode, 'merge-on-read');
    assert.equal(d.properties['write.delete.mode'], 'merge-on-read');
    assert.equal(d.properties['datastream-iceberg.auto.max-delete-files'], '4');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
