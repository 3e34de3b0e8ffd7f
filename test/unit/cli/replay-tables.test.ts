// `replay <path>` finds the declared tables as `apply` and `run` do: the nearest tables.json at or above the
// file. A replay that ran first without it created the table from guessed types, and every later `apply`
// with the declaration then failed on a column it could not narrow.

import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../support/scenarios.js';
import { cli, tempWarehouse } from './cli-process.js';

const SAMPLE = join(REPO_ROOT, 'scripts', 'sample');

test('replay of a file under a folder with tables.json creates the declared table, and apply then adds to it', () => {
  const root = tempWarehouse();
  try {
    const warehouse = join(root, 'warehouse');
    const folder = join(SAMPLE, 'bucket', 'cdc-staging', 'public_products', '2026', '11', '24', '09', '00');
    const file = join(folder, readdirSync(folder).sort()[0]!);
    const replay = cli(['replay', file, '--warehouse', warehouse]);
    assert.equal(replay.status, 0, replay.stderr);
    const describe = cli(['tables', 'describe', 'public.products', '--warehouse', warehouse, '--json']);
    assert.equal(describe.status, 0, describe.stderr);
    const columns = (JSON.parse(describe.stdout) as { columns: { name: string; postgres: string }[] })
      .columns;
    assert.deepEqual(
      columns.filter((c) => !c.name.startsWith('_cdc_')).map((c) => [c.name, c.postgres]),
      [
        ['id', 'integer'],
        ['name', 'varchar(100)'],
        ['price', 'numeric(10,2)'],
        ['updated_at', 'timestamp'],
      ],
    );
    const apply = cli(['apply', join(SAMPLE, 'bucket'), '--warehouse', warehouse]);
    assert.equal(apply.status, 0, apply.stdout + apply.stderr);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
