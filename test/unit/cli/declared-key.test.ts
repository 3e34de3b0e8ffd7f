// A file whose source_metadata.primary_keys disagrees with the declared table's primary key is rejected
// naming the file, the line, the file's keys and the table's (before, its rows were merged by the declared
// key as if nothing was wrong). The same keys listed in another order are the same key.

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, tempWarehouse } from './cli-process.js';
import { itemLine } from '../../support/datastream-lines.js';

const TABLES = {
  'public.items': {
    primary_keys: ['id', 'region'],
    columns: [
      ['id', 'integer'],
      ['region', 'text'],
      ['code', 'text'],
    ],
  },
};

function line(id: number, keys: string[]): string {
  return itemLine({ id, region: 'eu', code: `c${id}` }, { primaryKeys: keys });
}

test("a file keyed otherwise than the declared table is rejected naming the file's keys and the table's", () => {
  const root = tempWarehouse();
  try {
    const landing = join(root, 'landing');
    mkdirSync(landing);
    writeFileSync(join(root, 'tables.json'), JSON.stringify(TABLES));
    writeFileSync(join(landing, 'a.jsonl'), `${line(1, ['region', 'id'])}\n`);
    writeFileSync(join(landing, 'b.jsonl'), `${line(2, ['id', 'region'])}\n${line(3, ['code'])}\n`);
    const run = cli(['apply', landing, '--warehouse', join(root, 'warehouse'), '--json']);
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout) as {
      files: { file: string; outcome: { status: string; reason?: string } }[];
    };
    const outcome = (name: string) => report.files.find((f) => f.file.endsWith(name))!.outcome;
    assert.equal(outcome('a.jsonl').status, 'staged', 'the same key in another order');
    assert.equal(outcome('b.jsonl').status, 'failed');
    assert.match(
      outcome('b.jsonl').reason!,
      /b\.jsonl:2: column "source_metadata\.primary_keys": are \(code\) but the table's primary key is \(id, region\)/,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
