// `datastream-iceberg tables create|describe`: a table created from its declared definition is the
// table the engine would create (PyIceberg reads its schema: the declared columns with their Iceberg
// types, the order columns, the key as identifier fields), `describe` reports it, the engine then
// applies changes into it without a schema change, and creating it twice is refused unless asked.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { canonicalJsonLine } from '../../../shared/datastream/canonical-form.js';
import { runPython } from '../../support/python.js';
import { loadScenario } from '../../support/scenarios.js';
import { cli, expectedCanonical, sqlCatalog, tempWarehouse } from './cli-process.js';

interface Description {
  created?: boolean;
  columns: {
    id: number;
    name: string;
    required: boolean;
    iceberg: string;
    postgres: string | null;
    engine: boolean;
  }[];
  primaryKey: string[];
  partitionSpec: unknown[];
  properties: Record<string, string>;
  currentSnapshot: { id: string } | null;
  dataFiles: number;
  rows: number;
}

const PY_SCHEMA = `
import json, sys
from pyiceberg.catalog import load_catalog
catalog = load_catalog("default", **json.loads(sys.argv[1]))
table = catalog.load_table(sys.argv[2])
schema = table.schema()
print(json.dumps({
    "fields": [{"id": f.field_id, "name": f.name, "type": str(f.field_type), "required": f.required} for f in schema.fields],
    "identifiers": sorted(schema.identifier_field_ids),
    "properties": dict(table.properties),
    "snapshot": None if table.current_snapshot() is None else str(table.current_snapshot().snapshot_id),
    "format": table.format_version,
}))
`;

interface PySchema {
  fields: { id: number; name: string; type: string; required: boolean }[];
  identifiers: number[];
  properties: Record<string, string>;
  snapshot: string | null;
  format: number;
}

function describe(warehouse: string, table: string): Description {
  const run = cli(['tables', 'describe', table, '--warehouse', warehouse, '--json']);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Description;
}

test('tables create: PyIceberg reads the declared schema; the engine applies into it without a schema change', async () => {
  const warehouse = tempWarehouse();
  try {
    const scenario = loadScenario('types');
    const declared = scenario.tables['public.orders']!;
    const tablesFile = join(scenario.root, 'tables.json');
    const run = cli([
      'tables',
      'create',
      'public.orders',
      '--warehouse',
      warehouse,
      '--tables',
      tablesFile,
      '--json',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const created = JSON.parse(run.stdout) as Description;
    assert.equal(created.created, true);
    assert.deepEqual(
      created.columns.filter((c) => !c.engine).map((c) => [c.name, c.postgres]),
      declared.columns,
      'every declared column with its PostgreSQL type, in order',
    );
    assert.deepEqual(
      created.columns.filter((c) => c.engine).map((c) => c.name),
      ['_cdc_source_ts_ms', '_cdc_lsn'],
    );
    assert.deepEqual(created.primaryKey, declared.primaryKeys);
    assert.deepEqual(created.partitionSpec, []);
    assert.equal(created.currentSnapshot, null);
    assert.equal(created.rows, 0);

    const py = await runPython<PySchema>(PY_SCHEMA, [JSON.stringify(sqlCatalog(warehouse)), 'public.orders']);
    assert.equal(py.format, 2);
    assert.deepEqual(
      py.fields,
      created.columns.map((c) => ({ id: c.id, name: c.name, type: c.iceberg, required: c.required })),
    );
    const keyIds = created.columns.filter((c) => declared.primaryKeys.includes(c.name)).map((c) => c.id);
    assert.deepEqual(py.identifiers, keyIds);
    assert.equal(py.properties['datastream-iceberg.primary-key'], declared.primaryKeys.join(','));
    assert.equal(py.snapshot, null);

    // the engine takes the created table as its own: same field ids after applying, rows as expected
    assert.equal(cli(['apply', scenario.bucketRoot, '--warehouse', warehouse]).status, 0);
    const applied = describe(warehouse, 'public.orders');
    assert.deepEqual(applied.columns, created.columns);
    assert.notEqual(applied.currentSnapshot, null);
    const expected = expectedCanonical(scenario, 'public.orders');
    assert.equal(applied.rows, expected.length);
    assert.ok(applied.dataFiles >= 1);
    const shown = cli(['show', 'public.orders', '--warehouse', warehouse]).stdout.split('\n').filter(Boolean);
    assert.deepEqual(shown.map(canonicalJsonLine).sort(), expected);
    const text = cli(['tables', 'describe', 'public.orders', '--warehouse', warehouse]);
    assert.match(text.stdout, /primary key: order_id/);
    assert.match(text.stdout, new RegExp(`current snapshot: ${applied.currentSnapshot!.id} `));
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});

test('tables create refuses an existing table unless --if-not-exists; describe of a missing table exits 1', () => {
  const warehouse = tempWarehouse();
  try {
    const tablesFile = join(loadScenario('composite-and-no-pk').root, 'tables.json');
    const args = ['tables', 'create', 'public.order_items', '--warehouse', warehouse, '--tables', tablesFile];
    assert.equal(cli(args).status, 0);
    const again = cli(args);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /public\.order_items already exists/);
    const accepted = cli([...args, '--if-not-exists', '--json']);
    assert.equal(accepted.status, 0, accepted.stderr);
    assert.equal((JSON.parse(accepted.stdout) as Description).created, false);

    const missing = cli(['tables', 'describe', 'public.nope', '--warehouse', warehouse]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no such table: public\.nope/);
    const undeclared = cli([
      'tables',
      'create',
      'public.nope',
      '--warehouse',
      warehouse,
      '--tables',
      tablesFile,
    ]);
    assert.equal(undeclared.status, 2);
    assert.match(undeclared.stderr, /declares no table public\.nope/);
    const noSub = cli(['tables']);
    assert.equal(noSub.status, 2);
    assert.match(noSub.stderr, /create or describe/);
  } finally {
    rmSync(warehouse, { recursive: true, force: true });
  }
});
