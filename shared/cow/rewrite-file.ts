// Rewrite one data file with the changes of the keys it holds: each changed row is folded with its
// applicable changes (an update, possibly partial, or a delete), every other row is kept as it is, in its
// order. Column-wise when the file has the table's current columns (see columnar-rewrite.ts); through row
// values when it predates a schema change (missing or narrower columns) or has list/map columns, and when
// an update moves a row to another partition (the rows are then partitioned again).

import * as arrow from 'apache-arrow';
import type { ChangeEvent } from '../changes/change-event.js';
import { arrowTableToRows, columnsToArrowTable } from '../iceberg/arrow/arrow-rows.js';
import type { TableMetadata } from '../iceberg/spec/metadata-types.js';
import type { DataFile } from '../iceberg/io/parquet-data-file.js';
import type { BoundPartitionSpec } from '../iceberg/spec/partitioning.js';
import {
  putWrittenDataFile,
  tableWriteOptions,
  writeArrowAsDataFile,
  writeDataFiles,
} from '../iceberg/data-file-writer.js';
import { type FileStore } from '../iceberg/file-store.js';
import { type LiveDataFile } from '../iceberg/table-files.js';
import type { NestedField, Schema } from '../iceberg/spec/types.js';
import { newRow, type IcebergValue, type Row } from '../iceberg/spec/values.js';
import { columnarCompatible, rowsAt, spliceRows, type RowEdit } from './columnar-rewrite.js';
import { conformRow } from './conform.js';
import { foldedColumns, lacksAnyColumn, type FoldedColumn, type FoldedUpsert } from './folded-columns.js';
import { foldChanges, foldedOutcome, needsStoredRow, type KeyOutcome } from './merge.js';
import type { PrunedGroups } from './row-group-pruning.js';
import { rewriteRowGroups } from './row-group-rewrite.js';

/** A stored row with applicable changes: its row number in the file, its key and the changes. */
export interface FileEdit {
  row: number;
  k: string;
  key: IcebergValue[];
  changes: readonly ChangeEvent[];
  /**
   * A row a position delete file already removed (merge-on-read): left out of the new file, with no
   * change of its own (`changes` empty), so it is neither counted nor recorded.
   */
  drop?: true;
}

/** A row removed by an existing position delete, as an edit of a copy-on-write rewrite. */
export function dropEdit(row: number): FileEdit {
  return { row, k: '', key: [], changes: [], drop: true };
}

/** Record the outcome of every edit that changed a key (drops have none). */
function recordOutcomes(
  ctx: RewriteContext,
  edits: readonly FileEdit[],
  outcomes: readonly (Pick<KeyOutcome, 'kind' | 'order'> | undefined)[],
): void {
  edits.forEach((edit, j) => {
    const outcome = outcomes[j];
    if (outcome) ctx.record(edit.k, outcome, edit.key);
  });
}

export interface RewriteContext {
  metadata: TableMetadata;
  store: FileStore;
  schema: Schema;
  spec: BoundPartitionSpec;
  /** Columns whose values may need widening to long (conform.ts). */
  longs: readonly NestedField[];
  /** The table's data columns (order columns excluded). */
  dataColumns: readonly string[];
  /** Rows per written file. */
  perFile: number;
  /** Called with the outcome of every changed key (tombstones). */
  record(k: string, outcome: Pick<KeyOutcome, 'kind' | 'order'>, key: IcebergValue[]): void;
}

export interface RewrittenFile {
  /** The new files; settles once they are encoded and stored. */
  added: Promise<DataFile[]>;
  updated: number;
  deleted: number;
  /** Whether the file went through row values. */
  byRows: boolean;
  /** Row groups copied as bytes from the original file (row-group-rewrite.ts), not encoded again. */
  copiedRowGroups: number;
}

/**
 * `table` is the file read as Arrow under the current schema, from the file's `bytes`: all of it, or only
 * the row groups `pruned` names (row-group-pruning.ts), one after another; `edits` ascend by row among the
 * rows read. Returns undefined when only some groups were read and the file cannot be spliced from them
 * (the caller then reads the whole file and calls again).
 */
export async function rewriteFile(
  ctx: RewriteContext,
  file: LiveDataFile,
  bytes: Uint8Array,
  table: arrow.Table,
  edits: readonly FileEdit[],
  pruned?: PrunedGroups,
): Promise<RewrittenFile | undefined> {
  const partition = file.dataFile.partition;
  if (columnarCompatible(table, ctx.schema)) {
    const folded = foldToColumns(ctx, table, edits);
    if (staysInPartition(ctx.spec, partition, folded)) {
      const out = spliceRows(table, ctx.schema, folded.rowEdits, folded.replacements);
      const rowsLeft = file.dataFile.recordCount - table.numRows + (out?.numRows ?? 0);
      // Only the row groups holding an edit are encoded again when the result stays one file.
      if (rowsLeft <= ctx.perFile) {
        const path = file.dataFile.filePath;
        const options = tableWriteOptions(ctx.metadata);
        const spliced = rewriteRowGroups(bytes, path, out, folded.rowEdits, ctx.schema, options, pruned);
        if (spliced) {
          recordOutcomes(ctx, edits, folded.outcomes);
          const added = putWrittenDataFile(ctx.metadata, ctx.store, spliced.written, partition);
          return {
            added: added.then((f) => [f]),
            ...folded.counts,
            byRows: false,
            copiedRowGroups: spliced.copiedGroups,
          };
        }
      }
      if (pruned) return undefined;
      recordOutcomes(ctx, edits, folded.outcomes);
      return { added: writeParts(ctx, out, partition), ...folded.counts, byRows: false, copiedRowGroups: 0 };
    }
  }
  if (pruned) return undefined;
  return rewriteByRows(ctx, table, edits);
}

