// Where the batch's keys are stored in one data file read as Arrow, from its key and order columns
// alone: for each batch key the file holds, its row number in the file and the order key of the stored
// row. No row objects are built, and rows whose first key value is no batch key are skipped before a key
// string is made. For an integer first key the raw buffer is read as doubles: a record batch sorted by
// it (every file this engine writes) is walked together with the batch's sorted values, others are
// filtered through a set; a double that matches is confirmed on the exact key string.
// A found key is reported under the batch map's own key string, so later lookups by it are cheap.

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

/** The batch's keys, prepared once for every candidate file. */
export interface KeyIndex {
  /** Key string → the key's values. */
  wanted: ReadonlyMap<string, { readonly key: readonly IcebergValue[] }>;
  /** The first key column's values, when all can be set members (byte arrays compare by identity). */
  filter: ReadonlySet<IcebergValue> | undefined;
  /**
   * When every first key value is an integer: those values as doubles, ascending, with their keys and
   * exact first values.
   */
  numeric?: { values: Float64Array; keys: string[]; firsts: IcebergValue[]; set: ReadonlySet<number> };
}

export function indexKeys(wanted: ReadonlyMap<string, { readonly key: readonly IcebergValue[] }>): KeyIndex {
  const filter = new Set<IcebergValue>();
  let integers = true;
  for (const { key } of wanted.values()) {
    const v = key[0] ?? null;
    if (v instanceof Uint8Array) return { wanted, filter: undefined };
    filter.add(v);
    if (!(typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)))) integers = false;
  }
  if (!integers) return { wanted, filter };
  return { wanted, filter, numeric: numericIndex(wanted) };
}

function numericIndex(
  wanted: ReadonlyMap<string, { readonly key: readonly IcebergValue[] }>,
): NonNullable<KeyIndex['numeric']> {
  // a bigint's double may round: equal doubles are candidates, confirmed on the key string
  const entries = [...wanted].map(([k, { key }]) => ({ k, first: key[0]!, d: Number(key[0]) }));
  entries.sort((a, b) => a.d - b.d);
  return {
    values: Float64Array.from(entries, (e) => e.d),
    keys: entries.map((e) => e.k),
    firsts: entries.map((e) => e.first),
    set: new Set(entries.map((e) => e.d)),
  };
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
 * The batch keys found in `table`, one data file (or a projection of it holding at least the key
 * columns and the two order columns), by the key strings of `index.wanted`.
 */
export function locateKeys(
  table: arrow.Table,
  keyFields: readonly NestedField[],
  orderFields: readonly NestedField[],
  index: KeyIndex,
  file: string,
): Map<string, StoredKey> {
  const out = new Map<string, StoredKey>();
  const keyIdx = keyFields.map((f) => columnIndex(table, f, file));
  const tsField = orderFields.find((f) => f.name === SOURCE_TS_COLUMN)!;
  const lsnField = orderFields.find((f) => f.name === LSN_COLUMN)!;
  const tsIdx = columnIndex(table, tsField, file);
  const lsnIdx = columnIndex(table, lsnField, file);
  const { wanted, filter, numeric } = index;
  let base = 0;
  const key: IcebergValue[] = new Array<IcebergValue>(keyFields.length);
  for (const batch of table.batches) {
    const firstData = batch.data.children[keyIdx[0]!]!;
    const ts = batch.data.children[tsIdx]!;
    const lsn = batch.data.children[lsnIdx]!;
    const others = keyFields.map((f, k) =>
      k === 0 ? [] : arrowDataToValues(f.type, batch.data.children[keyIdx[k]!]!),
    );
    /** The key string of row i, its first value given. */
    const rowKey = (i: number, v0: IcebergValue): string => {
      key[0] = v0;
      for (let k = 1; k < keyFields.length; k++) key[k] = conform(keyFields[k]!, others[k]![i]!);
      return keyString(key);
    };
    const found = (k: string, i: number): void => {
      out.set(k, { row: base + i, order: orderAt(ts, lsn, i, file) });
    };
    const doubles = numeric ? integerDoubles(firstData) : undefined;
    if (numeric && doubles) {
      // candidates: the batch keys whose first value is this row's double
      const raw = firstData.values as BigInt64Array | Int32Array;
      // a one-column key is confirmed on its exact value (=== is what its key string tells apart: a
      // bigint from a number, and bigints by value); a longer key on the key string
      const single = keyFields.length === 1;
      const match = (i: number, from: number): void => {
        const x = doubles(i);
        const v0 = conform(keyFields[0]!, raw[i]!);
        const ks = single ? undefined : rowKey(i, v0);
        for (let q = from; q < numeric.values.length && numeric.values[q] === x; q++) {
          if (single ? numeric.firsts[q] === v0 : numeric.keys[q] === ks) found(numeric.keys[q]!, i);
        }
      };
      if (ascending(doubles, firstData.length)) {
        const values = numeric.values;
        let p = 0;
        for (let i = 0; i < firstData.length && p < values.length; i++) {
          const x = doubles(i);
          while (p < values.length && values[p]! < x) p++;
          if (p < values.length && values[p] === x) match(i, p);
        }
      } else {
        for (let i = 0; i < firstData.length; i++) {
          const x = doubles(i);
          if (numeric.set.has(x)) match(i, firstAtLeast(numeric.values, x));
        }
      }
    } else {
      const first = arrowDataToValues(keyFields[0]!.type, firstData);
      for (let i = 0; i < batch.numRows; i++) {
        const v0 = conform(keyFields[0]!, first[i]!);
        if (filter && !filter.has(v0)) continue;
        const ks = rowKey(i, v0);
        if (wanted.has(ks)) found(ks, i);
      }
    }
    base += batch.numRows;
  }
  return out;
}

/**
 * The values of an int or long column without nulls as doubles, read from the raw buffer (a long as two
 * 32-bit words: hi·2³² is exact and the sum rounds once, the same double as Number(value)); undefined for
 * other columns or with nulls.
 */
function integerDoubles(data: arrow.Data): ((i: number) => number) | undefined {
  if (data.nullCount > 0) return undefined;
  const values = data.values as unknown;
  if (values instanceof BigInt64Array) {
    const words = new Int32Array(values.buffer, values.byteOffset, data.length * 2);
    return (i) => words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
  }
  if (values instanceof Int32Array) return (i) => values[i]!;
  return undefined;
}

function ascending(doubles: (i: number) => number, n: number): boolean {
  for (let i = 1; i < n; i++) if (doubles(i) < doubles(i - 1)) return false;
  return true;
}

/** Index of the first value ≥ x in ascending `values`. */
function firstAtLeast(values: Float64Array, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function orderAt(ts: arrow.Data, lsn: arrow.Data, i: number, file: string): OrderKey {
  const t = (ts.values as BigInt64Array)[i];
  const l = (lsn.values as BigInt64Array)[i];
  if (typeof t !== 'bigint' || typeof l !== 'bigint' || !ts.getValid(i) || !lsn.getValid(i)) {
    throw new Error(`${file}: row without order columns ${SOURCE_TS_COLUMN}/${LSN_COLUMN}`);
  }
  return { sourceTsMs: Number(t), lsn: BigInt.asUintN(64, l) };
}
