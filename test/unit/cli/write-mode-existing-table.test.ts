// A write mode asked for a table that already exists (`--write-mode`, or a tables.json `write_mode` or
// `properties` changed after the table was created) is not applied to it: those set the properties of the
// tables a run creates. `apply` must say so instead of committing in the table's own mode in silence,
// naming the table, the property, the table's value and the one asked for; the table keeps its mode.

import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { insertLines } from '../../support/datastream-lines.js';
import { cli, tempWarehouse } from './cli-process.js';

function declare(file: string, extra: Record<string, unknown> = {}): void {
  writeFileSync(
    file,
    JSON.stringify({
      'public.items': {
        primary_keys: ['id'],
        columns: [
          ['id', 'integer'],
          ['name', 'text'],
        ],
        ...extra,
      },
    }),
  );
}

function writeMode(warehouse: string): string {
  const run = cli(['tables', 'describe', 'public.items', '--warehouse', warehouse, '--json']);
  assert.equal(run.status, 0, run.stderr);
  return (JSON.parse(run.stdout) as { writeMode: string }).writeMode;
}

test('apply names a --write-mode or declared write mode that an existing table does not take', () => {
  const dir = tempWarehouse();
  try {
    const warehouse = join(dir, 'w');
    const tables = join(dir, 'tables.json');
    declare(tables);
    const file = (n: number): string => {
      const path = join(dir, `f${n}.jsonl`);
      writeFileSync(path, insertLines('public', 'items', { name: `v${n}` }, n * 10, 2));
      return path;
    };
    const first = cli([
      'apply',
      file(1),
      '--warehouse',
      warehouse,
      '--tables',
      tables,
      '--write-mode',
      'merge-on-read',
    ]);
    assert.equal(first.status, 0, first.stderr + first.stdout);
    assert.doesNotMatch(first.stderr, /is created/, 'the table was created in the mode asked for');

    const flag = cli([
      'apply',
      file(2),
      '--warehouse',
      warehouse,
      '--tables',
      tables,
      '--write-mode',
      'copy-on-write',
    ]);
    assert.equal(flag.status, 0, flag.stderr + flag.stdout);
    assert.match(
      flag.stderr,
      /table public\.items keeps datastream-iceberg\.write-mode=merge-on-read \(asked: copy-on-write\)/,
    );
    assert.equal(writeMode(warehouse), 'merge-on-read');

    declare(tables, { write_mode: 'auto', properties: { 'datastream-iceberg.auto.max-delete-files': '3' } });
    const declared = cli(['apply', file(3), '--warehouse', warehouse, '--tables', tables]);
    assert.equal(declared.status, 0, declared.stderr + declared.stdout);
    assert.match(
      declared.stderr,
      /table public\.items keeps .*datastream-iceberg\.write-mode=merge-on-read \(asked: auto\)/,
    );
    assert.match(declared.stderr, /datastream-iceberg\.auto\.max-delete-files \(unset; asked: 3\)/);
    assert.equal(writeMode(warehouse), 'merge-on-read');

    declare(tables);
    const quiet = cli(['apply', file(4), '--warehouse', warehouse, '--tables', tables]);
    assert.equal(quiet.status, 0, quiet.stderr + quiet.stdout);
    assert.doesNotMatch(quiet.stderr, /keeps/, 'nothing asked, nothing to say');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tables create --if-not-exists names the declared write mode an existing table does not take', () => {
  const dir = tempWarehouse();
  try {
    const warehouse = join(dir, 'w');
    const tables = join(dir, 'tables.json');
    declare(tables, { write_mode: 'merge-on-read' });
    const create = cli(['tables', 'create', 'public.items', '--warehouse', warehouse, '--tables', tables]);
    assert.equal(create.status, 0, create.stderr);
    assert.equal(create.stderr, '');
    declare(tables, { write_mode: 'copy-on-write' });
    const again = cli([
      'tables',
      'create',
      'public.items',
      '--warehouse',
      warehouse,
      '--tables',
      tables,
      '--if-not-exists',
    ]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(
      again.stderr,
      /note: table public\.items keeps .*datastream-iceberg\.write-mode=merge-on-read \(asked: copy-on-write\)/,
    );
    assert.equal(writeMode(warehouse), 'merge-on-read');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
