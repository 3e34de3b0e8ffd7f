// `replay <path>` records a file under the bucket and object name `apply` used for it, also for a new
// generation (the file changed since it was applied): before, that generation was keyed by the file's own
// folder, so the same file applied from its landing folder and then replayed looked like two files.

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../../shared/log.js';
import { createEmbeddedRuntime } from '../../../shared/runtime/embedded.js';
import { cli, tempWarehouse } from './cli-process.js';
import { itemLine } from '../../support/datastream-lines.js';

function line(id: number, ms: number): string {
  return itemLine({ id, name: `n${id}` }, { ms });
}

async function recordedNames(warehouse: string): Promise<string[]> {
  const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger });
  try {
    return (await runtime.state.listFiles()).map((f) => `${f.bucket}/${f.name}`);
  } finally {
    runtime.close();
  }
}

test('apply of a folder, then replay of a changed file in it: one object name, as apply records it', async () => {
  const root = tempWarehouse();
  try {
    const landing = join(root, 'landing');
    const warehouse = join(root, 'warehouse');
    const file = join(landing, 'public_items', '2026', 'a.jsonl');
    mkdirSync(join(landing, 'public_items', '2026'), { recursive: true });
    writeFileSync(file, `${line(1, 1_795_510_800_000)}\n`);
    assert.equal(cli(['apply', landing, '--warehouse', warehouse]).status, 0);
    writeFileSync(file, `${line(1, 1_795_510_800_000)}\n${line(2, 1_795_510_801_000)}\n`);
    const replay = cli(['replay', file, '--warehouse', warehouse]);
    assert.equal(replay.status, 0, replay.stdout + replay.stderr);
    assert.deepEqual(await recordedNames(warehouse), [
      'landing/public_items/2026/a.jsonl',
      'landing/public_items/2026/a.jsonl',
    ]);
    // apply of the folder sees that generation as the one it already applied
    const again = cli(['apply', landing, '--warehouse', warehouse, '--json']);
    assert.equal(again.status, 0);
    assert.equal((JSON.parse(again.stdout) as { counts: { duplicate: number } }).counts.duplicate, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
