// A merge-on-read table on gs:// end to end: created through the Iceberg REST reference catalog at a
// gs:// location in fake-gcs-server with the merge-on-read table properties, then written by the commit
// engine (commitTable, the function a commit task runs) from staged change-sets: a first commit inserts
// rows over three day partitions, two more update and delete rows of earlier commits (a row updated twice,
// a row updated then deleted, a deleted key inserted again), so the snapshot holds position delete files
// next to its data files. PyIceberg (through the catalog, on gs://) and DuckDB (iceberg_scan of a local
// copy with its paths rewritten, support/relocated-copy.ts: it reads local tables only here) must both
// read exactly the expected rows; then once more after a maintenance run whose compaction folds the
// deletes into the data files.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SqliteStateStore } from '../../shared/adapters/embedded/sqlite-state-store.js';
import { GcsObjectStore } from '../../shared/adapters/gcp/gcs-object-store.js';
import { RestCatalog } from '../../shared/adapters/gcp/rest-catalog.js';
import type { ChangeEvent, TableRef } from '../../shared/changes/change-event.js';
import { currentSchema } from '../../shared/iceberg/spec/metadata-access.js';
import type { TableMetadata } from '../../shared/iceberg/spec/metadata-types.js';
import { buildPartitionSpec } from '../../shared/iceberg/spec/partitioning.js';
import { buildSchema } from '../../shared/iceberg/spec/schema.js';
import type { Row } from '../../shared/iceberg/spec/values.js';
import { readLiveFiles, readTableRows } from '../../shared/iceberg/table-files.js';
import { PRIMARY_KEY_PROPERTY, writeModeProperties } from '../../shared/iceberg/table-properties.js';
import { silentLogger } from '../../shared/log.js';
import { maintainTable } from '../../shared/maintenance/maintain-table.js';
import { commitTable, type CommitDependencies } from '../../shared/pipeline/commit-table.js';
import { change, stageChangeset } from '../unit/cow/support/stage.js';
import { projectId, storageClient } from '../support/emulator-clients.js';
import { isolate } from '../support/isolation.js';
import { DUCKDB_CONNECT, PYICEBERG_GCS, runPython } from '../support/python.js';
import { stackEnv } from '../support/stack-env.js';
import { relocatedCopy } from './support/relocated-copy.js';

const DAY_US = 86_400_000_000n;

const PY_READ = `${PYICEBERG_GCS}${DUCKDB_CONNECT}
import json, sys
from datetime import timezone
from pyiceberg.catalog.rest import RestCatalog
uri, table, root, version = sys.argv[1:5]
def canonical(rows):
    out = [{"id": str(r["id"]), "name": r["name"], "price": str(r["price"]),
            "ts": r["ts"].astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")} for r in rows]
    return sorted(out, key=lambda r: int(r["id"]))
t = RestCatalog("rest", uri=uri, **gcs_properties()).load_table(table)
pyiceberg = canonical(t.scan().to_arrow().to_pylist())
con = duckdb_connect()
duckdb = canonical(con.execute("SELECT * FROM iceberg_scan(?, version = ?, allow_moved_paths = true)",
                               [root, version]).fetch_arrow_table().to_pylist())
print(json.dumps({"pyiceberg": pyiceberg, "duckdb": duckdb}))
`;

interface CanonicalRow {
  id: string;
  name: string;
  price: string;
  ts: string;
}

