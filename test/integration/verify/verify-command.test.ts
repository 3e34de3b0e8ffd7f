// `datastream-iceberg verify --warehouse` as an operator runs it (the bin, its own process) against the
// stack's PostgreSQL, on tables written by the engine exactly as the pipeline creates them: equal tables
// exit 0; a change on PostgreSQL only exits 1 with both rows printed; a table with a column that has no
// exact form is compared by streaming (and says so); usage errors exit 2. And the recheck: a difference
// that settles during the wait (the change reaches the table) is not reported.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { LSN_COLUMN, SOURCE_TS_COLUMN } from '../../../shared/cow/order-columns.js';
import { compileTableDefinition } from '../../../shared/datastream/table.js';
import { writeDataFiles } from '../../../shared/iceberg/data-file-writer.js';
import { writeSnapshot } from '../../../shared/iceberg/snapshot-producer.js';
import type { Row } from '../../../shared/iceberg/spec/values.js';
import { silentLogger } from '../../../shared/log.js';
import { engineTableRequest } from '../../../shared/pipeline/table-request.js';
import { createEmbeddedRuntime, type EmbeddedRuntime } from '../../../shared/runtime/embedded.js';
import { connectSource } from '../../../shared/verify/postgres-source.js';
import { verifyTable } from '../../../shared/verify/verify-table.js';
import { cli } from '../../unit/cli/cli-process.js';
import { isolate } from '../../support/isolation.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

const names = isolate('verify command');
let db: TestDatabase;
let client: pg.Client;
let warehouse: string;
let runtime: EmbeddedRuntime;

const ITEMS: Array<[string, string]> = [
  ['sku', 'varchar(20)'],
  ['line', 'integer'],
  ['qty', 'integer'],
  ['price', 'numeric(10,2)'],
];
const SPANS: Array<[string, string]> = [
  ['id', 'bigint'],
  ['span', 'interval'],
];

/** A table created as the pipeline creates it, holding `rows` (order columns added). */
async function writeTable(name: string, columns: Array<[string, string]>, keys: string[], rows: Row[]) {
  const compiled = compileTableDefinition({ schema: 'shop', name }, { columns, primaryKeys: keys });
  const created = await runtime.catalog.createTable(
    ['shop'],
    engineTableRequest(name, compiled.schema, keys, compiled.columns),
  );
  const full = rows.map((r) => ({ ...r, [SOURCE_TS_COLUMN]: 1000n, [LSN_COLUMN]: 1n }));
  const files = await writeDataFiles(created.metadata, runtime.objects, full, { maxRowsPerFile: 7 });
  const snapshot = await writeSnapshot(created.metadata, runtime.objects, { added: files });
  await runtime.catalog.commitTable({ namespace: ['shop'], name }, snapshot.requirements, snapshot.updates);
}

before(async () => {
  db = await createTestDatabase(names.namespace);
  client = await db.connect();
  warehouse = mkdtempSync(join(tmpdir(), 'dsi-verify-'));
  runtime = createEmbeddedRuntime({ warehouse, log: silentLogger });
  await runtime.catalog.createNamespace(['shop']);
  await client.query('CREATE SCHEMA shop');
  await client.query(
    'CREATE TABLE shop.items (sku varchar(20), line integer, qty integer, price numeric(10,2), PRIMARY KEY (sku, line))',
  );
  await client.query(
    "INSERT INTO shop.items SELECT 'sku-' || (i % 9), i, i * 3, i * 1.25 FROM generate_series(1, 40) i",
  );
  await writeTable(
    'items',
    ITEMS,
    ['sku', 'line'],
    Array.from({ length: 40 }, (_, k) => {
      const i = k + 1;
      return { sku: `sku-${i % 9}`, line: i, qty: i * 3, price: BigInt(i * 125) };
    }),
  );
  await client.query('CREATE TABLE shop.spans (id bigint PRIMARY KEY, span interval)');
  await client.query("INSERT INTO shop.spans VALUES (1, '1 day 02:00:00'), (2, NULL), (3, '-00:00:01.5')");
  await writeTable(
    'spans',
    SPANS,
    ['id'],
    [
      { id: 1n, span: '1 day 02:00:00' },
      { id: 2n, span: null },
      { id: 3n, span: '-00:00:01.5' },
    ],
  );
});

after(async () => {
  runtime?.close();
  await client?.end();
  await db?.drop();
  if (warehouse) rmSync(warehouse, { recursive: true, force: true });
});

const verify = (...args: string[]) => cli(['verify', ...args, '--source', db.url, '--warehouse', warehouse]);