/**
 * The edits folded column by column (merge.ts foldedValue): the replacement rows as one Arrow batch built
 * straight from the change values, the stored row read only for a key whose changes leave a column to it
 * (a partial update).
 */
function foldToColumns(
  ctx: RewriteContext,
  table: arrow.Table,
  edits: readonly FileEdit[],
): {
  /** Per edit; undefined for a drop. */
  outcomes: (Pick<KeyOutcome, 'kind' | 'order'> | undefined)[];
  rowEdits: RowEdit[];
  replacements: arrow.RecordBatch | undefined;
  /** Per schema field, the replacement rows' values. */
  columns: FoldedColumn[];
  counts: { updated: number; deleted: number };
} {
  const partial: number[] = [];
  const lacks = lacksAnyColumn(ctx.dataColumns);
  edits.forEach((edit, j) => {
    if (edit.drop) return;
    const changes = edit.changes;
    // one upsert (the common case) needs the stored row exactly when it lacks a column
    const one = changes.length === 1 ? changes[0]! : undefined;
    if (one ? one.op !== 'delete' && lacks(one.row) : needsStoredRow(changes, ctx.dataColumns))
      partial.push(j);
  });
  const storedRows = rowsAt(
    table,
    ctx.schema,
    partial.map((j) => edits[j]!.row),
  );
  const stored = new Map<number, Row>();
  partial.forEach((j, i) => stored.set(j, conformRow(storedRows[i]!, ctx.longs)));

  const outcomes = edits.map((edit) => (edit.drop ? undefined : foldedOutcome(edit.changes)));
  const upserts: FoldedUpsert[] = [];
  let deleted = 0;
  const rowEdits = edits.map((edit, j): RowEdit => {
    const outcome = outcomes[j];
    if (outcome?.kind === 'delete') deleted++;
    if (!outcome || outcome.kind === 'delete') return { row: edit.row };
    upserts.push({ changes: edit.changes, stored: stored.get(j) });
    return { row: edit.row, replacement: upserts.length - 1 };
  });
  const columns = foldedColumns(ctx.schema.fields, upserts);
  const replacements =
    upserts.length > 0 ? columnsToArrowTable(ctx.schema, columns, upserts.length).batches[0] : undefined;
  return {
    outcomes,
    rowEdits,
    replacements,
    columns,
    counts: { updated: upserts.length, deleted },
  };
}

/** The rewritten rows as files of at most `perFile` rows. */
async function writeParts(
  ctx: RewriteContext,
  out: arrow.RecordBatch | undefined,
  partition: DataFile['partition'],
): Promise<DataFile[]> {
  const parts: arrow.Table[] = [];
  for (let start = 0; out && start < out.numRows; start += ctx.perFile) {
    parts.push(new arrow.Table([out.slice(start, Math.min(out.numRows, start + ctx.perFile))]));
  }
  const files: DataFile[] = [];
  for (const part of parts) files.push(await writeArrowAsDataFile(ctx.metadata, ctx.store, part, partition));
  return files;
}

/**
 * Through row values: a file predating a schema change (values filled and widened), with list/map
 * columns, or whose update moves a row to another partition (the rows are partitioned again).
 */
async function rewriteByRows(
  ctx: RewriteContext,
  table: arrow.Table,
  edits: readonly FileEdit[],
): Promise<RewrittenFile> {
  const all = arrowTableToRows(table, ctx.schema.fields);
  const replacements = new Map<number, Row | undefined>();
  let deleted = 0;
  for (const edit of edits) {
    if (edit.drop) {
      replacements.set(edit.row, undefined);
      continue;
    }
    const outcome = foldChanges(conformRow(all[edit.row]!, ctx.longs), edit.changes, ctx.dataColumns);
    ctx.record(edit.k, outcome, edit.key);
    if (outcome.kind === 'delete') deleted++;
    replacements.set(edit.row, outcome.kind === 'upsert' ? outcome.row : undefined);
  }
  const kept: Row[] = [];
  for (let i = 0; i < all.length; i++) {
    if (!replacements.has(i)) kept.push(conformRow(all[i]!, ctx.longs));
    else {
      const row = replacements.get(i);
      if (row) kept.push(row);
    }
  }
  const added =
    kept.length > 0
      ? await writeDataFiles(ctx.metadata, ctx.store, kept, { maxRowsPerFile: ctx.perFile })
      : [];
  return {
    added: Promise.resolve(added),
    updated: edits.filter((e) => !e.drop).length - deleted,
    deleted,
    byRows: true,
    copiedRowGroups: 0,
  };
}

/**
 * Whether rewritten rows stay in their file's partition: the file is laid out by the default spec (the
 * same partition fields) and no replacement row moved to another partition value.
 */
function staysInPartition(
  spec: BoundPartitionSpec,
  partition: DataFile['partition'],
  folded: { columns: readonly FoldedColumn[]; counts: { updated: number } },
): boolean {
  const names = spec.fields.map((f) => f.field.name);
  const have = Object.keys(partition);
  if (have.length !== names.length || !names.every((n) => have.includes(n))) return false;
  if (names.length === 0) return true;
  const key = spec.keyOf(partition);
  // a partition source is a top-level column or a path into a struct column: its top-level column
  const sources = new Set(spec.fields.map((f) => f.sourceName.split('.')[0]!));
  const fields = spec.schema.fields;
  for (let i = 0; i < folded.counts.updated; i++) {
    const row: Row = newRow();
    fields.forEach((f, k) => {
      if (sources.has(f.name)) row[f.name] = folded.columns[k]![i]!;
    });
    if (spec.keyOf(spec.partitionOf(row)) !== key) return false;
  }
  return true;
}
