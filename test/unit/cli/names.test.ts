// `datastream-iceberg apply` on files whose schema, table and column names are hostile: path traversal,
// a table named like another's data folder, dots, 300 characters, Object.prototype names, the reserved
// _cdc_ prefix. Nothing may be written outside the warehouse, no table may lose another's files or rows,
// and a name that cannot be carried fails its file with the reason, never the process.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { insertLines } from '../../support/datastream-lines.js';
import { cli, tempWarehouse } from './cli-process.js';

interface ApplyReport {
  files: { file: string; outcome: { status: string; reason?: string } }[];
}

let fileSeq = 0;

/** One JSONL object of `count` inserts into schema.table, ids from `first`, each with `payload`. */
function writeFile(
  dir: string,
  schema: string,
  table: string,
  payload: Record<string, unknown>,
  first = 1,
  count = 2,
) {
  mkdirSync(dir, { recursive: true });
  const name = join(dir, `f${fileSeq++}_postgresql-cdc_1_${first}.jsonl`);
  writeFileSync(name, insertLines(schema, table, payload, first, count));
  return name;
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path).map((f) => join(name, f)) : [name];
  });
}

function apply(
  input: string,
  warehouse: string,
): { status: number | null; report: ApplyReport; stderr: string } {
  const run = cli(['apply', input, '--warehouse', warehouse, '--json']);
  const report = (run.stdout.trim() ? JSON.parse(run.stdout) : { files: [] }) as ApplyReport;
  return { status: run.status, report, stderr: run.stderr };
}

function show(table: string, warehouse: string): string[] {
  const run = cli(['show', table, '--warehouse', warehouse]);
  assert.equal(run.status, 0, `show ${table}: ${run.stderr}`);
  return run.stdout.split('\n').filter(Boolean);
}

test('a table or schema named with ".." writes nothing outside the warehouse and its work folder', () => {
  const root = tempWarehouse();
  const warehouse = join(root, 'deep', 'warehouse');
  writeFile(join(root, 'in'), 'public', '../../x', { v: 1 });
  writeFile(join(root, 'in'), '../../..', 't', { v: 2 });
  const run = apply(join(root, 'in'), warehouse);
  assert.equal(run.status, 0, run.stderr);
  const outside = filesUnder(root).filter((f) => !f.startsWith('in/') && !f.startsWith('deep/warehouse/'));
  assert.deepEqual(outside, []);
  const changesets = filesUnder(warehouse).filter((f) => f.endsWith('.arrows'));
  assert.ok(
    changesets.length >= 2 && changesets.every((f) => f.startsWith('_work/changesets/')),
    changesets.join(),
  );
  assert.deepEqual(show('public."../../x"', warehouse), ['{"id":1,"v":"1"}', '{"id":2,"v":"1"}']);
  assert.deepEqual(show('"../../..".t', warehouse), ['{"id":1,"v":"2"}', '{"id":2,"v":"2"}']);
});

test('orphan removal of public.a keeps every file of public."a/data"', () => {
  const warehouse = tempWarehouse();
  const input = join(warehouse, '..', `${relative('/', warehouse).replaceAll('/', '_')}-in`);
  writeFile(input, 'public', 'a', { v: 1 });
  writeFile(input, 'public', 'a/data', { w: 2 });
  assert.equal(apply(input, warehouse).status, 0);
  const before = filesUnder(warehouse).length;
  const maintain = cli(['maintain', 'public.a', '--warehouse', warehouse, '--orphans-older-than', '0s']);
  assert.equal(maintain.status, 0, maintain.stderr);
  assert.deepEqual(show('public.a/data', warehouse), ['{"id":1,"w":"2"}', '{"id":2,"w":"2"}']);
  assert.deepEqual(show('public.a', warehouse), ['{"id":1,"v":"1"}', '{"id":2,"v":"1"}']);
  assert.ok(filesUnder(warehouse).length >= before - 2, 'only old metadata of public.a may go');
});

test('"a.b".c and a."b.c" are two tables, each shown by its quoted name', () => {
  const warehouse = tempWarehouse();
  const input = join(warehouse, 'in');
  writeFile(input, 'a.b', 'c', { v: 1 });
  writeFile(input, 'a', 'b.c', { w: 'x' });
  const run = apply(input, warehouse);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(show('"a.b".c', warehouse), ['{"id":1,"v":"1"}', '{"id":2,"v":"1"}']);
  assert.deepEqual(show('"a"."b.c"', warehouse), ['{"id":1,"w":"x"}', '{"id":2,"w":"x"}']);
  assert.equal(
    cli(['show', 'a.b.c', '--warehouse', warehouse]).status,
    2,
    'a.b.c is ambiguous: a usage error',
  );
});

