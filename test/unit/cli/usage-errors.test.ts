// Usage errors the same way in every command: a missing path is exit 2 for replay as for apply; with
// --json the error is also one JSON object on stdout (a program reading stdout got nothing before); and
// `maintain --dry-run` shows how many files its compaction plan would write (it said "→ 0 files").

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, tempWarehouse } from './cli-process.js';
import { itemLine } from '../../support/datastream-lines.js';

test('a missing path: replay exits 2 as apply does, naming it', () => {
  const root = tempWarehouse();
  try {
    const missing = join(root, 'missing.jsonl');
    for (const command of ['apply', 'replay']) {
      const run = cli([command, missing, '--warehouse', join(root, 'warehouse')]);
      assert.equal(run.status, 2, `${command}: ${run.stderr}`);
      assert.match(run.stderr, /no such file.*missing\.jsonl/);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('with --json a usage error is one JSON object on stdout (and the message on stderr), exit 2', () => {
  const cases: Array<{ args: string[]; message: RegExp }> = [
    { args: ['apply', '--json'], message: /apply needs --warehouse/ },
    { args: ['status', '--json'], message: /status needs --warehouse/ },
    { args: ['replay', 'a.jsonl', '--json'], message: /a local path needs --warehouse/ },
    { args: ['replay', '--bogus', '--json'], message: /Unknown option '--bogus'/ },
    { args: ['maintain', '--json', '--bogus'], message: /Unknown option '--bogus'/ },
    { args: ['maintain', 'public.t', '--json'], message: /--warehouse <dir> or --cloud/ },
    { args: ['show', '--json'], message: /show needs <namespace\.table>/ },
    { args: ['nosuch', '--json'], message: /unknown command "nosuch"/ },
  ];
  for (const { args, message } of cases) {
    const run = cli(args);
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: ${run.stdout}`);
    const { error } = JSON.parse(lines[0]!) as { error: { kind: string; command: string; message: string } };
    assert.equal(error.kind, 'usage');
    assert.equal(error.command, args[0] === 'nosuch' ? '' : args[0]);
    assert.match(error.message, message);
    assert.match(run.stderr, message);
  }
  // without --json stdout stays empty
  assert.equal(cli(['apply']).stdout, '');
});

function line(id: number): string {
  return itemLine({ id, name: `n${id}` });
}

test('maintain --dry-run: the compaction plan shows the files it would write, one per group', () => {
  const root = tempWarehouse();
  try {
    const landing = join(root, 'landing');
    const warehouse = join(root, 'warehouse');
    mkdirSync(landing);
    for (const id of [1, 2, 3]) {
      writeFileSync(join(landing, `f${id}.jsonl`), `${line(id)}\n`);
      assert.equal(cli(['apply', join(landing, `f${id}.jsonl`), '--warehouse', warehouse]).status, 0);
    }
    const args = [
      'maintain',
      'public.items',
      '--warehouse',
      warehouse,
      '--min-input-files',
      '2',
      '--dry-run',
    ];
    const run = cli(args);
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stdout,
      /compaction \(planned\): 3 files \(.*\) in 1 groups → 1 file \(planned: one per group\)/,
    );
    assert.doesNotMatch(run.stdout, /→ 0 files/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
