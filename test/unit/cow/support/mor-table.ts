// A table of a chosen write mode on the embedded defaults (local folder, SqliteCatalog, SqliteStateStore),
// created with its properties before the first commit (commits load an existing table as it is), changed
// through staged change-sets and the real commit engine; read back by our reader, PyIceberg and DuckDB.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LocalObjectStore } from '../../../../shared/adapters/embedded/local-object-store.js';
import { SqliteCatalog } from '../../../../shared/adapters/embedded/sqlite-catalog.js';
import { SqliteStateStore } from '../../../../shared/adapters/embedded/sqlite-state-store.js';
import type { ChangeEvent } from '../../../../shared/changes/change-event.js';
import { buildPartitionSpec } from '../../../../shared/iceberg/spec/partitioning.js';
import type { Schema } from '../../../../shared/iceberg/spec/types.js';
import type { Row } from '../../../../shared/iceberg/spec/values.js';
import { readTableRows } from '../../../../shared/iceberg/table-files.js';
import {
  PRIMARY_KEY_PROPERTY,
  ROW_GROUP_LIMIT_PROPERTY,
  writeModeProperties,
  type WriteMode,
} from '../../../../shared/iceberg/table-properties.js';
import { silentLogger } from '../../../../shared/log.js';
import { commitTable, type CommitDependencies } from '../../../../shared/pipeline/commit-table.js';
import { DUCKDB_CONNECT, runPython } from '../../../support/python.js';
import { change, stageChangeset } from './stage.js';

const T = { schema: 'shop', name: 'items' };
const KEY = 'shop.items';
const ID = { namespace: ['shop'], name: 'items' };

export interface MorTableOptions {
  mode: WriteMode;
  /** Primary key columns among region, id (default ['id']; [] for an insert-only table). */
  primaryKeys?: string[];
  /** A partition of the table, e.g. {source: 'region', transform: 'identity'}. */
  partition?: { source: string; transform: string };
  /** Rows per row group (small, so files have several). */
  rowGroupRows?: number;
  properties?: Record<string, string>;
}

/** The source columns; `region` is the first key column of a composite key. */
export const SOURCE_SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'region', required: true, type: 'string' },
    { id: 2, name: 'id', required: true, type: 'int' },
    { id: 3, name: 'qty', required: false, type: 'int' },
    { id: 4, name: 'name', required: false, type: 'string' },
  ],
};

const dirs: string[] = [];
export function removeMorTables(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export type MorTable = Awaited<ReturnType<typeof morTable>>;

export async function morTable(options: MorTableOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'dsi-mor-'));
  dirs.push(dir);
  const db = new Database(join(dir, 'catalog.db'));
  const objects = new LocalObjectStore();
  const root = join(dir, 'warehouse');
  const catalog = new SqliteCatalog({ database: db, warehouse: root, objectStore: objects });
  const state = new SqliteStateStore(db);
  const deps: CommitDependencies = { catalog, objects, state, log: silentLogger };
  const primaryKeys = options.primaryKeys ?? ['id'];
  const keyed = primaryKeys.length > 0;
  const tableSchema: Schema = {
    ...SOURCE_SCHEMA,
    ...(keyed
      ? { 'identifier-field-ids': primaryKeys.map((k) => SOURCE_SCHEMA.fields.find((f) => f.name === k)!.id) }
      : {}),
    fields: [
      ...SOURCE_SCHEMA.fields,
      { id: 5, name: '_cdc_source_ts_ms', required: true, type: 'long' },
      { id: 6, name: '_cdc_lsn', required: true, type: 'long' },
      ...(keyed ? [] : [{ id: 7, name: '_cdc_event_uuid', required: false, type: 'string' as const }]),
    ],
  };
  await catalog.createNamespace(['shop']);
  await catalog.createTable(['shop'], {
    name: ID.name,
    schema: tableSchema,
    ...(options.partition ? { 'partition-spec': buildPartitionSpec(tableSchema, [options.partition]) } : {}),
    properties: {
      [PRIMARY_KEY_PROPERTY]: primaryKeys.join(','),
      [ROW_GROUP_LIMIT_PROPERTY]: String(options.rowGroupRows ?? 4),
      ...writeModeProperties(options.mode),
      ...options.properties,
    },
  });
  let ts = 1_000;
  const nextTs = (): number => ts++;
  /** An upsert of (region, id) with the given columns (absent ones left out: a partial update). */
  const upsert = (row: Row, at = nextTs()): ChangeEvent => change(T, primaryKeys, 'upsert', row, at);
  const remove = (row: Row, at = nextTs()): ChangeEvent => change(T, primaryKeys, 'delete', row, at);
  /** Stage one change-set of `events` and commit it: one snapshot. */
  const commit = async (events: ChangeEvent[]) => {
    await stageChangeset(
      { objects, state, workRoot: join(dir, 'work') },
      T,
      SOURCE_SCHEMA,
      primaryKeys,
      events,
    );
    const result = await commitTable(deps, KEY);
    if (result.status !== 'committed') throw new Error(`commit: ${JSON.stringify(result)}`);
    return result;
  };
  const load = async () => (await catalog.loadTable(ID)).metadata;
  /** The table's rows as our reader sees them (position deletes applied), source columns, sorted. */
  const rows = async (): Promise<string[]> => canonical(await readTableRows(await load(), objects));
  /** The rows PyIceberg and DuckDB read, each as our canonical strings. */
  const witnesses = async (): Promise<{ pyiceberg: string[]; duckdb: string[] }> => {
    const metadataLocation = (await catalog.loadTable(ID)).metadataLocation;
    return runPython<{ pyiceberg: string[]; duckdb: string[] }>(
      `${DUCKDB_CONNECT}
import json, sys
from pyiceberg.catalog.sql import SqlCatalog
c = SqlCatalog("default", uri="sqlite:///" + sys.argv[1], warehouse="file://" + sys.argv[2])
cols = ["region", "id", "qty", "name"]
def canon(rows):
    return sorted(json.dumps([r[c] for c in cols], separators=(",", ":")) for r in rows)
py = c.load_table("shop.items").scan().to_arrow().to_pylist()
con = duckdb_connect()
cur = con.execute("SELECT region, id, qty, name FROM iceberg_scan(?)", [sys.argv[3]])
names = [d[0] for d in cur.description]
dd = [dict(zip(names, r)) for r in cur.fetchall()]
print(json.dumps({"pyiceberg": canon(py), "duckdb": canon(dd)}))
`,
      [join(dir, 'catalog.db'), root, metadataLocation],
    );
  };
  return { dir, db, objects, catalog, state, deps, upsert, remove, commit, load, rows, witnesses, nextTs };
}

/** Rows as the witnesses print them: [region, id, qty, name] JSON, sorted. */
export function canonical(rows: readonly Row[]): string[] {
  return rows
    .map((r) => JSON.stringify([r.region ?? null, r.id ?? null, r.qty ?? null, r.name ?? null]))
    .sort();
}

/** A model of the table: key → row, for the expected rows. */
export function modelRows(model: ReadonlyMap<string, Row>): string[] {
  return canonical([...model.values()]);
}