function canonical(row: Row): CanonicalRow {
  const cents = row.price as bigint;
  const micros = row.ts as bigint;
  const iso = new Date(Number(micros / 1000n)).toISOString().replace('Z', '');
  return {
    id: String(row.id),
    name: row.name as string,
    price: `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`,
    ts: `${iso}${String(micros % 1000n).padStart(3, '0')}Z`,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'dsi-gcs-mor-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a merge-on-read gs:// table committed through the REST catalog, with position delete files, reads the same in PyIceberg and DuckDB', async (t) => {
  const names = isolate('gcs mor table');
  const storage = storageClient();
  await storage.createBucket(names.bucket);
  const objects = new GcsObjectStore({
    apiEndpoint: stackEnv('STORAGE_EMULATOR_HOST'),
    projectId: projectId(),
  });
  const catalog = new RestCatalog({ uri: stackEnv('ICEBERG_REST_URI') });
  const state = new SqliteStateStore(':memory:');
  const schema = buildSchema(
    [
      { name: 'id', type: 'long', required: true },
      { name: 'name', type: 'string' },
      { name: 'price', type: 'decimal(10, 2)' },
      { name: 'ts', type: 'timestamptz' },
    ],
    { identifierFieldNames: ['id'] },
  );
  await catalog.createNamespace([names.namespace]);
  const location = `gs://${names.bucket}/warehouse/${names.namespace}/products`;
  const created = await catalog.createTable([names.namespace], {
    name: 'products',
    schema,
    location,
    'partition-spec': buildPartitionSpec(schema, [{ source: 'ts', transform: 'day' }]),
    properties: { ...writeModeProperties('merge-on-read'), [PRIMARY_KEY_PROPERTY]: 'id' },
  });
  const ref: TableRef = { schema: names.namespace, name: 'products' };
  const table = `${names.namespace}.products`;
  const id = { namespace: [names.namespace], name: 'products' };
  const deps: CommitDependencies = { catalog, objects, state, log: silentLogger };
  const workRoot = `gs://${names.bucket}/_datastream_iceberg`;
  const tableSchema = currentSchema(created.metadata);

  // the model: what every reader must return
  const expected = new Map<bigint, Row>();
  let ms = 1_795_000_000_000;
  const commit = async (changes: Array<{ op: ChangeEvent['op']; row: Row }>) => {
    const events = changes.map(({ op, row }) => change(ref, ['id'], op, row, ms++));
    for (const { op, row } of changes) {
      if (op === 'delete') expected.delete(row.id as bigint);
      else expected.set(row.id as bigint, row);
    }
    await stageChangeset({ objects, state, workRoot }, ref, tableSchema, ['id'], events);
    const result = await commitTable(deps, table);
    assert.equal(result.status, 'committed', JSON.stringify(result));
  };

  const base = 1_795_000_000_000_000n; // µs, 2026-11
  const big = 9_007_199_254_740_000n; // ids beyond 2^53
  const product = (i: number, cents: bigint, name = `p-${i}`): Row => ({
    id: big + BigInt(i),
    name,
    price: cents,
    ts: base + BigInt(i % 3) * DAY_US + BigInt(i),
  });
  await commit(
    Array.from({ length: 60 }, (_, i) => ({ op: 'upsert' as const, row: product(i, BigInt(i * 101 + 1)) })),
  );
  // rows of every partition changed in place, others deleted: each old version becomes a position delete
  await commit([
    ...[1, 5, 9, 20, 33, 47].map((i) => ({
      op: 'upsert' as const,
      row: product(i, 99_999_999_99n, `p-${i} v2`),
    })),
    ...[2, 14, 27, 40].map((i) => ({ op: 'delete' as const, row: { id: big + BigInt(i) } })),
  ]);
  // a row of commit 2 updated again, another deleted (their versions are in commit 2's file), a deleted
  // key inserted again, and rows of commit 1 changed once more
  await commit([
    { op: 'upsert', row: product(5, 123_45n, 'p-5 v3') },
    { op: 'delete', row: { id: big + 20n } },
    { op: 'upsert', row: product(14, 1n, 'p-14 again') },
    { op: 'upsert', row: product(50, 7_00n, 'p-50 v2') },
    { op: 'delete', row: { id: big + 59n } },
  ]);

  const want = [...expected.values()].map(canonical).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  const { metadata, metadataLocation } = await catalog.loadTable(id);
  const live = await readLiveFiles(metadata, objects);
  assert.ok(live.deletes.length > 0, 'merge-on-read commits left position delete files in the snapshot');
  const [stored] = await storage
    .bucket(names.bucket)
    .getFiles({ prefix: `warehouse/${names.namespace}/products/data/` });
  const storedPaths = new Set(stored.map((f) => `gs://${names.bucket}/${f.name}`));
  for (const d of live.deletes) {
    assert.equal(d.dataFile.content, 1, `${d.dataFile.filePath}: a position delete file`);
    assert.ok(storedPaths.has(d.dataFile.filePath), `${d.dataFile.filePath} is in the bucket`);
  }
  await assertReaders('merge-on-read commits', metadata, metadataLocation, want);

  // maintenance: compaction rewrites the files with their deletes applied (expiry and orphan removal off)
  await t.test('after maintenance folds the deletes, the same rows in every reader', async () => {
    const maintained = await maintainTable({ catalog, objects, state, log: silentLogger }, table, {
      minInputFiles: 1,
      expire: false,
      removeOrphans: false,
    });
    assert.equal(maintained.status, 'done', JSON.stringify(maintained));
    const folded = await catalog.loadTable(id);
    assert.equal(
      (await readLiveFiles(folded.metadata, objects)).deletes.length,
      0,
      'maintenance folded every position delete into the data files',
    );
    await assertReaders('after maintenance', folded.metadata, folded.metadataLocation, want);
  });

  /** Our reader, PyIceberg on gs:// and DuckDB on a copy of the table's folder, each equal to `rows`. */
  async function assertReaders(
    label: string,
    m: TableMetadata,
    metadataFile: string,
    rows: CanonicalRow[],
  ): Promise<void> {
    const ours = (await readTableRows(m, objects))
      .map(canonical)
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    assert.deepEqual(ours, rows, `${label}: our reader`);
    const copy = await relocatedCopy(
      objects,
      m.location,
      metadataFile,
      join(dir, label.replace(/\W+/g, '-'), 'products'),
    );
    const read = await runPython<{ pyiceberg: CanonicalRow[]; duckdb: CanonicalRow[] }>(PY_READ, [
      stackEnv('ICEBERG_REST_URI'),
      table,
      copy.root,
      copy.version,
    ]);
    assert.deepEqual(read.pyiceberg, rows, `${label}: PyIceberg`);
    assert.deepEqual(read.duckdb, rows, `${label}: DuckDB`);
  }
});
