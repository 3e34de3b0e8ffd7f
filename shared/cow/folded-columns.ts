// The rows that keys' changes fold into, built as one array of values per table column straight from the
// change values (merge.ts foldedValue): no row object per change or per key. The order columns hold the
// newest change's order key, as setRowOrder writes it.

import type { ChangeEvent } from '../changes/change-event.js';
import type { NestedField } from '../iceberg/types.js';
import type { IcebergValue, Row } from '../iceberg/values.js';
import { afterLastDelete, foldedValue } from './merge.js';
import { LSN_COLUMN, SOURCE_TS_COLUMN } from './table-properties.js';

/** One key whose applicable changes end in an upsert, and its stored row when a column comes from it. */
export interface FoldedUpsert {
  changes: readonly ChangeEvent[];
  stored?: Row | undefined;
}

/** Per field of `fields` (in order), the folded rows' values. */
export function foldedColumns(
  fields: readonly NestedField[],
  upserts: readonly FoldedUpsert[],
): IcebergValue[][] {
  const from = upserts.map((u) => afterLastDelete(u.changes));
  return fields.map((field): IcebergValue[] => {
    const values = new Array<IcebergValue>(upserts.length);
    if (field.name === SOURCE_TS_COLUMN) {
      upserts.forEach((u, i) => (values[i] = BigInt(u.changes[u.changes.length - 1]!.order.sourceTsMs)));
    } else if (field.name === LSN_COLUMN) {
      upserts.forEach((u, i) => (values[i] = BigInt.asIntN(64, u.changes[u.changes.length - 1]!.order.lsn)));
    } else {
      upserts.forEach((u, i) => (values[i] = foldedValue(u.changes, from[i]!, field.name, u.stored)));
    }
    return values;
  });
}
