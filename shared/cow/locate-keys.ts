// Where the batch's keys are stored in one data file, read from the key and order columns alone (an Arrow
// projection of the file): for each batch key the file holds, its row number in the file and the order
// key of the stored row. No row objects are built: a key column becomes one array of values, and rows
// whose first key value is not a batch key are skipped before a key string is made.

import type * as arrow from 'apache-arrow';
import type { OrderKey } from '../changes/change-event.js';
import { FIELD_ID_KEY } from '../iceberg/arrow-schema.js';
import { arrowDataToValues } from '../iceberg/arrow-rows.js';
import type { NestedField } from '../iceberg/types.js';
import type { IcebergValue } from '../iceberg/values.js';
import { keyString } from './keys.js';
import { LSN_COLUMN, SOURCE_TS_COLUMN } from './table-properties.js';

export interface StoredKey {
  /** Row number in the file (over all its record batches). */
  row: number;
  order: OrderKey;
}

/** The first key column's values that can be set members (byte arrays compare by identity). */
export function firstKeyFilter(keys: Iterable<readonly IcebergValue[]>): Set<IcebergValue> | undefined {
  const out = new Set<IcebergValue>();
  for (const key of keys) {
    const v = key[0] ?? null;
    if (v instanceof Uint8Array) return undefined;
    out.add(v);
  }
  return out;
}

function columnIndex(table: arrow.Table, field: NestedField, file: string): number {
  const i = table.schema.fields.findIndex((f) => f.metadata.get(FIELD_ID_KEY) === String(field.id));
  if (i < 0) throw new Error(`${file}: data file has no column ${field.name} (field id ${field.id})`);
  return i;
}

/** A value read from a file written before an int→long widening is brought to the table's type. */
function conform(field: NestedField, v: IcebergValue): IcebergValue {
  return field.type === 'long' && typeof v === 'number' ? BigInt(v) : v;
}

/**
 * The batch keys (`wanted`, by key string) found in `table`, a projection of one data file holding at
 * least the key columns and the two order columns.
 */
export function locateKeys(
  table: arrow.Table,
  keyFields: readonly NestedField[],
  orderFields: readonly NestedField[],
  wanted: ReadonlyMap<string, unknown>,
  filter: ReadonlySet<IcebergValue> | undefined,
  file: string,
): Map<string, StoredKey> {
  const out = new Map<string, StoredKey>();
  const keyIdx = keyFields.map((f) => columnIndex(table, f, file));
  const tsField = orderFields.find((f) => f.name === SOURCE_TS_COLUMN)!;
  const lsnField = orderFields.find((f) => f.name === LSN_COLUMN)!;
  const tsIdx = columnIndex(table, tsField, file);
  const lsnIdx = columnIndex(table, lsnField, file);
  let base = 0;
  const key: IcebergValue[] = new Array<IcebergValue>(keyFields.length);
  for (const batch of table.batches) {
    const columns = keyFields.map((f, k) => arrowDataToValues(f.type, batch.data.children[keyIdx[k]!]!));
    const first = columns[0]!;
    const ts = batch.data.children[tsIdx]!;
    const lsn = batch.data.children[lsnIdx]!;
    for (let i = 0; i < batch.numRows; i++) {
      const v0 = conform(keyFields[0]!, first[i]!);
      if (filter && !filter.has(v0)) continue;
      key[0] = v0;
      for (let k = 1; k < keyFields.length; k++) key[k] = conform(keyFields[k]!, columns[k]![i]!);
      const ks = keyString(key);
      if (!wanted.has(ks)) continue;
      out.set(ks, { row: base + i, order: orderAt(ts, lsn, i, file) });
    }
    base += batch.numRows;
  }
  return out;
}

function orderAt(ts: arrow.Data, lsn: arrow.Data, i: number, file: string): OrderKey {
  const t = (ts.values as BigInt64Array)[i];
  const l = (lsn.values as BigInt64Array)[i];
  if (typeof t !== 'bigint' || typeof l !== 'bigint' || !ts.getValid(i) || !lsn.getValid(i)) {
    throw new Error(`${file}: row without order columns ${SOURCE_TS_COLUMN}/${LSN_COLUMN}`);
  }
  return { sourceTsMs: Number(t), lsn: BigInt.asUintN(64, l) };
}
