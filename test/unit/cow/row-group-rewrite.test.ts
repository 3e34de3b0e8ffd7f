// Copy-on-write at row-group granularity: a commit whose changes sit in some row groups of a file encodes
// only those groups again and copies the others byte for byte; a group whose rows are all deleted
// disappears. After every commit PyIceberg reads exactly the replay of the changes, and each live file's
// manifest metrics equal those of its rows written afresh.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readRowsDataFile } from '../../../shared/iceberg/io/parquet-data-file.js';
import { parquetLayout } from '../../../shared/iceberg/io/parquet-splice.js';
import { readLiveDataFiles } from '../../../shared/iceberg/table-files.js';
import { ROW_GROUP_LIMIT_PROPERTY } from '../../../shared/iceberg/table-properties.js';
import type { Schema } from '../../../shared/iceberg/spec/types.js';
import type { Row } from '../../../shared/iceberg/spec/values.js';
import { commitTable } from '../../../shared/pipeline/commit-table.js';
import { runPython } from '../../support/python.js';
import { assertMetricsMatchRows, embeddedCommit } from './support/embedded-commit.js';
import { change, stageChangeset } from './support/stage.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const T = { schema: 'shop', name: 'items' };
const PK = ['id'];
const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'price', required: false, type: 'decimal(10, 2)' },
    { id: 4, name: 'note', required: false, type: 'string' },
  ],
};
const COLUMNS = SCHEMA.fields.map((f) => f.name);

const item = (id: number, v: number): Row => ({
  id: BigInt(id),
  name: `item ${id} v${v}`,
  price: BigInt(id * 100 + v),
  note: id % 4 === 0 ? null : `note ${id % 9}`,
});

test('a commit encodes only the row groups holding a changed row and copies the rest; PyIceberg reads the replay', async () => {
  const { dir, warehouse, objects, catalog, state, deps, workRoot } = embeddedCommit('dsi-row-groups-', dirs);
  const table = { namespace: ['shop'], name: 'items' };
  const model = new Map<bigint, Row>();
  let ts = 1000;
  const events: ReturnType<typeof change>[] = [];
  const upsert = (r: Row) => {
    events.push(change(T, PK, 'upsert', r, ts++));
    const before = model.get(r.id as bigint);
    model.set(
      r.id as bigint,
      Object.fromEntries(COLUMNS.map((c) => [c, r[c] !== undefined ? r[c]! : (before?.[c] ?? null)])),
    );
  };
  const del = (id: number) => {
    events.push(change(T, PK, 'delete', { id: BigInt(id) }, ts++));
    model.delete(BigInt(id));
  };
  const commit = async () => {
    await stageChangeset({ objects, state, workRoot }, T, SCHEMA, PK, events.splice(0));
    const result = await commitTable(deps, 'shop.items');
    assert.ok(result.status === 'committed', JSON.stringify(result));
    return result.counts;
  };
  const liveFile = async (holding: bigint) => {
    const { metadata } = await catalog.loadTable(table);
    for (const file of await readLiveDataFiles(metadata, objects)) {
      const bytes = await objects.get(file.dataFile.filePath);
      const rows = readRowsDataFile(bytes, SCHEMA.fields);
      if (rows.some((r) => r.id === holding)) return { file, bytes, rows };
    }
    throw new Error(`no live file holds id ${holding}`);
  };
  const assertReadsModel = async () => {
    await assertMetricsMatchRows((await catalog.loadTable(table)).metadata, objects);
    const seen = await runPython<[number, string | null, string | null, string | null][]>(
      `
import json, sys
from pyiceberg.catalog.sql import SqlCatalog
c = SqlCatalog("default", uri="sqlite:///" + sys.argv[1], warehouse="file://" + sys.argv[2])
rows = c.load_table("shop.items").scan(selected_fields=("id", "name", "price", "note")).to_arrow().to_pylist()
rows.sort(key=lambda r: r["id"])
print(json.dumps([[r["id"], r["name"], None if r["price"] is None else str(r["price"]), r["note"]] for r in rows]))
`,
      [join(dir, 'catalog.db'), warehouse],
    );
    const expected = [...model.values()]
      .sort((a, b) => Number((a.id as bigint) - (b.id as bigint)))
      .map((r) => [
        Number(r.id),
        r.name ?? null,
        r.price === null
          ? null
          : `${(r.price as bigint) / 100n}.${String((r.price as bigint) % 100n).padStart(2, '0')}`,
        r.note ?? null,
      ]);
    assert.deepEqual(seen, expected);
  };

  // 400 rows in one file; then row groups of 100 rows from the next write on
  for (let id = 0; id < 400; id++) upsert(item(id, 0));
  await commit();
  await catalog.commitTable(
    table,
    [],
    [{ action: 'set-properties', updates: { [ROW_GROUP_LIMIT_PROPERTY]: '100' } }],
  );
  // the file's single group holds the change: the whole file is written again, now in 4 groups
  upsert(item(0, 1));
  assert.equal((await commit()).copiedRowGroups, 0);
  const before = await liveFile(0n);
  const groups = parquetLayout(before.bytes).groups;
  assert.deepEqual(
    groups.map((g) => g.rows),
    [100, 100, 100, 100],
  );

  // changes in group 2 only (ids 200..299): updates, a partial update, deletes; and a new key
  upsert(item(200, 2));
  upsert(item(250, 2));
  upsert({ id: 260n, price: 7n }); // name and note kept from the stored row
  del(201);
  del(299);
  upsert(item(1000, 2));
  const third = await commit();
  assert.equal(third.copiedRowGroups, 3);
  assert.equal(third.unreadRowGroups, 3, 'only the group whose key range holds a change is read');
  assert.equal(third.rewrittenFiles, 1);
  assert.equal(third.inserted, 1);
  const after3 = await liveFile(0n);
  const layout = parquetLayout(after3.bytes);
  assert.deepEqual(
    layout.groups.map((g) => g.rows),
    [100, 100, 98, 100],
  );
  for (const k of [0, 1, 3]) {
    const was = groups[k]!;
    const is = layout.groups[k]!;
    assert.deepEqual(
      after3.bytes.subarray(is.start, is.end),
      before.bytes.subarray(was.start, was.end),
      `group ${k} is copied byte for byte`,
    );
  }
  await assertReadsModel();

  // every row of group 1 deleted and one row of the last group updated: groups 0 and 2 copied
  for (let id = 100; id < 200; id++) del(id);
  upsert(item(350, 3));
  const fourth = await commit();
  assert.equal(fourth.copiedRowGroups, 2);
  assert.equal(fourth.unreadRowGroups, 2);
  assert.equal(fourth.deleted, 100);
  const after4 = await liveFile(0n);
  assert.deepEqual(
    parquetLayout(after4.bytes).groups.map((g) => g.rows),
    [100, 98, 100],
  );
  assert.deepEqual(
    after4.rows.map((r) => Number(r.id)),
    [...model.keys()].filter((id) => id < 1000n).map(Number),
    'the rows stay sorted by key',
  );
  await assertReadsModel();
});

