// Tables nobody declared, end to end on the embedded defaults: ingest learns them from the files (JSON
// inference, or the Avro schema), the commit creates them, and PyIceberg reads the result. Files of one
// new table with different column sets end in one table with every column (whether they meet in one
// process or only at the commit); a type that cannot be applied fails its file with the file, line, column
// and value (when read, or at the commit when another process created the table), losing nothing; a declared table still wins; `--undeclared-tables reject` keeps rejecting.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { commitTaskRunner } from '../../../functions/embedded-commit.js';
import { sortedJsonText } from '../../../shared/datastream/canonical-form.js';
import type { JsonValue } from '../../../shared/datastream/lossless-json.js';
import { silentLogger } from '../../../shared/log.js';
import { commitTable } from '../../../shared/pipeline/commit-table.js';
import { ingestFile, type IngestOutcome } from '../../../shared/pipeline/ingest-file.js';
import { createEmbeddedRuntime, type EmbeddedOptions } from '../../../shared/runtime/embedded.js';
import {
  assertInferredOrdersEqualExpected,
  INFERRED_ORDERS_COLUMNS,
  pyicebergRows,
} from '../../support/inferred-orders.js';
import { loadScenario } from '../../support/scenarios.js';
import { cli, sqlCatalog } from '../cli/cli-process.js';
import { REAL_AVRO_SAMPLE } from '../datastream/scenario-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'dsi-undeclared-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (label: string): string => {
  const path = join(dir, `${label}-${dirs++}`);
  mkdirSync(path, { recursive: true });
  return path;
};

/** The table's rows as PyIceberg reads them from the warehouse's catalog.db. */
function warehouseRows(warehouse: string, table: string): Promise<Record<string, JsonValue>[]> {
  return pyicebergRows(sqlCatalog(warehouse), table);
}

interface Described {
  columns: { name: string; iceberg: unknown; postgres: string | null; required: boolean; engine: boolean }[];
  properties: Record<string, string>;
}

function describe(warehouse: string, table: string): Described {
  const run = cli(['tables', 'describe', table, '--warehouse', warehouse, '--json']);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Described;
}

function sourceColumns(described: Described): Record<string, [unknown, string | null]> {
  return Object.fromEntries(
    described.columns.filter((c) => !c.engine).map((c) => [c.name, [c.iceberg, c.postgres]]),
  );
}

test('apply types/bucket with no tables.json: the table is inferred, created, and holds expected/', async () => {
  const scenario = loadScenario('types');
  const root = freshDir('types');
  cpSync(scenario.bucketRoot, join(root, 'bucket'), { recursive: true });
  const warehouse = join(root, 'warehouse');
  const run = cli(['apply', join(root, 'bucket'), '--warehouse', warehouse, '--json']);
  assert.equal(run.status, 0, run.stderr + run.stdout);
  const report = JSON.parse(run.stdout) as { tablesFile: string | null; counts: { rejected: number } };
  assert.equal(report.tablesFile, null, 'no declaration anywhere above the folder');
  assert.equal(report.counts.rejected, 0);

  const described = describe(warehouse, 'public.orders');
  assert.equal(described.properties['datastream-iceberg.schema-source'], 'json-values');
  assert.equal(described.properties['datastream-iceberg.primary-key'], 'order_id');
  assert.deepEqual(sourceColumns(described), INFERRED_ORDERS_COLUMNS);
  assert.deepEqual(
    described.columns.filter((c) => c.required && !c.engine).map((c) => c.name),
    ['order_id'],
    'only the key is required',
  );

  assertInferredOrdersEqualExpected(await warehouseRows(warehouse, 'public.orders'));
});

function event(
  table: string,
  payload: Record<string, unknown>,
  at: { ms: number; lsn: string; uuid: string },
  keys: string[] = ['id'],
): string {
  return JSON.stringify({
    uuid: at.uuid,
    read_timestamp: '2026-11-24T09:00:16.767000Z',
    source_timestamp: new Date(at.ms).toISOString(),
    object: `public_${table}`,
    read_method: 'postgresql-cdc',
    source_metadata: {
      schema: 'public',
      table,
      is_deleted: false,
      change_type: 'INSERT',
      lsn: at.lsn,
      primary_keys: keys,
    },
    payload,
  });
}

const T0 = Date.UTC(2026, 10, 24, 9);
/** The first file: `note` is null throughout (the permissive type). */
const FIRST = [
  event('items', { id: 1, name: 'a', note: null }, { ms: T0, lsn: '1/1', uuid: 'i1' }),
  event('items', { id: 2, name: 'b', note: null }, { ms: T0 + 1, lsn: '1/2', uuid: 'i2' }),
];
/** A later file of the same table with two new columns, and a change of row 1. */
const SECOND = [
  event(
    'items',
    { id: 3, name: 'c', note: 'n3', color: 'red', attrs: { x: 1 } },
    { ms: T0 + 2, lsn: '1/3', uuid: 'i3' },
  ),
  event(
    'items',
    { id: 1, name: 'a2', note: 5, color: 'blue', attrs: null },
    { ms: T0 + 3, lsn: '1/4', uuid: 'i4' },
  ),
];
/** A file whose `name` is a number where the table has text. */
const CONFLICTING = [event('items', { id: 4, name: 42 }, { ms: T0 + 4, lsn: '1/5', uuid: 'i5' })];