test('a 300-character table name fails its file with the reason, on this apply and the next', () => {
  const warehouse = tempWarehouse();
  const input = join(warehouse, 'in');
  const file = writeFile(input, 'public', 'x'.repeat(300), { v: 1 });
  writeFile(input, 'public', 'fine', { v: 1 });
  const run = apply(input, warehouse);
  assert.equal(run.status, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /ENAMETOOLONG|\n\s+at /);
  const failed = run.report.files.find((f) => f.outcome.status === 'failed');
  assert.ok(failed && file.endsWith(failed.file.split('/').pop()!), JSON.stringify(run.report));
  assert.match(failed.outcome.reason ?? '', /:1: .*table name "x{80}…" is 300 bytes of UTF-8; .* at most 63/);
  // the file is recorded as failed, not left half-done: the next apply passes over it without a crash
  const again = apply(input, warehouse);
  assert.equal(again.status, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /ENAMETOOLONG|\n\s+at /);
  assert.deepEqual(show('public.fine', warehouse), ['{"id":1,"v":"1"}', '{"id":2,"v":"1"}']);
});

test('columns named __proto__ and constructor are applied like any other', () => {
  const warehouse = tempWarehouse();
  const input = join(warehouse, 'in');
  writeFile(
    input,
    'public',
    'p',
    JSON.parse('{"__proto__": 1, "constructor": "c"}') as Record<string, unknown>,
  );
  writeFile(input, 'public', 'p', { toString: 't' }, 3, 1);
  const run = apply(input, warehouse);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(show('public.p', warehouse), [
    '{"id":1,"__proto__":"1","constructor":"c","toString":null}',
    '{"id":2,"__proto__":"1","constructor":"c","toString":null}',
    '{"id":3,"__proto__":null,"constructor":null,"toString":"t"}',
  ]);
});

test('a payload column with the reserved _cdc_ prefix fails its file naming file, line and column', () => {
  const warehouse = tempWarehouse();
  const input = join(warehouse, 'in');
  // a new table and a table that exists: both must fail the file, not add a column or drop the value
  const first = apply(writeFile(join(input, '1'), 'public', 'q', { _cdc_source_ts_ms: 5 }), warehouse);
  assert.equal(first.status, 1);
  assert.match(first.report.files[0]!.outcome.reason ?? '', /column "_cdc_source_ts_ms".*reserved/);
  assert.equal(apply(writeFile(join(input, '2'), 'public', 'q', { v: 1 }), warehouse).status, 0);
  const existing = apply(writeFile(join(input, '3'), 'public', 'q', { v: 2, _CDC_lsn: 7 }, 3), warehouse);
  assert.equal(existing.status, 1);
  assert.match(existing.report.files[0]!.outcome.reason ?? '', /\.jsonl:1: column "_CDC_lsn".*reserved/);
  assert.equal(apply(writeFile(join(input, '4'), 'public', 'q', { v: 3 }, 5), warehouse).status, 0);
  assert.deepEqual(show('public.q', warehouse), [
    '{"id":1,"v":"1"}',
    '{"id":2,"v":"1"}',
    '{"id":5,"v":"3"}',
    '{"id":6,"v":"3"}',
  ]);
});

test('status lists tables whose names need quoting once each, by their quoted keys', () => {
  const root = tempWarehouse();
  const warehouse = join(root, 'warehouse');
  const input = join(root, 'in');
  writeFile(input, 'pub.lic', 'ta.ble', { v: 1 });
  writeFile(input, 'public', 'a/b', { v: 1 });
  writeFile(input, 'public', 'we"ird', { v: 1 });
  assert.equal(apply(input, warehouse).status, 0);
  const run = cli(['status', '--warehouse', warehouse, '--json']);
  assert.equal(run.status, 0, run.stderr);
  const tables = (JSON.parse(run.stdout) as { tables: { table: string; pendingChangesets: number }[] })
    .tables;
  assert.deepEqual(tables.map((t) => t.table).sort(), [
    '"pub.lic"."ta.ble"',
    'public."a/b"',
    'public."we""ird"',
  ]);
  assert.ok(tables.every((t) => t.pendingChangesets === 0));
});
