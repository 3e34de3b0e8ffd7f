// Where the batch's keys are stored in one data file read as Arrow, from its key and order columns
// alone: for each batch key the file holds, its row number in the file and the order
// key of the stored row. No row objects are built: rows whose first key value is not a batch key are
// skipped before a key string is made (for an integer first key, straight from the raw buffer).

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
 * The batch keys (`wanted`, by key string) found in `table`, one data file (or a projection of it
 * holding at least the key columns and the two order columns).
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
  const numeric = numericFilter(filter);
  let base = 0;
  const key: IcebergValue[] = new Array<IcebergValue>(keyFields.length);
  for (const batch of table.batches) {
    const firstData = batch.data.children[keyIdx[0]!]!;
    const ts = batch.data.children[tsIdx]!;
    const lsn = batch.data.children[lsnIdx]!;
    // integer first key: rows are filtered on the raw buffer, before any value is made
    const rows = numeric ? numericMatches(firstData, numeric) : undefined;
    const first = rows ? undefined : arrowDataToValues(keyFields[0]!.type, firstData);
    const others = keyFields.map((f, k) =>
      k === 0 ? [] : arrowDataToValues(f.type, batch.data.children[keyIdx[k]!]!),
    );
    const n = rows ? rows.length : batch.numRows;
    for (let j = 0; j < n; j++) {
      const i = rows ? rows[j]! : j;
      const v0 = conform(keyFields[0]!, first ? first[i]! : (firstData.values[i] as number | bigint));
      if (!rows && filter && !filter.has(v0)) continue;
      key[0] = v0;
      for (let k = 1; k < keyFields.length; k++) key[k] = conform(keyFields[k]!, others[k]![i]!);
      const ks = keyString(key);
      if (!wanted.has(ks)) continue;
      out.set(ks, { row: base + i, order: orderAt(ts, lsn, i, file) });
    }
    base += batch.numRows;
  }
  return out;
}

/** The filter as doubles when every value is an integer (a bigint's double may round: a pre-filter). */
function numericFilter(filter: ReadonlySet<IcebergValue> | undefined): Set<number> | undefined {
  if (!filter) return undefined;
  const out = new Set<number>();
  for (const v of filter) {
    if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) out.add(Number(v));
    else return undefined;
  }
  return out;
}

/**
 * Rows of an int or long column whose value, as a double, is in `filter`; undefined for other columns
 * or with nulls. A long is read as two 32-bit words (hi·2³² exact, one rounding for the sum: the same
 * double as Number(value)), so no bigint is made for rows that cannot match.
 */
function numericMatches(data: arrow.Data, filter: ReadonlySet<number>): number[] | undefined {
  if (data.nullCount > 0) return undefined;
  const values = data.values as unknown;
  const out: number[] = [];
  if (values instanceof BigInt64Array) {
    const words = new Int32Array(values.buffer, values.byteOffset, data.length * 2);
    for (let i = 0; i < data.length; i++) {
      if (filter.has(words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0))) out.push(i);
    }
    return out;
  }
  if (values instanceof Int32Array) {
    for (let i = 0; i < data.length; i++) if (filter.has(values[i]!)) out.push(i);
    return out;
  }
  return undefined;
}

function orderAt(ts: arrow.Data, lsn: arrow.Data, i: number, file: string): OrderKey {
  const t = (ts.values as BigInt64Array)[i];
  const l = (lsn.values as BigInt64Array)[i];
  if (typeof t !== 'bigint' || typeof l !== 'bigint' || !ts.getValid(i) || !lsn.getValid(i)) {
    throw new Error(`${file}: row without order columns ${SOURCE_TS_COLUMN}/${LSN_COLUMN}`);
  }
  return { sourceTsMs: Number(t), lsn: BigInt.asUintN(64, l) };
}
