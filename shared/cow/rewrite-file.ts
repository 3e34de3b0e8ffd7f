// Rewrite one data file with the changes of the keys it holds: each changed row is folded with its
// applicable changes (an update, possibly partial, or a delete), every other row is kept as it is, in its
// order. Column-wise when the file has the table's current columns (see columnar-rewrite.ts); through row
// values when it predates a schema change (missing or narrower columns) or has list/map columns, and when
// an update moves a row to another partition (the rows are then partitioned again).

import * as arrow from 'apache-arrow';
import type { ChangeEvent } from '../changes/change-event.js';
import { arrowTableToRows, rowsToArrowTable } from '../iceberg/arrow-rows.js';
import type { TableMetadata } from '../iceberg/metadata-types.js';
import type { DataFile } from '../iceberg/parquet-data-file.js';
import type { BoundPartitionSpec } from '../iceberg/partitioning.js';
import {
  putWrittenDataFile,
  writeArrowAsDataFile,
  writeDataFiles,
  type FileStore,
  type LiveDataFile,
} from '../iceberg/table-writer.js';
import type { NestedField, Schema } from '../iceberg/types.js';
import type { IcebergValue, Row } from '../iceberg/values.js';
import { columnarCompatible, rowsAt, spliceRows, type RowEdit } from './columnar-rewrite.js';
import { conformRow } from './conform.js';
import { foldChanges, type KeyOutcome } from './merge.js';
import type { ParquetEncoderPool } from './parquet-encoder-pool.js';

/** A stored row with applicable changes: its row number in the file, its key and the changes. */
export interface FileEdit {
  row: number;
  k: string;
  key: IcebergValue[];
  changes: ChangeEvent[];
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
  record(k: string, outcome: KeyOutcome, key: IcebergValue[]): void;
  /** Worker threads for the Parquet encoding of column-wise rewrites; inline without. */
  encoder?: ParquetEncoderPool;
}

export interface RewrittenFile {
  /** The new files; settles once they are encoded and stored (in a worker, the caller goes on meanwhile). */
  added: Promise<DataFile[]>;
  updated: number;
  deleted: number;
  /** Whether the file went through row values. */
  byRows: boolean;
}

/** `table` is the whole file read as Arrow under the current schema; `edits` ascend by row. */
export async function rewriteFile(
  ctx: RewriteContext,
  file: LiveDataFile,
  table: arrow.Table,
  edits: readonly FileEdit[],
): Promise<RewrittenFile> {
  const columnar = columnarCompatible(table, ctx.schema);
  const rows = columnar ? undefined : arrowTableToRows(table, ctx.schema.fields);
  const stored = rows
    ? edits.map((e) => rows[e.row]!)
    : rowsAt(
        table,
        ctx.schema,
        edits.map((e) => e.row),
      );
  const replacementRows: Row[] = [];
  let deleted = 0;
  const rowEdits = edits.map((edit, j): RowEdit => {
    const outcome = foldChanges(conformRow(stored[j]!, ctx.longs), edit.changes, ctx.dataColumns);
    ctx.record(edit.k, outcome, edit.key);
    if (outcome.kind === 'delete') {
      deleted++;
      return { row: edit.row };
    }
    replacementRows.push(outcome.row);
    return { row: edit.row, replacement: replacementRows.length - 1 };
  });
  const counts = { updated: replacementRows.length, deleted };
  const partition = file.dataFile.partition;
  if (columnar && staysInPartition(ctx.spec, partition, replacementRows)) {
    const replacements =
      replacementRows.length > 0 ? rowsToArrowTable(ctx.schema, replacementRows).batches[0] : undefined;
    const out = spliceRows(table, ctx.schema, rowEdits, replacements);
    const parts: arrow.Table[] = [];
    for (let start = 0; out && start < out.numRows; start += ctx.perFile) {
      parts.push(new arrow.Table([out.slice(start, Math.min(out.numRows, start + ctx.perFile))]));
    }
    const encoder = ctx.encoder;
    const added = encoder
      ? Promise.all(
          parts.map(async (part) =>
            putWrittenDataFile(ctx.metadata, ctx.store, await encoder.encode(part, ctx.schema), partition),
          ),
        )
      : (async () => {
          const files: DataFile[] = [];
          for (const part of parts)
            files.push(await writeArrowAsDataFile(ctx.metadata, ctx.store, part, partition));
          return files;
        })();
    return { added, ...counts, byRows: false };
  }
  const all = rows ?? arrowTableToRows(table, ctx.schema.fields);
  const kept: Row[] = [];
  let e = 0;
  for (let i = 0; i < all.length; i++) {
    const edit = rowEdits[e];
    if (edit?.row !== i) kept.push(conformRow(all[i]!, ctx.longs));
    else {
      e++;
      if (edit.replacement !== undefined) kept.push(replacementRows[edit.replacement]!);
    }
  }
  const added =
    kept.length > 0
      ? await writeDataFiles(ctx.metadata, ctx.store, kept, { maxRowsPerFile: ctx.perFile })
      : [];
  return { added: Promise.resolve(added), ...counts, byRows: true };
}

/**
 * Whether rewritten rows stay in their file's partition: the file is laid out by the default spec (the
 * same partition fields) and no replacement row moved to another partition value.
 */
function staysInPartition(
  spec: BoundPartitionSpec,
  partition: DataFile['partition'],
  rows: readonly Row[],
): boolean {
  const names = spec.fields.map((f) => f.field.name);
  const have = Object.keys(partition);
  if (have.length !== names.length || !names.every((n) => have.includes(n))) return false;
  if (names.length === 0) return true;
  const key = spec.keyOf(partition);
  return rows.every((r) => spec.keyOf(spec.partitionOf(r)) === key);
}
