// The `maintain` command as a user runs it, in its own process: the text and --json reports, a dry run
// that changes nothing, exit code 1 for a busy table or an unknown one, 2 for usage errors.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { KEY, removeWarehouses, warehouse } from './support.js';

after(removeWarehouses);

// compiled next to this test: dist/test/unit/maintenance → dist/functions/cli/maintain.js
const COMMAND = new URL('../../../functions/cli/maintain.js', import.meta.url).href;

function maintain(...args: string[]) {
  const script = `import { maintainCommand } from ${JSON.stringify(COMMAND)};
process.exitCode = await maintainCommand.run(JSON.parse(process.argv[1]));`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(args)], {
    encoding: 'utf8',
  });
}

test('maintain on a warehouse: dry run, run, JSON report, busy and usage errors', async () => {
  const w = warehouse();
  for (let i = 0; i < 8; i++) await w.commit([[i, i]]);
  w.db.close(); // the command opens catalog.db itself

  const help = maintain('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--orphans-older-than/);
  assert.equal(maintain(KEY).status, 2, 'no --warehouse');
  const badDuration = maintain(KEY, '--warehouse', w.dir, '--expire-older-than', '5 days');
  assert.equal(badDuration.status, 2);
  assert.match(badDuration.stderr, /--expire-older-than: "5 days" is not a duration/);
  const unknown = maintain('shop.nothing', '--warehouse', w.dir);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /no such table: shop.nothing/);

  const dry = maintain(
    KEY,
    '--warehouse',
    w.dir,
    '--dry-run',
    '--expire-older-than',
    '0',
    '--orphans-older-than',
    '0',
  );
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /dry run: nothing changed/);
  assert.match(dry.stdout, /live data files: 8 → 8/);

  const run = maintain(
    KEY,
    '--warehouse',
    w.dir,
    '--expire-older-than',
    '0',
    '--orphans-older-than',
    '0',
    '--json',
  );
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as {
    status: string;
    liveDataFiles: { before: number; after: number };
    expire: { expiredSnapshots: string[] };
    compaction: { status: string };
  };
  assert.equal(report.status, 'done');
  assert.deepEqual(report.liveDataFiles, { before: 8, after: 1 });
  assert.equal(report.compaction.status, 'committed');
  assert.equal(report.expire.expiredSnapshots.length, 8);
});

test('maintain reports a table busy while a commit holds its lease', async () => {
  const w = warehouse();
  await w.commit([[1, 1]]);
  await w.state.acquireLease(KEY, 'a-commit', 60_000, Date.now());
  const busy = maintain(KEY, '--warehouse', w.dir);
  assert.equal(busy.status, 1);
  assert.match(busy.stdout, /busy \(a commit holds the table's lease\)/);
  w.db.close();
});
