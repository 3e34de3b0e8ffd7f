// The columnar rewrite: rows gathered from raw Arrow buffers equal the rows they came from (nulls at odd
// bit offsets, strings, decimals, booleans, uuids, structs, ranges across record batches and of sliced
// data), and their column metrics equal those of the same rows written from values. Then a whole commit:
// updates, deletes, partial updates and stale changes at the first and last rows of a file and of its
// record batches (READ_BATCH_ROWS rows per batch as read), on a composite key with null columns, read
// back by PyIceberg and compared with a replay of the changes.

import { plain } from '../../support/plain-rows.js';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { compareKey, keyString } from '../../../shared/cow/keys.js';
import { spliceRows, type RowEdit } from '../../../shared/cow/columnar-rewrite.js';
import { indexKeys, locateKeys } from '../../../shared/cow/locate-keys.js';
import { concatRanges, type DataRange } from '../../../shared/iceberg/arrow/arrow-concat.js';
import { arrowTableToRows, rowsToArrowTable } from '../../../shared/iceberg/arrow/arrow-rows.js';
import { icebergToArrowSchema } from '../../../shared/iceberg/arrow/arrow-schema.js';
import { computeBoundsAndNaNs } from '../../../shared/iceberg/io/column-metrics.js';
import {
  READ_BATCH_ROWS,
  readArrowDataFile,
  readRowsDataFile,
  writeArrowDataFile,
  writeRowsDataFile,
} from '../../../shared/iceberg/io/parquet-data-file.js';
import type { Schema } from '../../../shared/iceberg/spec/types.js';
import type { IcebergValue, Row } from '../../../shared/iceberg/spec/values.js';
import { commitTable } from '../../../shared/pipeline/commit-table.js';
import { runPython } from '../../support/python.js';
import { seeded } from '../../support/random.js';
import { assertMetricsMatchRows, embeddedCommit } from './support/embedded-commit.js';
import { change, stageChangeset } from './support/stage.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const ALL_TYPES: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 's', required: false, type: 'string' },
    { id: 3, name: 'd', required: false, type: 'decimal(10, 2)' },
    { id: 4, name: 'b', required: false, type: 'boolean' },
    { id: 5, name: 'u', required: false, type: 'uuid' },
    { id: 6, name: 'f', required: false, type: 'double' },
    {
      id: 7,
      name: 'st',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 8, name: 'x', required: false, type: 'int' },
          { id: 9, name: 'y', required: false, type: 'string' },
        ],
      },
    },
  ],
};

function allTypesRow(i: number, random: () => number): Row {
  const maybe = <T extends IcebergValue>(v: T): T | null => (random() < 0.3 ? null : v);
  const hex = i.toString(16).padStart(12, '0');
  return {
    id: BigInt(i),
    s: maybe(random() < 0.1 ? `é${i}✓` : `s${i}`),
    d: maybe(BigInt(Math.floor(random() * 2e6) - 1e6)),
    b: maybe(random() < 0.5),
    u: maybe(`00000000-0000-4000-8000-${hex}`),
    f: maybe(random() < 0.05 ? Number.NaN : random() * 100 - 50),
    st: maybe({ x: maybe(i), y: maybe(`y${i}`) }),
  };
}

test('gathered ranges equal the rows they came from, and their metrics equal those of the same rows', () => {
  const random = seeded(7);
  const rows = Array.from({ length: 3000 }, (_, i) => allTypesRow(i, random));
  // record batches as the reader makes them (their own buffers, offset 0), here one per file of 1,000
  // rows (a file reads as one batch up to READ_BATCH_ROWS)
  const table = new arrow.Table(
    [0, 1000, 2000].flatMap(
      (start) =>
        readArrowDataFile(
          writeArrowDataFile(rowsToArrowTable(ALL_TYPES, rows.slice(start, start + 1000)), ALL_TYPES).bytes,
          ALL_TYPES.fields,
        ).batches,
    ),
  );
  assert.equal(table.batches.length, 3);
  const starts: number[] = [];
  table.batches.reduce((at, b) => (starts.push(at), at + b.numRows), 0);
  for (let round = 0; round < 20; round++) {
    const ranges: DataRange[] = [];
    const expected: Row[] = [];
    const pieces = 1 + Math.floor(random() * 12);
    for (let p = 0; p < pieces; p++) {
      const k = Math.floor(random() * table.batches.length);
      let data = table.batches[k]!.data as arrow.Data;
      let base = starts[k]!;
      if (random() < 0.3) {
        // an already sliced source: bitmaps indexed with its offset
        const cut = 1 + Math.floor(random() * 13);
        data = data.slice(cut, data.length - cut);
        base += cut;
      }
      const start = Math.floor(random() * data.length);
      const length = Math.min(data.length - start, 1 + Math.floor(random() * 300));
      ranges.push({ data, start, length });
      expected.push(...rows.slice(base + start, base + start + length));
    }
    const schema = icebergToArrowSchema(ALL_TYPES);
    const gathered = concatRanges(new arrow.Struct(schema.fields), ranges);
    assert.ok(gathered);
    const out = new arrow.Table([new arrow.RecordBatch(schema, gathered as arrow.Data<arrow.Struct>)]);
    assert.deepEqual(plain(arrowTableToRows(out, ALL_TYPES.fields)), expected, `round ${round}`);
    const metrics = (t: arrow.Table) =>
      computeBoundsAndNaNs(
        ALL_TYPES.fields,
        ALL_TYPES.fields.map((_, c) => t.batches.map((b) => b.data.children[c]!)),
      );
    assert.deepEqual(metrics(out), metrics(rowsToArrowTable(ALL_TYPES, expected)), `metrics, round ${round}`);
    // and the Parquet written from the gathered batch reads back as the same rows
    const reread = readRowsDataFile(writeArrowDataFile(out, ALL_TYPES).bytes, ALL_TYPES.fields);
    assert.deepEqual(plain(reread), expected);
  }
});

