// The rows that keys' changes fold into, built as one array of values per table column straight from the
// change values (merge.ts foldedValue): no row object per change or per key. The order columns hold the
// newest change's order key, as setRowOrder writes it.

import type { ChangeEvent } from '../changes/change-event.js';
import type { NestedField } from '../iceberg/spec/types.js';
import type { IcebergValue, Row } from '../iceberg/spec/values.js';
import { afterLastDelete, foldedValue } from './merge.js';
import { LSN_COLUMN, SOURCE_TS_COLUMN } from './order-columns.js';

/** One key whose applicable changes end in an upsert, and its stored row when a column comes from it. */
export interface FoldedUpsert {
  changes: readonly ChangeEvent[];
  stored?: Row | undefined;
}

/** A folded column: values, or for the order columns their 64-bit integers (read back as bigints). */
export type FoldedColumn = IcebergValue[] | BigInt64Array;

/** Per field of `fields` (in order), the folded rows' values. */
export function foldedColumns(
  fields: readonly NestedField[],
  upserts: readonly FoldedUpsert[],
): FoldedColumn[] {
  const columns: FoldedColumn[] = [];
  const data: number[] = [];
  const dataColumns: IcebergValue[][] = [];
  fields.forEach((field, k) => {
    if (field.name === SOURCE_TS_COLUMN) columns.push(sourceTimestamps(upserts));
    else if (field.name === LSN_COLUMN) columns.push(lsns(upserts));
    else {
      const values = new Array<IcebergValue>(upserts.length);
      columns.push(values);
      data.push(k);
      dataColumns.push(values);
    }
  });
  const names = data.map((k) => fields[k]!.name);
  const copy = rowCopier(names);
  upserts.forEach((u, i) => {
    const changes = u.changes;
    // The common case, one upsert and no delete: its values, and for the columns it lacks the stored
    // row's (or null); copied with constant property names (see rowCopier).
    if (changes.length === 1 && changes[0]!.op !== 'delete') {
      if (copy(changes[0]!.row, dataColumns, i) === 0) return;
      names.forEach((name, j) => {
        if (dataColumns[j]![i] === undefined) dataColumns[j]![i] = u.stored ? (u.stored[name] ?? null) : null;
      });
      return;
    }
    const from = afterLastDelete(changes);
    names.forEach((name, j) => (dataColumns[j]![i] = foldedValue(changes, from, name, u.stored)));
  });
  return columns;
}

// The order columns are written as 64-bit integers straight into a typed array: a bigint made per row
// (BigInt(ms), BigInt.asIntN(64, lsn)) was a visible share of a fold (README.md, Measured).

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The newest change's source ms per upsert, as longs (two 32-bit words each, no bigint per row). */
function sourceTimestamps(upserts: readonly FoldedUpsert[]): BigInt64Array {
  const out = new BigInt64Array(upserts.length);
  if (!LITTLE_ENDIAN) {
    upserts.forEach((u, i) => (out[i] = BigInt(u.changes[u.changes.length - 1]!.order.sourceTsMs)));
    return out;
  }
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < upserts.length; i++) {
    const changes = upserts[i]!.changes;
    const ms = changes[changes.length - 1]!.order.sourceTsMs; // a safe integer
    const hi = Math.floor(ms / 4294967296);
    words[2 * i] = ms - hi * 4294967296; // the low word's bits (ToInt32 wraps it)
    words[2 * i + 1] = hi;
  }
  return out;
}

/** The newest change's LSN per upsert, as the two's-complement bits of a long (the array wraps). */
function lsns(upserts: readonly FoldedUpsert[]): BigInt64Array {
  const out = new BigInt64Array(upserts.length);
  for (let i = 0; i < upserts.length; i++) {
    const changes = upserts[i]!.changes;
    out[i] = changes[changes.length - 1]!.order.lsn;
  }
  return out;
}

type RowCopier = (row: Row, columns: IcebergValue[][], index: number) => number;

const copiers = new Map<string, RowCopier>();

/**
 * A function copying a row's values of the given columns into `columns[j][index]`, absent ones as
 * undefined, returning how many were absent. Generated per column list so each property is read by a
 * constant name (monomorphic): a loop over names made the reads megamorphic, a large share of folding
 * (README.md, Measured). Names enter the code only as JSON string literals.
 */
function rowCopier(names: readonly string[]): RowCopier {
  const key = JSON.stringify(names);
  let copier = copiers.get(key);
  if (!copier) {
    const body = names
      .map(
        (name, j) =>
          `v = row[${JSON.stringify(name)}]; columns[${j}][index] = v; if (v === undefined) absent++;`,
      )
      .join('\n  ');
    copier = new Function(
      'row',
      'columns',
      'index',
      `let v; let absent = 0;\n  ${body}\n  return absent;`,
    ) as RowCopier;
    copiers.set(key, copier);
  }
  return copier;
}

const absenceCheckers = new Map<string, (row: Row) => boolean>();

/**
 * A function telling whether a row lacks any of the given columns (some value undefined), generated per
 * column list for constant-name property reads, as rowCopier is: needsStoredRow's loop over names
 * showed in a commit's profile (README.md, Measured).
 */
export function lacksAnyColumn(names: readonly string[]): (row: Row) => boolean {
  const key = JSON.stringify(names);
  let check = absenceCheckers.get(key);
  if (!check) {
    const test = names.map((name) => `row[${JSON.stringify(name)}] === undefined`).join(' || ');
    check = new Function('row', `return ${test || 'false'};`) as (row: Row) => boolean;
    absenceCheckers.set(key, check);
  }
  return check;
}
