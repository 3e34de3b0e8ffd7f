// Merge-on-read of one data file: the stored rows holding a changed key are removed by a v2 position
// delete file naming that data file only (file-scoped), and their new versions are handed back to be
// written with the inserts, sorted by key. The data file itself is neither read whole nor rewritten:
//   - where the batch keys are stored comes from the key and order columns alone (a projected read of
//     the row groups whose key statistics admit a batch key), rows an earlier position delete removed
//     passed over: after merge-on-read commits a key's older versions stay in their files, deleted;
//   - a partial update needs the stored row's other columns: only the row groups holding such rows are
//     read whole;
//   - on a file read by range (shared/iceberg/ranged-parquet.ts) only those bytes are fetched: the
//     footer, the key and order column chunks of the admitted row groups, the row groups of partial
//     updates;
//   - when the file's rows would all be deleted, the file (and its delete files) is removed instead.
//
// The "key index" is this lookup, rebuilt on every commit from the files: no sidecar index of key →
// (file, position) is kept, so there is nothing to keep consistent with the table across commits,
// retries, compaction or expiry. Its cost is one ranged read of the footer and of the key and order
// column chunks of every candidate file's admitted row groups per commit (README.md, Merge-on-read).

import type * as arrow from 'apache-arrow';
import type { ChangeEvent } from '../changes/change-event.js';
import { arrowTableToRows } from '../iceberg/arrow/arrow-rows.js';
import { writePositionDeletes } from '../iceberg/data-file-writer.js';
import { readArrowDataFile, type DataFile } from '../iceberg/io/parquet-data-file.js';
import { columnSubset } from '../iceberg/io/parquet-column-subset.js';
import { spliceableLayout, type ParquetLayout } from '../iceberg/io/parquet-splice.js';
import { rangedColumnSubset, rangedRowGroups, type RangedParquet } from '../iceberg/ranged-parquet.js';
import type { DeletedPositions } from '../iceberg/manifests/position-delete-index.js';
import type { LiveDataFile } from '../iceberg/table-files.js';
import type { NestedField } from '../iceberg/spec/types.js';
import type { IcebergValue, Row } from '../iceberg/spec/values.js';
import { columnarCompatible, rowsAt } from './columnar-rewrite.js';
import { conformRow } from './conform.js';
import { lacksAnyColumn, type FoldedUpsert } from './folded-columns.js';
import { locateKeys, type KeyIndex, type StoredKey } from './locate-keys.js';
import { foldedOutcome, needsStoredRow } from './merge.js';
import type { RewriteContext } from './rewrite-file.js';
import type { PrunedGroups } from './row-group-pruning.js';
import { lastStartAtOrBefore } from '../util/sorted-search.js';

/** A stored row with applicable changes, by its position in the data file. */
export interface PositionEdit {
  position: number;
  k: string;
  key: IcebergValue[];
  changes: readonly ChangeEvent[];
}

/** A new row version to write with the inserts: the key, its changes and (partial update) stored row. */
export interface NewVersion extends FoldedUpsert {
  key: IcebergValue[];
}

export interface MergedOnRead {
  /** The position delete file written for the data file; undefined when the data file is removed. */
  deleteFile?: DataFile;
  /** Every row of the data file is now deleted: remove it and its delete files instead. */
  removeDataFile: boolean;
  versions: NewVersion[];
  updated: number;
  deleted: number;
}

/** Maps a row number over the rows read (the groups of `pruned`, or all) to its position in the file. */
export function filePositions(pruned: PrunedGroups | undefined): (row: number) => number {
  if (!pruned) return (row) => row;
  const starts: number[] = []; // first row read of each group read
  const firstRows: number[] = [];
  let at = 0;
  for (const g of pruned.groups) {
    const group = pruned.layout.groups[g]!;
    starts.push(at);
    firstRows.push(group.firstRow);
    at += group.rows;
  }
  return (row) => {
    const at = lastStartAtOrBefore(starts, row);
    return firstRows[at]! + row - starts[at]!;
  };
}