test('spliced rows equal the edited rows: many edits over several record batches, deletes and replacements', () => {
  const random = seeded(9);
  const rows = Array.from({ length: 3000 }, (_, i) => allTypesRow(i, random));
  const table = new arrow.Table(
    [0, 1000, 2000].flatMap((start) => rowsToArrowTable(ALL_TYPES, rows.slice(start, start + 1000)).batches),
  );
  const edits: RowEdit[] = [];
  const replacementRows: Row[] = [];
  const expected: Row[] = [];
  rows.forEach((row, i) => {
    const r = random();
    if (r < 0.2)
      edits.push({ row: i }); // deleted
    else if (r < 0.5) {
      const replacement = allTypesRow(10_000 + i, random);
      edits.push({ row: i, replacement: replacementRows.length });
      replacementRows.push(replacement);
      expected.push(replacement);
    } else expected.push(row);
  });
  const replacements = rowsToArrowTable(ALL_TYPES, replacementRows).batches[0];
  const out = spliceRows(table, ALL_TYPES, edits, replacements);
  assert.ok(out);
  assert.deepEqual(plain(arrowTableToRows(new arrow.Table([out]), ALL_TYPES.fields)), expected);
  // every row deleted: nothing left
  assert.equal(
    spliceRows(
      table,
      ALL_TYPES,
      rows.map((_, i) => ({ row: i })),
      undefined,
    ),
    undefined,
  );
});

test('keys are located from the raw long column exactly, also where doubles round (beyond 2^53)', () => {
  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: '_cdc_source_ts_ms', required: true, type: 'long' },
      { id: 3, name: '_cdc_lsn', required: true, type: 'long' },
    ],
  };
  const big = 2n ** 53n;
  const ids = [-5n, big, big + 1n, big + 2n, 2n ** 62n, 2n ** 62n + 1n, -(2n ** 63n)];
  const rows = ids.map((id, i) => ({ id, _cdc_source_ts_ms: BigInt(100 + i), _cdc_lsn: -1n }));
  const table = readArrowDataFile(writeRowsDataFile(rows, schema).bytes, schema.fields);
  const wanted = [big + 1n, 2n ** 62n + 1n, -(2n ** 63n), 7n].map((v) => [v]);
  const byKey = new Map(wanted.map((key) => [keyString(key), { key }]));
  const found = locateKeys(
    table,
    [schema.fields[0]!],
    schema.fields.slice(1),
    indexKeys(byKey),
    'test.parquet',
  );
  assert.deepEqual(
    [...found.entries()].sort((a, b) => a[1].row - b[1].row),
    [
      [keyString([big + 1n]), { row: 2, order: { sourceTsMs: 102, lsn: 2n ** 64n - 1n } }],
      [keyString([2n ** 62n + 1n]), { row: 5, order: { sourceTsMs: 105, lsn: 2n ** 64n - 1n } }],
      [keyString([-(2n ** 63n)]), { row: 6, order: { sourceTsMs: 106, lsn: 2n ** 64n - 1n } }],
    ],
  );
});

