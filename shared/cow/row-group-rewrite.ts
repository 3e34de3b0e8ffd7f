// A column-wise rewrite that encodes again only the row groups holding an edited row: each such group's
// rows (after the edits) are encoded on their own, and the new file is spliced from them and the
// original file's other row groups, copied as bytes (parquet-splice.ts). Rows keep their order, so a
// file sorted by key stays sorted, and the result holds exactly the rows a whole-file rewrite would.

import * as arrow from 'apache-arrow';
import {
  arrowToParquetBytes,
  describeDataFile,
  describeDataFileFromFooter,
  type WriteOptions,
  type WrittenDataFile,
} from '../iceberg/io/parquet-data-file.js';
import {
  parquetLayout,
  SpliceRefused,
  spliceableLayout,
  spliceRowGroups,
  type ParquetLayout,
  type SplicedGroup,
} from '../iceberg/io/parquet-splice.js';
import type { Schema } from '../iceberg/spec/types.js';
import type { RowEdit } from './columnar-rewrite.js';
import type { PrunedGroups } from './row-group-pruning.js';

export interface RowGroupRewrite {
  written: WrittenDataFile;
  /** Row groups copied as bytes and row groups encoded again. */
  copiedGroups: number;
  encodedGroups: number;
}

/**
 * `out` is the rows read from the original file with `edits` applied (spliceRows), edits ascending by
 * row. The rows read are the whole file, or only the row groups `read.groups` (ascending, of the layout
 * `read.layout`), in order: the others are copied without having been read. Returns undefined when splicing would not pay (every row
 * group holds an edit) or cannot be done (the original has a layout the splice refuses, or another Parquet
 * schema; or, when not every row was read, a column whose bounds the footer's statistics cannot give):
 * the caller then reads and encodes the whole file.
 */
export function rewriteRowGroups(
  original: Uint8Array,
  file: string,
  out: arrow.RecordBatch | undefined,
  edits: readonly RowEdit[],
  schema: Schema,
  options: WriteOptions = {},
  read?: PrunedGroups,
): RowGroupRewrite | undefined {
  // the layout the pruned read decoded, or the original's
  const layout = read?.layout ?? spliceableLayout(original, file);
  if (!layout) return undefined;
  const plan = planGroups(layout, edits, read?.groups);
  if (plan.every((p) => p.edited) || plan.length < 2) return undefined;

  const groups: SplicedGroup[] = [];
  let footerFrom: ParquetLayout | undefined;
  let encodedGroups = 0;
  for (const p of plan) {
    if (!p.edited) {
      groups.push({ bytes: original, layout, group: p.group });
      continue;
    }
    if (p.outRows === 0 || !out) continue; // every row of the group was deleted
    const rowsOfGroup = new arrow.Table([out.slice(p.outStart, p.outStart + p.outRows)]);
    const bytes = arrowToParquetBytes(rowsOfGroup, schema, options);
    const encoded = parquetLayout(bytes);
    footerFrom = encoded;
    encodedGroups += encoded.groups.length;
    for (const group of encoded.groups) groups.push({ bytes, layout: encoded, group });
  }
  if (!footerFrom) return undefined; // only deletes emptied the edited groups: no fresh footer to use
  let bytes: Uint8Array;
  try {
    bytes = spliceRowGroups(groups, footerFrom);
  } catch (error) {
    if (error instanceof SpliceRefused) return undefined;
    throw error;
  }
  const written = read
    ? describeDataFileFromFooter(bytes, schema)
    : describeDataFile(bytes, new arrow.Table(out ? [out] : []), schema);
  if (!written) return undefined;
  return { written, copiedGroups: plan.length - plan.filter((p) => p.edited).length, encodedGroups };
}

interface GroupPlan {
  group: ParquetLayout['groups'][number];
  edited: boolean;
  /** The group's rows in `out` (for a group that was read): deleted rows before it shift it up. */
  outStart: number;
  outRows: number;
}

/** Edit rows count over the rows read: the whole file, or the groups `readGroups` one after another. */
function planGroups(
  layout: ParquetLayout,
  edits: readonly RowEdit[],
  readGroups: readonly number[] | undefined,
): GroupPlan[] {
  const read = readGroups ? new Set(readGroups) : undefined;
  const plan: GroupPlan[] = [];
  let e = 0;
  let readRow = 0; // first row of the next group read, among the rows read
  let deletedBefore = 0;
  layout.groups.forEach((group, g) => {
    if (read && !read.has(g)) {
      plan.push({ group, edited: false, outStart: -1, outRows: group.rows });
      return;
    }
    const end = readRow + group.rows;
    let editsIn = 0;
    let deletesIn = 0;
    while (e < edits.length && edits[e]!.row < end) {
      editsIn++;
      if (edits[e]!.replacement === undefined) deletesIn++;
      e++;
    }
    plan.push({
      group,
      edited: editsIn > 0,
      outStart: readRow - deletedBefore,
      outRows: group.rows - deletesIn,
    });
    deletedBefore += deletesIn;
    readRow = end;
  });
  if (e !== edits.length) throw new Error(`an edit names row ${edits[e]!.row}, past the rows read`);
  return plan;
}