/**
 * The live batch keys of one data file, by file position: a read of the key and order columns of the
 * row groups `pruned` names (all without it), rows in `deleted` passed over.
 */
export function locateLiveKeys(
  bytes: Uint8Array,
  path: string,
  keyFields: readonly NestedField[],
  orderFields: readonly NestedField[],
  index: KeyIndex,
  pruned: PrunedGroups | undefined,
  deleted: DeletedPositions | undefined,
): Map<string, StoredKey> {
  const fields = [...keyFields, ...orderFields];
  // a file of just those columns' chunks (parquet-column-subset.ts); parquet-wasm's own projection
  // costs most of a whole-file read
  const subset = columnSubset(
    bytes,
    path,
    fields.map((f) => f.id),
    pruned?.groups,
  );
  const table: arrow.Table = subset
    ? readArrowDataFile(subset, fields, path)
    : readArrowDataFile(bytes, fields, path, pruned?.groups);
  return liveKeysIn(table, path, keyFields, orderFields, index, pruned, deleted);
}

/**
 * locateLiveKeys of a data file read by range: only its footer and the key and order column chunks of
 * the row groups `pruned` names are read (the whole file when the column subset cannot be made).
 */
export async function locateLiveKeysByRange(
  parquet: RangedParquet,
  keyFields: readonly NestedField[],
  orderFields: readonly NestedField[],
  index: KeyIndex,
  pruned: PrunedGroups | undefined,
  deleted: DeletedPositions | undefined,
): Promise<Map<string, StoredKey>> {
  const fields = [...keyFields, ...orderFields];
  const subset = await rangedColumnSubset(
    parquet,
    fields.map((f) => f.id),
    pruned?.groups,
  );
  if (!subset) {
    const bytes = await parquet.store.get(parquet.file);
    return locateLiveKeys(bytes, parquet.file, keyFields, orderFields, index, pruned, deleted);
  }
  const table = readArrowDataFile(subset, fields, parquet.file);
  return liveKeysIn(table, parquet.file, keyFields, orderFields, index, pruned, deleted);
}

/** The live batch keys in the key and order columns read (`pruned`'s groups, or all), by file position. */
function liveKeysIn(
  table: arrow.Table,
  path: string,
  keyFields: readonly NestedField[],
  orderFields: readonly NestedField[],
  index: KeyIndex,
  pruned: PrunedGroups | undefined,
  deleted: DeletedPositions | undefined,
): Map<string, StoredKey> {
  const position = filePositions(pruned);
  const skip = deleted && deleted.size > 0 ? (row: number) => deleted.has(position(row)) : undefined;
  const found = locateKeys(table, keyFields, orderFields, index, path, skip);
  if (pruned) found.forEach((at) => (at.row = position(at.row)));
  return found;
}

/**
 * The stored rows at `positions` (ascending) of a data file, under the current schema: only the row
 * groups holding one are read (all of the file when its layout cannot tell them apart).
 */
export function storedRowsAt(
  ctx: Pick<RewriteContext, 'schema' | 'longs'>,
  bytes: Uint8Array,
  path: string,
  positions: readonly number[],
): Row[] {
  if (positions.length === 0) return [];
  const { groups, rowsRead } = groupsHolding(spliceableLayout(bytes, path), positions);
  return rowsOf(ctx, readArrowDataFile(bytes, ctx.schema.fields, path, groups), rowsRead);
}

/**
 * storedRowsAt of a data file read by range: only the row groups holding one of `positions` are read
 * (the whole file when its layout cannot tell them apart).
 */
export async function storedRowsAtByRange(
  ctx: Pick<RewriteContext, 'schema' | 'longs'>,
  parquet: RangedParquet,
  positions: readonly number[],
): Promise<Row[]> {
  if (positions.length === 0) return [];
  const { groups, rowsRead } = groupsHolding(parquet.layout, positions);
  const spliced = groups ? await rangedRowGroups(parquet, groups) : undefined;
  if (!spliced) return storedRowsAt(ctx, await parquet.store.get(parquet.file), parquet.file, positions);
  return rowsOf(ctx, readArrowDataFile(spliced, ctx.schema.fields, parquet.file), rowsRead);
}

