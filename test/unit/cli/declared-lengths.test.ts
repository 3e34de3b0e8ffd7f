// A declared varchar(n) or char(n) holds at most n characters: a longer value in a file is rejected
// naming the file, line, column and value (before, it was written as given). Characters are counted as
// PostgreSQL counts them: 'é' or an emoji is one.

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
      ['code', 'char(3)'],
      ['name', 'character varying(5)'],
    ],
  },
};

function line(id: number, code: string, name: string): string {
  return itemLine({ id, code, name });
}

test('values longer than a declared varchar(n) or char(n) are rejected with file, line, column and value', () => {
  const root = tempWarehouse();
  try {
    const landing = join(root, 'landing');
    const warehouse = join(root, 'warehouse');
    mkdirSync(landing);
    writeFileSync(join(root, 'tables.json'), JSON.stringify(TABLES));
    // within the lengths: 'ééééé' and five emoji are five characters each
    writeFileSync(join(landing, 'a.jsonl'), `${line(1, 'ABC', 'ééééé')}\n${line(2, 'AB ', '🙂🙂🙂🙂🙂')}\n`);
    writeFileSync(join(landing, 'b.jsonl'), `${line(3, 'ABC', 'abcde')}\n${line(4, 'ABC', 'abcdef')}\n`);
    writeFileSync(join(landing, 'c.jsonl'), `${line(5, 'ABCD', 'a')}\n`);
    const run = cli(['apply', landing, '--warehouse', warehouse, '--json']);
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout) as {
      files: { file: string; outcome: { status: string; reason?: string } }[];
    };
    const outcome = (name: string) => report.files.find((f) => f.file.endsWith(name))!.outcome;
    assert.equal(outcome('a.jsonl').status, 'staged');
    assert.equal(outcome('b.jsonl').status, 'failed');
    assert.match(
      outcome('b.jsonl').reason!,
      /b\.jsonl:2: column "name": is 6 characters, longer than character varying\(5\) allows; value "abcdef"/,
    );
    assert.equal(outcome('c.jsonl').status, 'failed');
    assert.match(
      outcome('c.jsonl').reason!,
      /c\.jsonl:1: column "code": is 4 characters, longer than char\(3\)/,
    );
    const show = cli(['show', 'public.items', '--warehouse', warehouse]);
    assert.equal(show.stdout.trim().split('\n').length, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
