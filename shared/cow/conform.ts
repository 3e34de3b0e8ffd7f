// Values read from files written before a type widening (int→long) come back in the old form (a number
// where the table now holds a bigint), and so do changes staged before it. Both are brought to the
// table's current types before keys are compared and rows written.

import type { NestedField } from '../iceberg/spec/types.js';
import type { IcebergValue, Row } from '../iceberg/spec/values.js';

function conformValue(field: NestedField, value: IcebergValue): IcebergValue {
  if (field.type === 'long' && typeof value === 'number') return BigInt(value);
  return value;
}

/** The fields whose values may need conforming (widened to long); empty when nothing can. */
export function widenedFields(fields: readonly NestedField[]): NestedField[] {
  return fields.filter((f) => f.type === 'long');
}

/**
 * Whether an event holds a number where the table has a long: in its row (`fields`, the long columns)
 * or its key (`keyFields`, in primary-key order).
 */
export function needsConforming(
  event: { row: Row; key: readonly IcebergValue[] },
  fields: readonly NestedField[],
  keyFields: readonly NestedField[],
): boolean {
  // indexed loops: this runs for every event of every commit of a table with a long column
  const row = event.row;
  for (let i = 0; i < fields.length; i++) if (typeof row[fields[i]!.name] === 'number') return true;
  for (let i = 0; i < keyFields.length; i++) {
    if (keyFields[i]!.type === 'long' && typeof event.key[i] === 'number') return true;
  }
  return false;
}

/** Conform a row in place; absent columns stay absent. */
export function conformRow(row: Row, fields: readonly NestedField[]): Row {
  for (const f of fields) {
    const v = row[f.name];
    if (v !== undefined) row[f.name] = conformValue(f, v);
  }
  return row;
}

/** Conform key values (in primary-key order). */
export function conformKey(key: IcebergValue[], keyFields: readonly NestedField[]): IcebergValue[] {
  return key.map((v, i) => conformValue(keyFields[i]!, v));
}
