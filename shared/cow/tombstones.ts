// Tombstones: for every key deleted within the retention window, its key and the order key of the delete,
// so a late change older than the delete cannot bring the row back. They live in one Parquet sidecar file
// whose location is a table property set in the same commit as the data, so the table and its tombstones
// can never disagree. A new sidecar is written whenever the set changes; the old one stays for older
// snapshots (time travel) like any replaced file.

import { randomUUID } from 'node:crypto';
import type { OrderKey } from '../changes/change-event.js';
import { readRowsDataFile, writeRowsDataFile } from '../iceberg/io/parquet-data-file.js';
import type { NestedField, Schema } from '../iceberg/spec/types.js';
import { newRow, type IcebergValue, type Row } from '../iceberg/spec/values.js';
import type { FileStore } from '../iceberg/file-store.js';
import { conformRow, widenedFields } from './conform.js';
import { keyString } from './keys.js';
import { rowOrder, setRowOrder } from './merge.js';

export interface Tombstone {
  key: IcebergValue[];
  order: OrderKey;
}

export type Tombstones = Map<string, Tombstone>;

function sidecarSchema(keyFields: readonly NestedField[], orderFields: readonly NestedField[]): Schema {
  return { type: 'struct', 'schema-id': 0, fields: [...keyFields, ...orderFields] };
}

export async function readTombstones(
  store: FileStore,
  location: string | undefined,
  keyFields: readonly NestedField[],
  orderFields: readonly NestedField[],
): Promise<Tombstones> {
  const out: Tombstones = new Map();
  if (!location) return out;
  const rows = readRowsDataFile(await store.get(location), [...keyFields, ...orderFields], location);
  const longs = widenedFields(keyFields);
  for (const row of rows) {
    conformRow(row, longs); // a key column widened since the sidecar was written
    const key = keyFields.map((f) => row[f.name] ?? null);
    out.set(keyString(key), { key, order: rowOrder(row) });
  }
  return out;
}

export async function writeTombstones(
  store: FileStore,
  tableLocation: string,
  keyFields: readonly NestedField[],
  orderFields: readonly NestedField[],
  tombstones: Tombstones,
): Promise<string> {
  const rows: Row[] = [];
  for (const t of tombstones.values()) {
    const row: Row = newRow();
    keyFields.forEach((f, i) => (row[f.name] = t.key[i] ?? null));
    setRowOrder(row, t.order);
    rows.push(row);
  }
  const bytes = writeRowsDataFile(rows, sidecarSchema(keyFields, orderFields)).bytes;
  const location = `${tableLocation.replace(/\/+$/, '')}/metadata/tombstones-${randomUUID()}.parquet`;
  await store.put(location, bytes, { ifAbsent: true, contentType: 'application/vnd.apache.parquet' });
  return location;
}

/** Drop tombstones older than `retentionMs` before the newest source time seen; returns how many. */
export function pruneTombstones(tombstones: Tombstones, newestMs: number, retentionMs: number): number {
  let pruned = 0;
  for (const [k, t] of tombstones) {
    if (t.order.sourceTsMs < newestMs - retentionMs) {
      tombstones.delete(k);
      pruned++;
    }
  }
  return pruned;
}
