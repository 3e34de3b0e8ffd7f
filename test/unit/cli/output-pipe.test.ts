// Output larger than a pipe's buffer reaches a slow reader whole: the command exits only once stdout has
// drained (process.exit right after the write cut it at 64 KiB, with exit 0).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { insertLines } from '../../support/datastream-lines.js';
import { CLI, cli, tempWarehouse } from './cli-process.js';

const ROWS = 2_000;
const MSG = 'm'.repeat(600);

/** Runs the CLI with stdout into a pipe read only after `waitMs`; resolves its exit code and output. */
function slowlyRead(args: string[], waitMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.pause();
    setTimeout(() => {
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.stdout.resume();
    }, waitMs);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out: Buffer.concat(chunks).toString('utf8') }));
  });
}

test('show and --json into a slow pipe: every byte of a >1 MB output arrives, exit 0', async () => {
  const root = tempWarehouse();
  try {
    const warehouse = join(root, 'warehouse');
    const tables = join(root, 'tables.json');
    writeFileSync(
      tables,
      JSON.stringify({
        'public.notes': {
          primary_keys: ['id'],
          columns: [
            ['id', 'bigint'],
            ['msg', 'text'],
          ],
        },
      }),
    );
    const dir = join(root, 'bucket', 'public_notes', '2026', '11', '24', '09', '00');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'a_postgresql-cdc_1_1_1.jsonl'),
      insertLines('public', 'notes', { msg: MSG }, 1, ROWS),
    );
    const applied = cli(['apply', join(root, 'bucket'), '--warehouse', warehouse, '--tables', tables]);
    assert.equal(applied.status, 0, applied.stderr + applied.stdout);

    // every row, in key order, as show prints it
    let expected = '';
    for (let id = 1; id <= ROWS; id++) expected += `${JSON.stringify({ id, msg: MSG })}\n`;
    assert.ok(Buffer.byteLength(expected) > 1_000_000);
    for (const json of [[], ['--json']]) {
      const shown = await slowlyRead(['show', 'public.notes', '--warehouse', warehouse, ...json], 500);
      assert.equal(shown.code, 0, `show ${json.join(' ')}`);
      assert.equal(
        Buffer.byteLength(shown.out),
        Buffer.byteLength(expected),
        `show ${json.join(' ')}: bytes`,
      );
      assert.equal(shown.out, expected);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
