// Which row groups of a candidate data file may hold one of the batch's keys, from the min/max statistics
// of the first key column in the file's footer: a rewrite then reads only those groups, and the others are
// copied as bytes (row-group-rewrite.ts). Changes to the newest keys of a table sorted by key touch one
// group of its newest file, so the rest of that file is neither decoded nor encoded.

import { footerFacts } from '../iceberg/io/parquet-footer.js';
import { spliceableLayout, type ParquetLayout } from '../iceberg/io/parquet-splice.js';
import { fromSingleValueBytes } from '../iceberg/spec/single-value.js';
import { columnBounds } from '../iceberg/io/statistics-bounds.js';
import type { NestedField } from '../iceberg/spec/types.js';
import type { IcebergValue } from '../iceberg/spec/values.js';
import { someWithin } from './candidate-files.js';

export interface PrunedGroups {
  layout: ParquetLayout;
  /** Indexes of the row groups to read, ascending. */
  groups: number[];
}

/**
 * The row groups that may hold a key whose first value is among `sortedFirstKeys` (candidate-files.ts
 * sortedValues order); undefined when every group must be read (too few groups, no usable statistics, a
 * layout the splice refuses) or none may be left out.
 */
export function groupsHoldingKeys(
  bytes: Uint8Array,
  file: string,
  firstKeyField: NestedField,
  sortedFirstKeys: ArrayLike<IcebergValue>,
): PrunedGroups | undefined {
  return groupsOfLayoutHoldingKeys(spliceableLayout(bytes, file), firstKeyField, sortedFirstKeys);
}

/** groupsHoldingKeys from a file's layout (read whole or by range: shared/iceberg/ranged-parquet.ts). */
export function groupsOfLayoutHoldingKeys(
  layout: ParquetLayout | undefined,
  firstKeyField: NestedField,
  sortedFirstKeys: ArrayLike<IcebergValue>,
): PrunedGroups | undefined {
  if (!layout || layout.groups.length < 2 || typeof firstKeyField.type !== 'string') return undefined;
  const leaf = footerFacts(layout.footer).leaves.findIndex(
    (l) => l.fieldId === firstKeyField.id && l.path.length === 1,
  );
  if (leaf < 0) return undefined;
  const groups: number[] = [];
  layout.groups.forEach((group, g) => {
    const bounds = columnBounds(firstKeyField.type, [group.metadata], leaf);
    if (!bounds) {
      groups.push(g); // statistics that cannot tell: read it
      return;
    }
    if (!bounds.lower && !bounds.upper) return; // only nulls: no key (key columns are never null)
    const type = firstKeyField.type;
    const lower = bounds.lower ? fromSingleValueBytes(type, bounds.lower) : undefined;
    const upper = bounds.upper ? fromSingleValueBytes(type, bounds.upper) : undefined;
    if (someWithin(sortedFirstKeys, lower, upper)) groups.push(g);
  });
  return groups.length < layout.groups.length ? { layout, groups } : undefined;
}
