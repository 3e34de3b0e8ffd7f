// A table on the embedded defaults (local folder, SqliteCatalog, SqliteStateStore) built by the real
// commit engine (staged change-sets + commitTable), and PyIceberg reading it through catalog.db, for the
// maintenance tests.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LocalObjectStore } from '../../../shared/adapters/embedded/local-object-store.js';
import { SqliteCatalog } from '../../../shared/adapters/embedded/sqlite-catalog.js';
import { SqliteStateStore } from '../../../shared/adapters/embedded/sqlite-state-store.js';
import { buildPartitionSpec } from '../../../shared/iceberg/spec/partitioning.js';
import type { Schema } from '../../../shared/iceberg/spec/types.js';
import { silentLogger } from '../../../shared/log.js';
import type { MaintenanceDependencies } from '../../../shared/maintenance/maintain-table.js';
import { commitTable, type CommitDependencies } from '../../../shared/pipeline/commit-table.js';
import { PRIMARY_KEY_PROPERTY } from '../../../shared/iceberg/table-properties.js';
import { writePositionDeletes } from '../../../shared/iceberg/data-file-writer.js';
import { readLiveDataFiles } from '../../../shared/iceberg/table-files.js';
import { TableTransaction } from '../../../shared/table/transaction.js';
import { runPython } from '../../support/python.js';
import { change, stageChangeset } from '../cow/support/stage.js';

export const KEY = 'shop.items';
export const ID = { namespace: ['shop'], name: 'items' };
const T = { schema: 'shop', name: 'items' };
const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'int' },
    { id: 2, name: 'qty', required: false, type: 'int' },
    { id: 3, name: 'name', required: false, type: 'string' },
  ],
};

/**
 * The table commitTable would create from SCHEMA (plus its order columns), for a test to create with a
 * partition spec first: commits load an existing table as it is.
 */
export const TABLE_SCHEMA: Schema = {
  ...SCHEMA,
  'identifier-field-ids': [1],
  fields: [
    ...SCHEMA.fields,
    { id: 4, name: '_cdc_source_ts_ms', required: true, type: 'long' },
    { id: 5, name: '_cdc_lsn', required: true, type: 'long' },
  ],
};

/** Create the test table partitioned by one transform of one column. */
export async function createPartitionedTable(
  w: Warehouse,
  partition: { source: string; transform: string },
): Promise<void> {
  await w.catalog.createNamespace(['shop']);
  await w.catalog.createTable(['shop'], {
    name: ID.name,
    schema: TABLE_SCHEMA,
    'partition-spec': buildPartitionSpec(TABLE_SCHEMA, [partition]),
    properties: { [PRIMARY_KEY_PROPERTY]: 'id' },
  });
}

const dirs: string[] = [];
export function removeWarehouses(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export type Warehouse = ReturnType<typeof warehouse>;

export function warehouse() {
  const dir = mkdtempSync(join(tmpdir(), 'dsi-maintain-'));
  dirs.push(dir);
  const db = new Database(join(dir, 'catalog.db'));
  const objects = new LocalObjectStore();
  const root = join(dir, 'warehouse');
  const catalog = new SqliteCatalog({ database: db, warehouse: root, objectStore: objects });
  const state = new SqliteStateStore(db);
  const commitDeps: CommitDependencies = { catalog, objects, state, log: silentLogger };
  const maintainDeps: MaintenanceDependencies = { catalog, objects, state, log: silentLogger };
  let ts = 1_000;
  /** Stage one change-set of upserts (id → qty) and deletes (ids). */
  const stage = async (upserts: Array<[number, number]>, deletes: number[] = []): Promise<string> => {
    const events = [
      ...upserts.map(([id, qty]) => change(T, ['id'], 'upsert', { id, qty, name: `n${id}` }, ts++)),
      ...deletes.map((id) => change(T, ['id'], 'delete', { id }, ts++)),
    ];
    return stageChangeset({ objects, state, workRoot: join(dir, 'work') }, T, SCHEMA, ['id'], events);
  };
  /** Stage and commit one change-set: one snapshot. */
  const commit = async (upserts: Array<[number, number]>, deletes: number[] = []): Promise<void> => {
    await stage(upserts, deletes);
    const result = await commitTable(commitDeps, KEY);
    if (result.status !== 'committed') throw new Error(`commit: ${JSON.stringify(result)}`);
  };
  const load = async () => catalog.loadTable(ID);
  return { dir, db, root, objects, catalog, state, commitDeps, maintainDeps, stage, commit, load };
}

export interface PyRead {
  rows: string[];
  files: number;
}

/** PyIceberg's rows (sorted canonical JSON) and data file count, of main or of one snapshot. */
export function readWithPyIceberg(w: Warehouse, snapshotId?: string): Promise<PyRead> {
  return runPython<PyRead>(
    `
import json, sys
from pyiceberg.catalog.sql import SqlCatalog
c = SqlCatalog("default", uri="sqlite:///" + sys.argv[1], warehouse="file://" + sys.argv[2])
t = c.load_table("shop.items")
scan = t.scan(snapshot_id=int(sys.argv[3])) if sys.argv[3] else t.scan()
rows = scan.to_arrow().to_pylist()
print(json.dumps({"rows": sorted(json.dumps(r, sort_keys=True) for r in rows),
                  "files": len(list(scan.plan_files()))}))
`,
    [join(w.dir, 'catalog.db'), w.root, snapshotId ?? ''],
  );
}

/**
 * Commit a snapshot adding one position delete file for `positions` of the live data file at `path`
 * (what a merge-on-read commit writes); returns the delete file's path.
 */
export async function commitPositionDeletes(
  w: Warehouse,
  path: string,
  positions: number[],
): Promise<string> {
  const { metadata } = await w.load();
  const file = (await readLiveDataFiles(metadata, w.objects)).find((f) => f.dataFile.filePath === path);
  if (!file) throw new Error(`${path} is not a live data file`);
  const deletes = await writePositionDeletes(metadata, w.objects, {
    dataFilePath: path,
    partition: file.dataFile.partition,
    positions,
  });
  const tx = new TableTransaction(ID, metadata, w.objects);
  await tx.addSnapshot({ added: [], addedDeletes: [deletes] });
  const { requirements, updates } = tx.request();
  await w.catalog.commitTable(ID, requirements, updates);
  return deletes.filePath;
}