test('equal tables: exit 0, "equal", counts; a composite text key hashed by ranges', () => {
  const run = verify('shop.items');
  assert.equal(run.status, 0, run.stderr);
  assert.match(
    run.stdout,
    /^shop\.items: 40 rows in PostgreSQL, 40 in the table; 1 key ranges hashed in PostgreSQL/,
  );
  assert.match(run.stdout, /\nequal \(/);
});

test('a change on PostgreSQL only: exit 1, the key with both rows in the canonical form', async () => {
  await client.query("UPDATE shop.items SET qty = 999 WHERE sku = 'sku-3' AND line = 12");
  try {
    const run = verify('shop.items', '--recheck-after', '0');
    assert.equal(run.status, 1, run.stderr);
    const expected = [
      'changed {"sku":"sku-3","line":12}',
      '  source {"sku":"sku-3","line":12,"qty":999,"price":"15.00"}',
      '  table  {"sku":"sku-3","line":12,"qty":36,"price":"15.00"}',
      '1 differences',
    ].join('\n');
    assert.ok(run.stdout.includes(`\n${expected} `), run.stdout);
    const json = JSON.parse(verify('shop.items', '--recheck-after', '0', '--json').stdout) as {
      equal: boolean;
      differences: unknown[];
    };
    assert.equal(json.equal, false);
    assert.deepEqual(json.differences, [
      {
        kind: 'changed',
        key: { sku: 'sku-3', line: 12 },
        source: { sku: 'sku-3', line: 12, qty: 999, price: '15.00' },
        table: { sku: 'sku-3', line: 12, qty: 36, price: '15.00' },
        count: 1,
      },
    ]);
  } finally {
    await client.query("UPDATE shop.items SET qty = 36 WHERE sku = 'sku-3' AND line = 12");
  }
});

test('a column without an exact form: the table is streamed, the output says so, and a change is found', async () => {
  const equal = verify('shop.spans', '--json');
  assert.equal(equal.status, 0, equal.stdout + equal.stderr);
  const report = JSON.parse(equal.stdout) as { mode: string; textColumns: string[] };
  assert.equal(report.mode, 'row-stream');
  assert.deepEqual(report.textColumns, ['span']);
  assert.match(
    verify('shop.spans').stdout,
    /row-stream \(no server-side form for span\): one fingerprint of the whole table/,
  );
  await client.query("UPDATE shop.spans SET span = '2 days' WHERE id = 3");
  try {
    const changed = verify('shop.spans', '--recheck-after', '0');
    assert.equal(changed.status, 1);
    assert.match(
      changed.stdout,
      /row-stream \(no server-side form for span\): the source's 3 row hashes streamed/,
    );
    const expected = [
      'changed {"id":3}',
      '  source {"id":3,"span":"2 days"}',
      '  table  {"id":3,"span":"-00:00:01.5"}',
    ].join('\n');
    assert.ok(changed.stdout.includes(`\n${expected}\n`), changed.stdout);
  } finally {
    await client.query("UPDATE shop.spans SET span = '-00:00:01.5' WHERE id = 3");
  }
});

test('a difference that settles during the recheck wait is not reported', async () => {
  await client.query("UPDATE shop.items SET qty = 1 WHERE sku = 'sku-5' AND line = 14");
  const source = await connectSource(db.url);
  try {
    let waited = 0;
    const report = await verifyTable({
      catalog: runtime.catalog,
      objects: runtime.objects,
      table: { namespace: 'shop', name: 'items' },
      source,
      recheckAfterMs: 5000,
      // the change "arrives" while verify waits: here the source goes back to what the table holds
      sleep: async (ms) => {
        waited = ms;
        await client.query("UPDATE shop.items SET qty = 42 WHERE sku = 'sku-5' AND line = 14");
      },
    });
    assert.equal(waited, 5000);
    assert.deepEqual(report.differences, []);
    assert.equal(report.settled, 1);
  } finally {
    await source.end();
  }
});

test('usage errors exit 2', () => {
  const noSource = cli(['verify', 'shop.items', '--warehouse', warehouse]);
  assert.equal(noSource.status, 2);
  assert.match(noSource.stderr, /verify needs --source/);
  assert.equal(verify('shop.items', '--recheck-after', 'soon').status, 2);
  assert.equal(
    cli([
      'verify',
      'shop.items',
      '--source',
      'postgres://x@127.0.0.1:1/x',
      '--cloud',
      '--warehouse',
      warehouse,
    ]).status,
    2,
  );
  assert.equal(cli(['verify', '--source', 'postgres://x@127.0.0.1:1/x', '--warehouse', warehouse]).status, 2);
});

test('no such table: exit 1 with its name', () => {
  const run = verify('shop.nothing');
  assert.equal(run.status, 1);
  assert.match(run.stderr, /shop\.nothing/);
});
