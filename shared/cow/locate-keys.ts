// Where the batch's keys are stored in one data file read as Arrow, from its key and order columns
// alone: for each batch key the file holds, its row number in the file and the order key of the stored
// row. No row objects are built, and rows whose first key value is no batch key are skipped before a key
// string is made. For an integer first key the raw buffer is read as doubles: a record batch sorted by
// it (every file this engine writes) is walked together with the batch's sorted values, others are
// filtered through a set; a double that matches is confirmed on the exact key string.
// A found key is reported under the batch map's own key string, so later lookups by it are cheap.

import type * as arrow from 'apache-arrow';
import type { OrderKey } from '../changes/change-event.js';
import { FIELD_ID_KEY } from '../iceberg/arrow/arrow-schema.js';
import { arrowDataToValues } from '../iceberg/arrow/arrow-rows.js';
import type { NestedField } from '../iceberg/spec/types.js';
import type { IcebergValue } from '../iceberg/spec/values.js';
import { keyString } from './keys.js';
import { LSN_COLUMN, SOURCE_TS_COLUMN } from './order-columns.js';

export interface StoredKey {
  /** Row number in the file (over all its record batches). */
  row: number;
  order: OrderKey;
}

/** The batch's keys, prepared once for every candidate file. */
export interface KeyIndex {
  /** Key string → the key's values. */
  wanted: ReadonlyMap<string, { readonly key: readonly IcebergValue[] }>;
  /**
   * The first key column's values, when all can be set members (byte arrays compare by identity); made
   * on first use, as integer keys mostly go by `numeric` and never need it.
   */
  filter(): ReadonlySet<IcebergValue> | undefined;
  /**
   * When every first key value is an integer: the distinct values as doubles, ascending, and for each
   * double the keys whose first value rounds to it, with that exact value.
   */
  numeric?: {
    values: Float64Array;
    byDouble: ReadonlyMap<number, readonly { k: string; first: IcebergValue }[]>;
  };
}

export function indexKeys(wanted: ReadonlyMap<string, { readonly key: readonly IcebergValue[] }>): KeyIndex {
  let integers = true;
  let bytes = false;
  wanted.forEach(({ key }) => {
    const v = key[0] ?? null;
    if (v instanceof Uint8Array) bytes = true;
    else if (!(typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)))) integers = false;
  });
  let made: Set<IcebergValue> | undefined;
  const filter = (): ReadonlySet<IcebergValue> | undefined => {
    if (bytes) return undefined;
    if (!made) {
      const set = new Set<IcebergValue>();
      wanted.forEach(({ key }) => set.add(key[0] ?? null));
      made = set;
    }
    return made;
  };
  if (bytes || !integers) return { wanted, filter };
  return { wanted, filter, numeric: numericIndex(wanted) };
}

function numericIndex(
  wanted: ReadonlyMap<string, { readonly key: readonly IcebergValue[] }>,
): NonNullable<KeyIndex['numeric']> {
  // a bigint's double may round: the keys of one double are candidates, confirmed on the exact value
  const byDouble = new Map<number, { k: string; first: IcebergValue }[]>();
  wanted.forEach(({ key }, k) => {
    const d = Number(key[0]);
    const at = byDouble.get(d);
    if (at) at.push({ k, first: key[0]! });
    else byDouble.set(d, [{ k, first: key[0]! }]);
  });
  return { values: Float64Array.from(byDouble.keys()).sort(), byDouble };
}

function columnIndex(table: arrow.Table, field: NestedField, file: string): number {
  const i = table.schema.fields.findIndex((f) => f.metadata.get(FIELD_ID_KEY) === String(field.id));
  if (i < 0) throw new Error(`${file}: data file has no column ${field.name} (field id ${field.id})`);
  return i;
}