function landing(files: Record<string, string[]>): string {
  const bucket = freshDir('landing');
  for (const [name, lines] of Object.entries(files)) {
    mkdirSync(join(bucket, 'cdc', 'public_items'), { recursive: true });
    writeFileSync(join(bucket, 'cdc', 'public_items', name), lines.join('\n') + '\n');
  }
  return bucket;
}

async function ingest(options: EmbeddedOptions, bucket: string, names: string[]): Promise<IngestOutcome[]> {
  const runtime = createEmbeddedRuntime({ log: silentLogger, ...options });
  try {
    const outcomes = await Promise.all(
      names.map(async (name) => {
        const location = join(bucket, 'cdc', 'public_items', name);
        const info = await runtime.objects.stat(location);
        return ingestFile(runtime.ingestDependencies(), {
          bucket: 'landing',
          name: `cdc/public_items/${name}`,
          generation: info!.generation,
          location,
        });
      }),
    );
    await runtime.queue.drain();
    return outcomes;
  } finally {
    runtime.close();
  }
}

const ITEMS_ROWS = [
  { id: 1, name: 'a2', note: '5', color: 'blue', attrs: null },
  { id: 2, name: 'b', note: null, color: null, attrs: null },
  { id: 3, name: 'c', note: 'n3', color: 'red', attrs: '{"x":1}' },
];

function sortedRows(rows: Record<string, JsonValue>[]): string[] {
  return rows.map((r) => sortedJsonText(r)).sort();
}

test('two files of a new table with different columns, ingested concurrently: one table with every column', async () => {
  const bucket = landing({ 'a.jsonl': FIRST, 'b.jsonl': SECOND });
  const warehouse = join(freshDir('concurrent'), 'warehouse');
  const outcomes = await ingest({ warehouse, onTask: commitTaskRunner() }, bucket, ['a.jsonl', 'b.jsonl']);
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['staged', 'staged'],
  );
  assert.deepEqual(sortedRows(await warehouseRows(warehouse, 'public.items')), sortedRows(ITEMS_ROWS));
  const described = describe(warehouse, 'public.items');
  assert.equal(described.properties['datastream-iceberg.schema-source'], 'json-values');
  const columns = sourceColumns(described);
  assert.deepEqual(columns.id, ['long', 'bigint']);
  assert.deepEqual(columns.note, ['string', 'unknown'], 'null-only in the first file: any value as text');
  assert.deepEqual(columns.attrs, ['string', 'jsonb']);
  assert.deepEqual(columns.color, ['string', 'text']);
});

test('files of a new table staged by separate processes: the commit creates it and adds the later columns', async () => {
  const bucket = landing({ 'a.jsonl': FIRST, 'b.jsonl': SECOND });
  const warehouse = join(freshDir('processes'), 'warehouse');
  // each ingest has its own table directory (as two function instances do) and commits nothing
  assert.equal((await ingest({ warehouse }, bucket, ['a.jsonl']))[0]?.status, 'staged');
  assert.equal((await ingest({ warehouse }, bucket, ['b.jsonl']))[0]?.status, 'staged');
  const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger });
  try {
    const result = await commitTable(runtime.commitDependencies(), 'public.items');
    assert.equal(result.status, 'committed', JSON.stringify(result));
  } finally {
    runtime.close();
  }
  assert.deepEqual(sortedRows(await warehouseRows(warehouse, 'public.items')), sortedRows(ITEMS_ROWS));
  // the columns added by evolution keep their source types (attrs is JSON, not text)
  const described = describe(warehouse, 'public.items');
  assert.deepEqual(sourceColumns(described).attrs, ['string', 'jsonb']);
  const show = cli(['show', 'public.items', '--warehouse', warehouse]);
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, /"attrs":\{"x":1\}/);
});

