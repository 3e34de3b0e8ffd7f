// A local file is known by its content: two different files at the same relative path under folders of
// the same name, with the same modification time (copied with their times kept), are two files and both
// are applied; the same content applied again is the same file.

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { insertLines } from '../../support/datastream-lines.js';
import { cli, tempWarehouse } from './cli-process.js';

const TABLES = {
  'public.notes': {
    primary_keys: ['id'],
    columns: [
      ['id', 'bigint'],
      ['msg', 'text'],
    ],
  },
};
const NAME = join('public_notes', '2026', '11', '24', '09', '00', 'a_postgresql-cdc_1_1_1.jsonl');

/** `<parent>/bucket/<NAME>` holding one event, with a fixed modification time. */
function bucketWith(parent: string, id: number, msg: string): string {
  const bucket = join(parent, 'bucket');
  const path = join(bucket, NAME);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, insertLines('public', 'notes', { msg }, id, 1));
  const when = new Date('2026-11-24T09:01:00Z');
  utimesSync(path, when, when);
  return bucket;
}

test('two files with the same relative path and modification time but different content are both applied', () => {
  const root = tempWarehouse();
  try {
    const warehouse = join(root, 'warehouse');
    const tables = join(root, 'tables.json');
    writeFileSync(tables, JSON.stringify(TABLES));
    const first = bucketWith(join(root, 'one'), 1, 'first');
    const second = bucketWith(join(root, 'two'), 2, 'second');
    const copy = bucketWith(join(root, 'three'), 1, 'first');
    for (const bucket of [first, second]) {
      const run = cli(['apply', bucket, '--warehouse', warehouse, '--tables', tables, '--json']);
      assert.equal(run.status, 0, run.stderr + run.stdout);
    }
    const copied = cli(['apply', copy, '--warehouse', warehouse, '--tables', tables, '--json']);
    const report = JSON.parse(copied.stdout) as { files: { outcome: { status: string } }[] };
    assert.deepEqual(
      report.files.map((f) => f.outcome.status),
      ['duplicate'],
      'the same content at the same path is the file already applied',
    );
    const show = cli(['show', 'public.notes', '--warehouse', warehouse]);
    assert.equal(show.status, 0, show.stderr);
    assert.deepEqual(show.stdout.split('\n').filter(Boolean), [
      '{"id":1,"msg":"first"}',
      '{"id":2,"msg":"second"}',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