function optionalColumnIndex(table: arrow.Table, field: NestedField): number {
  return table.schema.fields.findIndex((f) => f.metadata.get(FIELD_ID_KEY) === String(field.id));
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
  /** Rows (numbered over the rows read) to pass over: those a position delete already removed. */
  skip?: (row: number) => boolean,
): Map<string, StoredKey> {
  const out = new Map<string, StoredKey>();
  // a key column other than the first may be missing from a file written before it was added (the
  // event uuid of an insert-only table): null in every row, as a reader sees it
  const keyIdx = keyFields.map((f, k) =>
    k === 0 || f.required ? columnIndex(table, f, file) : optionalColumnIndex(table, f),
  );
  const tsField = orderFields.find((f) => f.name === SOURCE_TS_COLUMN)!;
  const lsnField = orderFields.find((f) => f.name === LSN_COLUMN)!;
  const tsIdx = columnIndex(table, tsField, file);
  const lsnIdx = columnIndex(table, lsnField, file);
  const { wanted, numeric } = index;
  let base = 0;
  const key: IcebergValue[] = new Array<IcebergValue>(keyFields.length);
  for (const batch of table.batches) {
    const firstData = batch.data.children[keyIdx[0]!]!;
    const ts = batch.data.children[tsIdx]!;
    const lsn = batch.data.children[lsnIdx]!;
    const others = keyFields.map((f, k) =>
      k === 0
        ? []
        : keyIdx[k]! < 0
          ? new Array<IcebergValue>(batch.numRows).fill(null)
          : arrowDataToValues(f.type, batch.data.children[keyIdx[k]!]!),
    );
    /** The key string of row i, its first value given. */
    const rowKey = (i: number, v0: IcebergValue): string => {
      key[0] = v0;
      for (let k = 1; k < keyFields.length; k++) key[k] = conform(keyFields[k]!, others[k]![i]!);
      return keyString(key);
    };
    const found = (k: string, i: number): void => {
      if (skip?.(base + i)) return;
      out.set(k, { row: base + i, order: orderAt(ts, lsn, i, file) });
    };
    const rows = numeric ? integerMatches(firstData, numeric) : undefined;
    if (numeric && rows) {
      // candidates: the batch keys whose first value is the row's double; a one-column key is confirmed
      // on its exact value (=== tells apart what its key string does: a bigint from a number, bigints
      // by value), a longer key on the key string
      const raw = firstData.values as BigInt64Array | Int32Array;
      const single = keyFields.length === 1;
      for (const i of rows) {
        const v0 = conform(keyFields[0]!, raw[i]!);
        const ks = single ? undefined : rowKey(i, v0);
        for (const c of numeric.byDouble.get(Number(raw[i]!)) ?? []) {
          if (single ? c.first === v0 : c.k === ks) found(c.k, i);
        }
      }
    } else {
      const first = arrowDataToValues(keyFields[0]!.type, firstData);
      const filter = index.filter();
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
 * Rows of an int or long column without nulls whose value, as a double, is among the index's values,
 * undefined for other columns or with nulls. A
 * long is read as two 32-bit words (hi·2³² is exact and the sum rounds once: the same double as
 * Number(value)), so no bigint is made for rows that cannot match. A batch sorted by the column is
 * walked together with the sorted values; another is looked up in the set of doubles.
 */
function integerMatches(data: arrow.Data, index: NonNullable<KeyIndex['numeric']>): number[] | undefined {
  if (data.nullCount > 0) return undefined;
  const values = data.values as unknown;
  if (values instanceof BigInt64Array) {
    const words = new Int32Array(values.buffer, values.byteOffset, data.length * 2);
    return walkLongs(words, data.length, index.values) ?? lookUpLongs(words, data.length, index);
  }
  if (values instanceof Int32Array) {
    return walkInts(values, data.length, index.values) ?? lookUpInts(values, data.length, index);
  }
  return undefined;
}

// One loop per buffer kind, each in its own small function: called once per record batch, they are
// optimized early and never see another kind of buffer.

function walkLongs(words: Int32Array, n: number, sorted: Float64Array): number[] | undefined {
  const rows: number[] = [];
  let p = 0;
  let previous = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
    if (x < previous) return undefined; // not sorted: look the rows up instead
    previous = x;
    while (p < sorted.length && sorted[p]! < x) p++;
    if (p < sorted.length && sorted[p] === x) rows.push(i);
  }
  return rows;
}

function walkInts(ints: Int32Array, n: number, sorted: Float64Array): number[] | undefined {
  const rows: number[] = [];
  let p = 0;
  let previous = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = ints[i]!;
    if (x < previous) return undefined;
    previous = x;
    while (p < sorted.length && sorted[p]! < x) p++;
    if (p < sorted.length && sorted[p] === x) rows.push(i);
  }
  return rows;
}

function lookUpLongs(words: Int32Array, n: number, index: NonNullable<KeyIndex['numeric']>): number[] {
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
    if (index.byDouble.has(x)) rows.push(i);
  }
  return rows;
}

function lookUpInts(ints: Int32Array, n: number, index: NonNullable<KeyIndex['numeric']>): number[] {
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = ints[i]!;
    if (index.byDouble.has(x)) rows.push(i);
  }
  return rows;
}

function orderAt(ts: arrow.Data, lsn: arrow.Data, i: number, file: string): OrderKey {
  const t = (ts.values as BigInt64Array)[i];
  const l = (lsn.values as BigInt64Array)[i];
  if (typeof t !== 'bigint' || typeof l !== 'bigint' || !ts.getValid(i) || !lsn.getValid(i)) {
    throw new Error(`${file}: row without order columns ${SOURCE_TS_COLUMN}/${LSN_COLUMN}`);
  }
  return { sourceTsMs: Number(t), lsn: BigInt.asUintN(64, l) };
}
