// What a copy-on-write test needs to stage change-sets and commit them on the embedded defaults: a temp
// folder with a local object store, SqliteCatalog and SqliteStateStore in catalog.db; and the check that
// every live data file's manifest metrics equal those of its rows written afresh.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LocalObjectStore } from '../../../../shared/adapters/embedded/local-object-store.js';
import { SqliteCatalog } from '../../../../shared/adapters/embedded/sqlite-catalog.js';
import { SqliteStateStore } from '../../../../shared/adapters/embedded/sqlite-state-store.js';
import type { TableMetadata } from '../../../../shared/iceberg/spec/metadata-types.js';
import { readRowsDataFile, writeRowsDataFile } from '../../../../shared/iceberg/io/parquet-data-file.js';
import { currentSchema } from '../../../../shared/iceberg/spec/metadata-access.js';
import { readLiveDataFiles } from '../../../../shared/iceberg/table-files.js';
import type { Row } from '../../../../shared/iceberg/spec/values.js';
import { silentLogger } from '../../../../shared/log.js';
import type { CommitDependencies, CommitOptions } from '../../../../shared/pipeline/commit-table.js';

export interface EmbeddedCommit {
  dir: string;
  db: Database.Database;
  warehouse: string;
  objects: LocalObjectStore;
  catalog: SqliteCatalog;
  state: SqliteStateStore;
  deps: CommitDependencies;
  workRoot: string;
}

/** A fresh temp folder (added to `dirs` for removal) with the embedded stores. */
export function embeddedCommit(prefix: string, dirs: string[], options: CommitOptions = {}): EmbeddedCommit {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  const db = new Database(join(dir, 'catalog.db'));
  const objects = new LocalObjectStore();
  const warehouse = join(dir, 'warehouse');
  const catalog = new SqliteCatalog({ database: db, warehouse, objectStore: objects });
  const state = new SqliteStateStore(db);
  const deps: CommitDependencies = { catalog, objects, state, log: silentLogger, options };
  return { dir, db, warehouse, objects, catalog, state, deps, workRoot: join(dir, 'work') };
}

/**
 * Every live data file's record count, bounds, null, value and NaN counts equal those of its rows written
 * afresh under the current schema; returns each file's rows.
 */
export async function assertMetricsMatchRows(
  metadata: TableMetadata,
  objects: LocalObjectStore,
): Promise<Row[][]> {
  const schema = currentSchema(metadata);
  const out: Row[][] = [];
  for (const file of await readLiveDataFiles(metadata, objects)) {
    const rows = readRowsDataFile(await objects.get(file.dataFile.filePath), schema.fields);
    const fromValues = writeRowsDataFile(rows, schema).dataFile;
    const path = file.dataFile.filePath;
    assert.deepEqual(file.dataFile.lowerBounds, fromValues.lowerBounds, `lower bounds of ${path}`);
    assert.deepEqual(file.dataFile.upperBounds, fromValues.upperBounds, `upper bounds of ${path}`);
    assert.deepEqual(file.dataFile.nullValueCounts, fromValues.nullValueCounts, `null counts of ${path}`);
    assert.deepEqual(file.dataFile.valueCounts, fromValues.valueCounts, `value counts of ${path}`);
    assert.deepEqual(file.dataFile.nanValueCounts, fromValues.nanValueCounts, `NaN counts of ${path}`);
    assert.equal(file.dataFile.recordCount, rows.length);
    out.push(rows);
  }
  return out;
}