test('a type that cannot be applied fails the file, when read or at the commit, naming file, line, column and value', async () => {
  const bucket = landing({ 'a.jsonl': FIRST, 'c.jsonl': CONFLICTING });
  // one process: the table is known when the second file is read
  const warehouse = join(freshDir('conflict'), 'warehouse');
  const [first] = await ingest({ warehouse, onTask: commitTaskRunner() }, bucket, ['a.jsonl']);
  assert.equal(first?.status, 'staged');
  const [second] = await ingest({ warehouse, onTask: commitTaskRunner() }, bucket, ['c.jsonl']);
  assert.equal(second?.status, 'failed');
  assert.match(
    second?.status === 'failed' ? second.reason : '',
    /cdc\/public_items\/c\.jsonl:1: column "name": is a number; value 42; expected text/,
  );

  // separate processes, neither has seen the other's file: the commit creates the table from the first
  // change-set and rejects the second, failing its file with the reason (a fixed file stages it anew)
  const apart = join(freshDir('conflict-apart'), 'warehouse');
  const conflicting = landing({
    'a.jsonl': FIRST,
    'c.jsonl': [event('items', { id: 4, name: true }, { ms: T0 + 4, lsn: '1/5', uuid: 'i5' })],
  });
  await ingest({ warehouse: apart }, conflicting, ['a.jsonl']);
  const [rejected] = await ingest({ warehouse: apart }, conflicting, ['c.jsonl']);
  const runtime = createEmbeddedRuntime({ warehouse: apart, log: silentLogger });
  try {
    const result = await commitTable(runtime.commitDependencies(), 'public.items');
    assert.equal(result.status, 'committed', JSON.stringify(result));
    const fileId = rejected?.status === 'staged' ? rejected.fileId : '';
    const file = await runtime.state.getFile(fileId);
    assert.equal(file?.status, 'failed');
    assert.match(file?.reason ?? '', /column "name" is "string" in the table but "boolean" in the changes/);
    assert.match(file?.reason ?? '', /cdc\/public_items\/c\.jsonl:1: column "name", value true/);
    const changeset = await runtime.state.getChangeset(file!.changesetIds[0]!);
    assert.equal(changeset?.status, 'rejected');
    assert.equal((await runtime.state.listPendingChangesets('public.items', 10)).length, 0);
  } finally {
    runtime.close();
  }
  const ids = (await warehouseRows(apart, 'public.items')).map((row) => Number(row.id)).sort();
  assert.deepEqual(ids, [1, 2], 'the first file is committed');
});

test('a declared table wins: its types are used and a column it lacks is still refused', async () => {
  const bucket = landing({ 'b.jsonl': SECOND });
  const warehouse = join(freshDir('declared'), 'warehouse');
  const [outcome] = await ingest(
    {
      warehouse,
      onTask: commitTaskRunner(),
      tables: {
        'public.items': {
          columns: [
            ['id', 'integer'],
            ['name', 'text'],
            ['note', 'text'],
          ],
          primaryKeys: ['id'],
        },
      },
    },
    bucket,
    ['b.jsonl'],
  );
  assert.equal(outcome?.status, 'failed');
  assert.match(
    outcome?.status === 'failed' ? outcome.reason : '',
    /b\.jsonl:1: column "color": is not a column of public\.items/,
  );
});

test('apply --undeclared-tables reject keeps rejecting a table nobody declared', () => {
  const bucket = landing({ 'a.jsonl': FIRST });
  const warehouse = join(freshDir('reject'), 'warehouse');
  const run = cli(['apply', bucket, '--warehouse', warehouse, '--undeclared-tables', 'reject']);
  assert.equal(run.status, 1, run.stderr + run.stdout);
  assert.match(run.stdout, /names a table with no definition: public\.items/);
  const usage = cli(['apply', bucket, '--warehouse', warehouse, '--undeclared-tables', 'maybe']);
  assert.equal(usage.status, 2);
});

test('the real Avro sample applied with no declaration: the table takes the Avro schema', async () => {
  const root = freshDir('avro');
  const folder = join(root, 'bucket', 'cdc', 'public_source_table');
  mkdirSync(folder, { recursive: true });
  cpSync(REAL_AVRO_SAMPLE, join(folder, 'sample.avro'));
  const warehouse = join(root, 'warehouse');
  const run = cli(['apply', join(root, 'bucket'), '--warehouse', warehouse]);
  assert.equal(run.status, 0, run.stderr + run.stdout);
  const described = describe(warehouse, 'public.source_table');
  assert.equal(described.properties['datastream-iceberg.schema-source'], 'avro-schema');
  assert.equal(described.properties['datastream-iceberg.primary-key'], '', 'insert-only');
  assert.deepEqual(JSON.parse(described.properties['datastream-iceberg.pg-types']!), {
    string_array: 'text[]',
    json_column: 'jsonb[]',
    jsonb_column: 'jsonb[]',
    uuid_array: 'text[]',
  });
  assert.deepEqual(sourceColumns(described).integer_field, ['int', 'integer']);
  assert.deepEqual(sourceColumns(described).binary_content, ['binary', 'bytea']);
  const rows = await warehouseRows(warehouse, 'public.source_table');
  assert.equal(rows.length, 1);
  assert.equal(rows[0]?.binary_content, String.raw`b'\xde\xad\xbe\xef'`);
  assert.equal(rows[0]?.integer_field, null);
});