test('a table with a column the footer statistics cannot bound reads the whole file, and still copies untouched groups', async () => {
  const { objects, catalog, state, deps, workRoot } = embeddedCommit('dsi-row-groups-', dirs);
  // a double column: its bounds and NaN count need the data of every row
  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'ratio', required: false, type: 'double' },
    ],
  };
  const row = (id: number, v: number): Row => ({ id: BigInt(id), ratio: id === 7 ? Number.NaN : id * v });
  const commit = async (events: ReturnType<typeof change>[]) => {
    await stageChangeset({ objects, state, workRoot }, T, schema, PK, events);
    const result = await commitTable(deps, 'shop.items');
    assert.ok(result.status === 'committed', JSON.stringify(result));
    return result.counts;
  };
  await commit(Array.from({ length: 300 }, (_, id) => change(T, PK, 'upsert', row(id, 1), 1000)));
  await catalog.commitTable(
    { namespace: ['shop'], name: 'items' },
    [],
    [{ action: 'set-properties', updates: { [ROW_GROUP_LIMIT_PROPERTY]: '100' } }],
  );
  await commit([change(T, PK, 'upsert', row(0, 2), 2000)]); // now 3 groups of 100
  const counts = await commit([
    change(T, PK, 'upsert', row(250, 3), 3000),
    change(T, PK, 'delete', { id: 299n }, 3000),
  ]);
  assert.equal(counts.copiedRowGroups, 2);
  assert.equal(counts.unreadRowGroups, 0, 'the pruned read could not describe the file: read whole');
  const { metadata } = await catalog.loadTable({ namespace: ['shop'], name: 'items' });
  const [rows] = await assertMetricsMatchRows(metadata, objects);
  assert.equal(rows!.length, 299);
  assert.equal(rows!.find((r) => r.id === 250n)?.ratio, 750);
  const [file] = await readLiveDataFiles(metadata, objects);
  assert.equal(file!.dataFile.nanValueCounts.get(2), 1);
});