/**
 * The row groups holding `positions` (ascending; undefined: all of the file) and the positions
 * renumbered over the rows of those groups.
 */
function groupsHolding(
  layout: ParquetLayout | undefined,
  positions: readonly number[],
): { groups: number[] | undefined; rowsRead: number[] } {
  if (!layout || layout.groups.length < 2) return { groups: undefined, rowsRead: [...positions] };
  const groups: number[] = [];
  const starts: number[] = [];
  let at = 0;
  let p = 0;
  layout.groups.forEach((group, g) => {
    const end = group.firstRow + group.rows;
    if (p < positions.length && positions[p]! < end) {
      groups.push(g);
      starts.push(at);
      at += group.rows;
    }
    while (p < positions.length && positions[p]! < end) p++;
  });
  const rowsRead = positions.map((pos) => {
    const g = layout.groups.findIndex((group) => pos < group.firstRow + group.rows);
    return starts[groups.indexOf(g)]! + pos - layout.groups[g]!.firstRow;
  });
  return { groups, rowsRead };
}

/** The rows at `rowsRead` of a table read, under the current schema. */
function rowsOf(
  ctx: Pick<RewriteContext, 'schema' | 'longs'>,
  table: arrow.Table,
  rowsRead: number[],
): Row[] {
  const rows = columnarCompatible(table, ctx.schema)
    ? rowsAt(table, ctx.schema, rowsRead)
    : (() => {
        // a file predating a schema change: row values fill the columns it lacks
        const all = arrowTableToRows(table, ctx.schema.fields);
        return rowsRead.map((r) => all[r]!);
      })();
  return rows.map((row) => conformRow(row, ctx.longs));
}

/**
 * Merge-on-read of one data file's edits (`edits` ascending by position, non-empty): the outcomes are
 * recorded (tombstones), the new versions returned, and the position delete file written.
 */
export async function mergeOnRead(
  ctx: RewriteContext,
  file: LiveDataFile,
  source: Uint8Array | RangedParquet,
  edits: readonly PositionEdit[],
  alreadyDeleted: number,
): Promise<MergedOnRead> {
  const path = file.dataFile.filePath;
  const lacks = lacksAnyColumn(ctx.dataColumns);
  const partial: number[] = [];
  edits.forEach((edit, j) => {
    const changes = edit.changes;
    const one = changes.length === 1 ? changes[0]! : undefined;
    if (one ? one.op !== 'delete' && lacks(one.row) : needsStoredRow(changes, ctx.dataColumns))
      partial.push(j);
  });
  const stored = new Map<number, Row>();
  const positions = partial.map((j) => edits[j]!.position);
  const storedRows =
    source instanceof Uint8Array
      ? storedRowsAt(ctx, source, path, positions)
      : await storedRowsAtByRange(ctx, source, positions);
  partial.forEach((j, i) => stored.set(j, storedRows[i]!));

  const versions: NewVersion[] = [];
  let deleted = 0;
  edits.forEach((edit, j) => {
    const outcome = foldedOutcome(edit.changes);
    ctx.record(edit.k, outcome, edit.key);
    if (outcome.kind === 'delete') deleted++;
    else versions.push({ key: edit.key, changes: edit.changes, stored: stored.get(j) });
  });
  const removeDataFile = alreadyDeleted + edits.length >= file.dataFile.recordCount;
  const result: MergedOnRead = { removeDataFile, versions, updated: versions.length, deleted };
  if (!removeDataFile) {
    result.deleteFile = await writePositionDeletes(ctx.metadata, ctx.store, {
      dataFilePath: path,
      partition: file.dataFile.partition,
      positions: edits.map((e) => e.position),
    });
  }
  return result;
}
