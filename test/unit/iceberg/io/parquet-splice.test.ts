// Splicing Parquet files at row-group boundaries: groups of two files interleaved into a new one read
// back, through PyArrow and DuckDB (independent readers) as well as ours, as exactly the rows of those
// groups in that order, with the footer's offsets moved and its statistics kept; groups written under
// another Parquet schema are refused.

import { plain } from '../../../support/plain-rows.js';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRowsDataFile, writeRowsDataFile } from '../../../../shared/iceberg/io/parquet-data-file.js';
import { readParquetFooter } from '../../../../shared/iceberg/io/parquet-footer.js';
import {
  parquetLayout,
  SpliceRefused,
  spliceRowGroups,
  type SplicedGroup,
} from '../../../../shared/iceberg/io/parquet-splice.js';
import type { Schema } from '../../../../shared/iceberg/spec/types.js';
import type { Row } from '../../../../shared/iceberg/spec/values.js';
import { runPython } from '../../../support/python.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'price', required: false, type: 'decimal(10, 2)' },
    { id: 4, name: 'qty', required: false, type: 'int' },
  ],
};

function rows(from: number, count: number, tag: string): Row[] {
  return Array.from({ length: count }, (_, i) => {
    const id = from + i;
    return {
      id: BigInt(id),
      // repeated values (dictionary pages) and nulls in every group
      name: id % 5 === 0 ? null : `${tag}-${id % 40}`,
      price: BigInt(id * 13 - 700),
      qty: id % 7 === 0 ? null : id % 100,
    };
  });
}

test('row groups of two files spliced in any order read back as exactly their rows, here and in PyArrow and DuckDB', async () => {
  // the original: 4 groups of 100 rows (ids 0..399); the fresh file: 2 groups (ids 1000..1149)
  const originalRows = rows(0, 400, 'orig');
  const freshRows = rows(1000, 150, 'new');
  const original = writeRowsDataFile(originalRows, SCHEMA, { maxRowGroupSize: 100 }).bytes;
  const fresh = writeRowsDataFile(freshRows, SCHEMA, { maxRowGroupSize: 100 }).bytes;
  const a = parquetLayout(original);
  const b = parquetLayout(fresh);
  assert.deepEqual(
    a.groups.map((g) => [g.firstRow, g.rows]),
    [
      [0, 100],
      [100, 100],
      [200, 100],
      [300, 100],
    ],
  );
  // original group 0, both fresh groups, original groups 2 and 3 (group 1 left out)
  const order: SplicedGroup[] = [
    { bytes: original, layout: a, group: a.groups[0]! },
    { bytes: fresh, layout: b, group: b.groups[0]! },
    { bytes: fresh, layout: b, group: b.groups[1]! },
    { bytes: original, layout: a, group: a.groups[2]! },
    { bytes: original, layout: a, group: a.groups[3]! },
  ];
  const spliced = spliceRowGroups(order, b);
  const expected = [...originalRows.slice(0, 100), ...freshRows, ...originalRows.slice(200, 400)];

  // the copied groups' bytes are the originals', byte for byte
  const layout = parquetLayout(spliced);
  assert.equal(layout.groups.length, 5);
  for (const [k, source] of [
    [0, a.groups[0]!],
    [3, a.groups[2]!],
    [4, a.groups[3]!],
  ] as const) {
    const g = layout.groups[k]!;
    assert.deepEqual(spliced.subarray(g.start, g.end), original.subarray(source.start, source.end));
  }
  const footer = readParquetFooter(spliced);
  assert.equal(footer.rowCount, expected.length);
  assert.equal(footer.splitOffsets.length, 5);
  assert.equal(footer.splitOffsets[0], 4, 'the first group starts right after the magic');

  // our reader
  assert.deepEqual(plain(readRowsDataFile(spliced, SCHEMA.fields)), expected);

  // PyArrow and DuckDB, with the per-group statistics they read from the footer
  const dir = mkdtempSync(join(tmpdir(), 'dsi-splice-'));
  dirs.push(dir);
  const path = join(dir, 'spliced.parquet');
  writeFileSync(path, spliced);
  const seen = await runPython<{
    pyarrow: [number, string | null, string | null, number | null][];
    duckdb: [number, string | null, string | null, number | null][];
    stats: [number, number, number][];
  }>(
    `
import json, sys, duckdb, pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
t = f.read()
rows = [[r["id"], r["name"], None if r["price"] is None else str(r["price"]), r["qty"]] for r in t.to_pylist()]
stats = []
for g in range(f.metadata.num_row_groups):
    s = f.metadata.row_group(g).column(0).statistics
    stats.append([f.metadata.row_group(g).num_rows, s.min, s.max])
con = duckdb.connect()
d = con.execute("select id, name, cast(price as varchar), qty from read_parquet(?)", [sys.argv[1]]).fetchall()
print(json.dumps({"pyarrow": rows, "duckdb": [list(r) for r in d], "stats": stats}))
`,
    [path],
  );
  const asTuples = expected.map((r) => [
    Number(r.id),
    r.name ?? null,
    r.price === null ? null : ((r.price as bigint) < 0n ? '-' : '') + fixed2(r.price as bigint),
    r.qty ?? null,
  ]);
  assert.deepEqual(seen.pyarrow, asTuples);
  assert.deepEqual(seen.duckdb, asTuples, 'DuckDB reads the rows in file order');
  assert.deepEqual(seen.stats, [
    [100, 0, 99],
    [100, 1000, 1099],
    [50, 1100, 1149],
    [100, 200, 299],
    [100, 300, 399],
  ]);
});

function fixed2(value: bigint): string {
  const abs = value < 0n ? -value : value;
  return `${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

test('groups of a file with another Parquet schema are refused', () => {
  const other: Schema = { ...SCHEMA, fields: SCHEMA.fields.slice(0, 3) };
  const original = writeRowsDataFile(rows(0, 200, 'x'), SCHEMA, { maxRowGroupSize: 100 }).bytes;
  const narrower = writeRowsDataFile(
    rows(0, 10, 'y').map(({ qty: _qty, ...rest }) => rest),
    other,
  ).bytes;
  const a = parquetLayout(original);
  const b = parquetLayout(narrower);
  assert.throws(
    () =>
      spliceRowGroups(
        [
          { bytes: original, layout: a, group: a.groups[0]! },
          { bytes: narrower, layout: b, group: b.groups[0]! },
        ],
        b,
      ),
    SpliceRefused,
  );
});
