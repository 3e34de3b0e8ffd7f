// The command line's contract: the top-level help lists every command with its summary, `<cmd> --help`
// and `-h` print that command's usage and exit 0, an unknown command or option prints the message and
// the usage on stderr and exits 2, and a progress bar appears only on a terminal.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMANDS } from '../../../functions/cli/registry.js';
import { createProgress, formatProgress } from '../../../functions/cli/progress.js';
import { cli } from './cli-process.js';

test('top-level help lists every command with its summary; no command is a usage error', () => {
  const help = cli(['--help']);
  assert.equal(help.status, 0);
  for (const command of COMMANDS) {
    assert.match(help.stdout, new RegExp(`^  ${command.name} +${escape(command.summary)}$`, 'm'));
  }
  const none = cli([]);
  assert.equal(none.status, 2);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /^usage: datastream-iceberg <command>/);
});

test('<command> --help and -h print the command usage, exit 0, and run nothing', () => {
  for (const command of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      const run = cli([command.name, flag, '--warehouse', '/nonexistent/warehouse']);
      assert.equal(run.status, 0, `${command.name} ${flag}`);
      assert.equal(run.stdout, `${command.usage}\n`);
      assert.equal(run.stderr, '');
    }
  }
  assert.equal(cli(['help', 'show']).stdout, `${COMMANDS.find((c) => c.name === 'show')!.usage}\n`);
});

test('unknown command, unknown option, missing argument: message and usage on stderr, exit 2', () => {
  const unknown = cli(['frobnicate']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  assert.match(unknown.stderr, /usage: datastream-iceberg <command>/);

  const badOption = cli(['status', '--warehouse', '.', '--colour']);
  assert.equal(badOption.status, 2);
  assert.match(badOption.stderr, /--colour/);
  assert.ok(badOption.stderr.includes(COMMANDS.find((c) => c.name === 'status')!.usage));

  const noWarehouse = cli(['apply', '.']);
  assert.equal(noWarehouse.status, 2);
  assert.match(noWarehouse.stderr, /apply needs --warehouse/);

  const badTable = cli(['show', 'products', '--warehouse', '.']);
  assert.equal(badTable.status, 2);
  assert.match(badTable.stderr, /"products" is not namespace\.table/);

  const badLimit = cli(['run', '.', '--warehouse', '.', '--poll-ms', 'soon']);
  assert.equal(badLimit.status, 2);
  assert.match(badLimit.stderr, /--poll-ms must be a positive integer, got "soon"/);
});

test('progress: a bar on a terminal, nothing otherwise', () => {
  const written: string[] = [];
  let clock = 0;
  const progress = createProgress(
    4,
    { isTTY: true, columns: 120, write: (t) => written.push(t) },
    () => clock,
  );
  for (let i = 1; i <= 4; i++) {
    clock += 500;
    progress.tick(`file-${i}`, 10);
  }
  progress.done();
  const last = written.filter((w) => w.includes('file-4')).at(-1)!;
  assert.ok(last.includes(formatProgress(4, 4, 40, 2000)), last);
  assert.match(formatProgress(1, 4, 7, 1500), /^\[#{6}-{18}\] 1\/4 files, 7 events, 1\.5 s$/);
  assert.equal(written.at(-1), '\r\x1b[2K', 'the bar is cleared at the end');

  const quiet: string[] = [];
  const none = createProgress(4, { isTTY: false, write: (t) => quiet.push(t) });
  none.tick('file', 1);
  none.done();
  assert.deepEqual(quiet, []);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
