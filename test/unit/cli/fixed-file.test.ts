// A file that failed, then written again fixed at the same path (a new generation of the same object) and
// applied: status counts it as fixed, not failed, and exits 0; the old failure stays listed as history.

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, tempWarehouse } from './cli-process.js';
import { itemLine } from '../../support/datastream-lines.js';

const TABLES = {
  'public.items': {
    primary_keys: ['id'],
    columns: [
      ['id', 'integer'],
      ['qty', 'integer'],
    ],
  },
};

function line(qty: unknown): string {
  return itemLine({ id: 1, qty });
}

interface Status {
  failedFiles: { file: string; reason: string }[];
  fixedFiles: { file: string; reason: string; failedGeneration: string; fixedGeneration: string }[];
}

test('a failed file applied again fixed (new generation): status is healthy and keeps the old failure as history', () => {
  const root = tempWarehouse();
  try {
    const bucket = join(root, 'landing');
    const warehouse = join(root, 'warehouse');
    mkdirSync(bucket);
    writeFileSync(join(root, 'tables.json'), JSON.stringify(TABLES));
    const file = join(bucket, 'items.jsonl');
    writeFileSync(file, `${line('many')}\n`);
    assert.equal(cli(['apply', bucket, '--warehouse', warehouse]).status, 1);
    let status = cli(['status', '--warehouse', warehouse, '--json']);
    assert.equal(status.status, 1);
    assert.equal((JSON.parse(status.stdout) as Status).failedFiles.length, 1);

    writeFileSync(file, `${line(3)}\n`);
    const fixed = cli(['apply', bucket, '--warehouse', warehouse]);
    assert.equal(fixed.status, 0, fixed.stdout);
    status = cli(['status', '--warehouse', warehouse, '--json']);
    assert.equal(status.status, 0, status.stdout);
    const report = JSON.parse(status.stdout) as Status;
    assert.deepEqual(report.failedFiles, []);
    assert.equal(report.fixedFiles.length, 1);
    assert.equal(report.fixedFiles[0]!.file, file);
    assert.match(report.fixedFiles[0]!.reason, /items\.jsonl:1: column "qty"/);
    assert.notEqual(report.fixedFiles[0]!.failedGeneration, report.fixedFiles[0]!.fixedGeneration);
    const text = cli(['status', '--warehouse', warehouse]);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /fixed by a later generation: .*items\.jsonl/);
    assert.match(text.stdout, /0 failed \(1 more fixed later\)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