test('located keys equal a scan of the rows: sorted and unsorted batches, doubles that round, composite keys, nulls', () => {
  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'id', required: false, type: 'long' },
      { id: 2, name: 'sub', required: false, type: 'string' },
      { id: 3, name: '_cdc_source_ts_ms', required: true, type: 'long' },
      { id: 4, name: '_cdc_lsn', required: true, type: 'long' },
    ],
  };
  const random = seeded(7);
  const big = 2n ** 53n;
  // first values close together beyond 2^53 (several round to one double) and repeated (composite keys)
  const pool = [-3n, 0n, 1n, 2n, big - 1n, big, big + 1n, big + 2n, big + 3n, 2n ** 62n, 2n ** 62n + 1n];
  for (const layout of ['sorted', 'shuffled', 'nulls'] as const) {
    for (const composite of [false, true]) {
      const rows: Row[] = [];
      const seen = new Set<string>();
      while (rows.length < 300) {
        const id = layout === 'nulls' && random() < 0.1 ? null : pool[Math.floor(random() * pool.length)]!;
        const sub = composite ? `s${Math.floor(random() * 40)}` : null;
        const k = keyString(composite ? [id, sub] : [id]);
        if (seen.has(k)) {
          if (!composite)
            rows.push({ id: 5n + BigInt(rows.length) * 2n ** 20n, sub, _cdc_source_ts_ms: 1n, _cdc_lsn: 1n });
          continue;
        }
        seen.add(k);
        rows.push({ id, sub, _cdc_source_ts_ms: BigInt(rows.length), _cdc_lsn: BigInt(-rows.length) });
      }
      const keyOf = (r: Row): IcebergValue[] => (composite ? [r.id!, r.sub!] : [r.id!]);
      if (layout === 'sorted') rows.sort((a, b) => compareKey(keyOf(a), keyOf(b)));
      // drop duplicate keys made above, keeping the first
      const unique = rows.filter(
        (r, i) => rows.findIndex((o) => keyString(keyOf(o)) === keyString(keyOf(r))) === i,
      );
      const fields = composite ? [schema.fields[0]!, schema.fields[1]!] : [schema.fields[0]!];
      const table = new arrow.Table(
        [0, 100, 200].map((start) => rowsToArrowTable(schema, unique.slice(start, start + 100)).batches[0]!),
      );
      // wanted: half of the stored keys and some absent ones (same first values, other second values)
      const wanted = new Map<string, { key: IcebergValue[] }>();
      unique.forEach((r, i) => {
        if (i % 2 === 0) wanted.set(keyString(keyOf(r)), { key: keyOf(r) });
      });
      for (const id of pool) {
        const key = composite ? [id, 'absent'] : [id + 7n * 2n ** 40n];
        wanted.set(keyString(key), { key });
      }
      const expected = new Map<string, { row: number; order: { sourceTsMs: number; lsn: bigint } }>();
      unique.forEach((r, i) => {
        const k = keyString(keyOf(r));
        if (wanted.has(k)) {
          expected.set(k, {
            row: i,
            order: { sourceTsMs: Number(r._cdc_source_ts_ms), lsn: BigInt.asUintN(64, r._cdc_lsn as bigint) },
          });
        }
      });
      const found = locateKeys(table, fields, schema.fields.slice(2), indexKeys(wanted), 'test.parquet');
      assert.deepEqual(
        new Map([...found].sort((a, b) => a[1].row - b[1].row)),
        new Map([...expected].sort((a, b) => a[1].row - b[1].row)),
        `${layout}, ${composite ? 'composite' : 'single'} key`,
      );
    }
  }
});

// ---- a whole commit --------------------------------------------------------------------------------

const T = { schema: 'shop', name: 'stock' };
const PK = ['region', 'id'];
const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'region', required: true, type: 'string' },
    { id: 2, name: 'id', required: true, type: 'int' },
    { id: 3, name: 'name', required: false, type: 'string' },
    { id: 4, name: 'price', required: false, type: 'decimal(10, 2)' },
    { id: 5, name: 'active', required: false, type: 'boolean' },
    { id: 6, name: 'note', required: false, type: 'string' },
  ],
};
const COLUMNS = SCHEMA.fields.map((f) => f.name);

