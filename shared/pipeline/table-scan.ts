// A table's current rows one live data file at a time, for readers that must not hold the whole table
// as row objects (`verify` keeps a hash per row, not the row): the table's source columns and key as the
// pipeline compiles them, its snapshot, and the rows of each live data file with its position deletes
// applied (the one row read path, shared/iceberg/table-files.ts).

import { ENGINE_COLUMNS } from '../cow/order-columns.js';
import type { ColumnPlan } from '../datastream/table.js';
import { currentSnapshot } from '../iceberg/spec/snapshot.js';
import type { Row } from '../iceberg/spec/values.js';
import { readLiveDataFiles, readLiveRows, type LiveDataFile } from '../iceberg/table-files.js';
import { NEWEST_SOURCE_TS_SUMMARY_KEY } from '../iceberg/table-properties.js';
import { NoSuchTableError, type Catalog } from '../ports/catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import { ConfiguredTableDirectory } from './table-directory.js';

export type { ColumnPlan, Row };

export interface TableScan {
  /** The table's source columns in schema order (the engine's order and event columns left out). */
  columns: ColumnPlan[];
  /** The primary-key columns, in key order; [] for an insert-only table. */
  keyColumns: ColumnPlan[];
  /** The current snapshot's id, or null for a table without one. */
  snapshotId: string | null;
  /** The newest source timestamp (ms since the epoch) the current snapshot applied, if recorded. */
  newestSourceMs: number | null;
  /** Paths of the live data files, in the order readFile takes them. */
  files: string[];
  /** The rows (source columns only) of one live data file that no position delete removes. */
  readFile(index: number): Promise<Row[]>;
}

const ENGINE = new Set<string>(ENGINE_COLUMNS);

export async function openTableScan(
  catalog: Catalog,
  objects: ObjectStore,
  table: { namespace: string; name: string },
): Promise<TableScan> {
  const id = { namespace: [table.namespace], name: table.name };
  const compiled = await new ConfiguredTableDirectory({}, catalog).resolve({
    schema: table.namespace,
    name: table.name,
  });
  if (!compiled) throw new NoSuchTableError(id);
  const { metadata } = await catalog.loadTable(id);
  const columns = compiled.columns.filter((c) => !ENGINE.has(c.name));
  const fields = columns.map((c) => c.field);
  const snapshot = currentSnapshot(metadata);
  const newest = snapshot?.summary[NEWEST_SOURCE_TS_SUMMARY_KEY];
  const live: LiveDataFile[] = await readLiveDataFiles(metadata, objects);
  return {
    columns,
    keyColumns: compiled.keyColumns,
    snapshotId: snapshot ? String(snapshot['snapshot-id']) : null,
    newestSourceMs: newest === undefined ? null : Number(newest),
    files: live.map((f) => f.dataFile.filePath),
    readFile: (index) => readLiveRows(objects, live[index]!, fields),
  };
}
