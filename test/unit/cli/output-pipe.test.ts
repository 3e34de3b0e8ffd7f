// Output larger than a pipe's buffer reaches a slow reader whole: the command exits only once stdout has
// drained (process.exit right after the write cut it at 64 KiB, with exit 0).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, cli, tempWarehouse } from './cli-process.js';

const ROWS = 2_000;
const MSG = 'm'.repeat(600);

function events(): string {
  const lines: string[] = [];
  for (let id = 1; id <= ROWS; id++) {
    const ts = Date.UTC(2026, 10, 24, 9, 0, 0) + id;
    const lsn = `16/${(0xcb000000 + id).toString(16).toUpperCase()}`;
    lines.push(
      JSON.stringify({
        uuid: `e-${id}`,
        read_timestamp: new Date(ts).toISOString(),
        source_timestamp: new Date(ts).toISOString(),
        object: 'public_notes',
        read_method: 'postgresql-cdc',
        stream_name: 'projects/1/locations/us-central1/streams/s',
        schema_key: 'k',
        sort_keys: [ts, lsn],
        source_metadata: {
          schema: 'public',
          table: 'notes',
          is_deleted: false,
          change_type: 'INSERT',
          tx_id: id,
          lsn,
          primary_keys: ['id'],
        },
        payload: { id, msg: MSG },
      }),
    );
  }
  return lines.join('\n') + '\n';
}

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
    writeFileSync(join(dir, 'a_postgresql-cdc_1_1_1.jsonl'), events());
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