test('a commit rewrites a file column-wise: edits at file and record-batch edges, composite key, nulls, partial updates; PyIceberg reads the replay', async () => {
  const { dir, db, warehouse, objects, catalog, state, deps, workRoot } = embeddedCommit(
    'dsi-columnar-',
    dirs,
  );
  const stage = (events: ReturnType<typeof change>[]) =>
    stageChangeset({ objects, state, workRoot }, T, SCHEMA, PK, events);

  // one file of two record batches as read (READ_BATCH_ROWS rows each), sorted by (region, id): rows
  // 0..N-1 are region a, then region b
  const B = READ_BATCH_ROWS;
  const N = B / 2 + 100;
  const row = (region: string, id: number, v: number): Row => ({
    region,
    id,
    name: id % 7 === 0 ? null : `${region}-${id}-v${v}`,
    price: BigInt(id * 100 + v),
    active: id % 3 === 0 ? null : id % 2 === 0,
    note: id % 5 === 0 ? `note ${id}` : null,
  });
  const model = new Map<string, Row>();
  const keyOf = (r: Row) => `${String(r.region)}/${String(r.id)}`;
  const first: ReturnType<typeof change>[] = [];
  for (const region of ['a', 'b']) {
    for (let id = 0; id < N; id++) {
      const r = row(region, id, 0);
      model.set(keyOf(r), r);
      first.push(change(T, PK, 'upsert', r, 1000));
    }
  }
  await stage(first);
  assert.equal((await commitTable(deps, 'shop.stock')).status, 'committed');

  const sorted = [...model.values()].sort((x, y) => compareKey([x.region!, x.id!], [y.region!, y.id!]));
  const at = (position: number): Row => sorted[position]!;
  const events: ReturnType<typeof change>[] = [];
  let ts = 2000;
  const upsert = (r: Row) => {
    events.push(change(T, PK, 'upsert', r, ts++));
    const before = model.get(keyOf(r));
    // absent columns keep the stored value (null without one)
    model.set(
      keyOf(r),
      Object.fromEntries(COLUMNS.map((c) => [c, r[c] !== undefined ? r[c]! : (before?.[c] ?? null)])),
    );
  };
  const del = (r: Row) => {
    events.push(change(T, PK, 'delete', { region: r.region!, id: r.id! }, ts++));
    model.delete(keyOf(r));
  };
  // updates at the first and last row of the file and around the record-batch boundary
  for (const p of [0, 1023, 1024, B - 1, B, 2 * N - 1])
    upsert(row(String(at(p).region), Number(at(p).id), 1));
  // deletes next to them
  for (const p of [1, 1022, B - 2, B + 1, 2 * N - 2]) del(at(p));
  // partial updates: only the price, the name absent (kept); and a column set to null
  for (const p of [5, N + 250]) {
    const r = at(p);
    upsert({ region: r.region!, id: r.id!, price: 123_456n });
  }
  upsert({ ...at(6), name: null, note: null });
  // several changes of one key in the batch: update, delete, insert again
  upsert(row(String(at(7).region), Number(at(7).id), 2));
  del(at(7));
  upsert(row(String(at(7).region), Number(at(7).id), 3));
  // a stale change (older than the stored row) is dropped
  events.push(change(T, PK, 'upsert', row(String(at(8).region), Number(at(8).id), 9), 500));
  // inserts: before, between and after the stored keys
  upsert(row('a', -1, 1));
  upsert(row('ab', 3, 1));
  upsert(row('c', 0, 1));
  await stage(events);
  const result = await commitTable(deps, 'shop.stock');
  assert.equal(result.status, 'committed');
  assert.ok(result.status === 'committed');
  assert.equal(result.counts.stale, 1);
  assert.equal(result.counts.rewrittenFiles, 1);
  assert.equal(result.counts.rewrittenByRows, 0, 'rewritten column-wise');
  assert.equal(result.counts.inserted, 3);
  assert.equal(result.counts.deleted, 5);

  // every live file is sorted by key, and its manifest bounds are those of its rows
  const { metadata } = await catalog.loadTable({ namespace: ['shop'], name: 'stock' });
  for (const rows of await assertMetricsMatchRows(metadata, objects)) {
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1]!;
      const b = rows[i]!;
      assert.ok(compareKey([a.region!, a.id!], [b.region!, b.id!]) < 0, `sorted at row ${i}`);
    }
  }

  const seen = await runPython<string[]>(
    `
import json, sys
from pyiceberg.catalog.sql import SqlCatalog
c = SqlCatalog("default", uri="sqlite:///" + sys.argv[1], warehouse="file://" + sys.argv[2])
t = c.load_table("shop.stock")
rows = t.scan(selected_fields=(${COLUMNS.map((c) => `"${c}"`).join(', ')})).to_arrow().to_pylist()
rows.sort(key=lambda r: (r["region"].encode(), r["id"]))
print(json.dumps([json.dumps(r, sort_keys=True, default=str) for r in rows]))
`,
    [join(dir, 'catalog.db'), warehouse],
  );
  const expected = [...model.values()]
    .sort((x, y) => compareKey([x.region!, x.id!], [y.region!, y.id!]))
    .map((r) =>
      JSON.stringify(
        Object.fromEntries(
          Object.keys(r)
            .sort()
            .map((c) => [c, c === 'price' && r[c] !== null ? decimal2(r[c] as bigint) : r[c]]),
        ),
      ),
    );
  // Python's json.dumps puts a space after separators
  assert.deepEqual(
    seen.map((s) => JSON.stringify(JSON.parse(s))),
    expected,
  );
  db.close();
});

function decimal2(v: bigint): string {
  const abs = v < 0n ? -v : v;
  return `${v < 0n ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
