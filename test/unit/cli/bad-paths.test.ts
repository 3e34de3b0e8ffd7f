// Paths that cannot be used as given end the command with one line naming the path (exit 2), not with a
// stack trace from the file system or the SQLite driver: a symbolic link loop in the input folder, a
// --warehouse that is a regular file, a catalog.db that is no SQLite database.

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SpawnSyncReturns } from 'node:child_process';
import { cli, tempWarehouse } from './cli-process.js';

function assertOneLine(run: SpawnSyncReturns<string>, path: string): void {
  assert.equal(run.status, 2, run.stderr);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.ok(run.stderr.includes(path), run.stderr);
}

test('a symbolic link loop in the input folder: one line naming the link, exit 2', () => {
  const root = tempWarehouse();
  try {
    const landing = join(root, 'landing');
    mkdirSync(join(landing, 'sub'), { recursive: true });
    writeFileSync(join(landing, 'sub', 'a.jsonl'), '');
    symlinkSync('..', join(landing, 'sub', 'up'));
    const run = cli(['apply', landing, '--warehouse', join(root, 'warehouse')]);
    assertOneLine(run, join(landing, 'sub', 'up'));
    assert.match(run.stderr, /symbolic link loop/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--warehouse a regular file, or a catalog.db that is no SQLite database: one line naming it, exit 2', () => {
  const root = tempWarehouse();
  try {
    const landing = join(root, 'landing');
    mkdirSync(landing);
    const file = join(root, 'not-a-folder');
    writeFileSync(file, 'x');
    assertOneLine(cli(['apply', landing, '--warehouse', file]), file);

    const broken = join(root, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'catalog.db'), 'this is text, not an SQLite database, long enough to be read');
    const apply = cli(['apply', landing, '--warehouse', broken]);
    assertOneLine(apply, join(broken, 'catalog.db'));
    assert.match(apply.stderr, /not a warehouse catalog/);
    assertOneLine(cli(['status', '--warehouse', broken]), join(broken, 'catalog.db'));
    assertOneLine(
      cli(['tables', 'describe', 'public.items', '--warehouse', broken]),
      join(broken, 'catalog.db'),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
