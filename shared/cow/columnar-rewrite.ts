// The columnar rewrite of one data file: the file is read as Arrow, the rows holding a changed key are
// picked out by row number (found from the key columns alone, see locate-keys.ts), and the new file is
// gathered from raw buffers: untouched row ranges copied from the original record batches, changed rows
// taken from a small Arrow batch of the replacement rows, deleted rows left out. Rows keep their order,
// so a file sorted by key stays sorted. Only the changed rows ever become JS values (to fold partial
// updates onto the stored row).

import * as arrow from 'apache-arrow';
import {
  concatRangeList,
  concatRanges,
  RangeListBuilder,
  type DataRange,
} from '../iceberg/arrow/arrow-concat.js';
import { arrowTableToRows } from '../iceberg/arrow/arrow-rows.js';
import { FIELD_ID_KEY, icebergToArrowSchema } from '../iceberg/arrow/arrow-schema.js';
import type { Schema } from '../iceberg/spec/types.js';
import type { Row } from '../iceberg/spec/values.js';
import { lastStartAtOrBefore } from '../util/sorted-search.js';

/**
 * Whether a file read as Arrow can be rewritten column-wise under `schema`: the same columns (by field
 * id, in order) with the same Arrow types, all of types the gather copies. Files written before a schema
 * change (a column added or widened since) go through rows instead, which fills and widens values.
 */
export function columnarCompatible(table: arrow.Table, schema: Schema): boolean {
  const target = icebergToArrowSchema(schema);
  if (table.schema.fields.length !== target.fields.length || table.batches.length === 0) return false;
  return target.fields.every((f, k) => {
    const got = table.schema.fields[k]!;
    return (
      got.metadata.get(FIELD_ID_KEY) === f.metadata.get(FIELD_ID_KEY) &&
      String(got.type) === String(f.type) &&
      gatherable(f.type)
    );
  });
}

function gatherable(type: arrow.DataType): boolean {
  if (arrow.DataType.isStruct(type)) return type.children.every((c) => gatherable(c.type));
  return !(
    arrow.DataType.isList(type) ||
    arrow.DataType.isMap(type) ||
    arrow.DataType.isUnion(type) ||
    arrow.DataType.isFixedSizeList(type)
  );
}

/** Record batch holding row `row` of the table, and the row's index in it. */
function locate(table: arrow.Table, starts: readonly number[], row: number): [arrow.RecordBatch, number] {
  const at = lastStartAtOrBefore(starts, row);
  return [table.batches[at]!, row - starts[at]!];
}

function batchStarts(table: arrow.Table): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const b of table.batches) {
    starts.push(at);
    at += b.numRows;
  }
  return starts;
}

function gather(schema: arrow.Schema, ranges: readonly DataRange[]): arrow.RecordBatch {
  const data = concatRanges(new arrow.Struct(schema.fields), ranges);
  if (!data) throw new Error('columnar rewrite: a column type cannot be gathered');
  return new arrow.RecordBatch(schema, data as arrow.Data<arrow.Struct>);
}

/** The stored rows at the given row numbers (ascending), as values of the schema (a compatible table). */
export function rowsAt(table: arrow.Table, schema: Schema, rows: readonly number[]): Row[] {
  if (rows.length === 0) return [];
  const starts = batchStarts(table);
  const ranges = rows.map((row): DataRange => {
    const [batch, i] = locate(table, starts, row);
    return { data: batch.data, start: i, length: 1 };
  });
  const picked = new arrow.Table([gather(icebergToArrowSchema(schema), ranges)]);
  return arrowTableToRows(picked, schema.fields);
}

/** One changed row of a file: its row number and, for an upsert, its row in the replacement batch. */
export interface RowEdit {
  row: number;
  /** Index into the replacement batch; undefined drops the row (a delete). */
  replacement?: number;
}

/**
 * The file's rows with the edits applied (edits ascending by row), as one record batch of `schema`'s
 * Arrow form; undefined when no row is left.
 */
export function spliceRows(
  table: arrow.Table,
  schema: Schema,
  edits: readonly RowEdit[],
  replacements: arrow.RecordBatch | undefined,
): arrow.RecordBatch | undefined {
  // consecutive rows of the same source become one range
  const ranges = new RangeListBuilder();
  const replacementSource = replacements ? ranges.addSource(replacements.data) : -1;
  let e = 0;
  let base = 0;
  for (const batch of table.batches) {
    const source = ranges.addSource(batch.data);
    const end = base + batch.numRows;
    let at = base;
    for (; e < edits.length && edits[e]!.row < end; e++) {
      const edit = edits[e]!;
      ranges.push(source, at - base, edit.row - at);
      if (edit.replacement !== undefined) ranges.push(replacementSource, edit.replacement, 1);
      at = edit.row + 1;
    }
    ranges.push(source, at - base, end - at);
    base = end;
  }
  const list = ranges.build();
  if (list.count === 0) return undefined;
  const arrowSchema = icebergToArrowSchema(schema);
  const data = concatRangeList(new arrow.Struct(arrowSchema.fields), list);
  if (!data) throw new Error('columnar rewrite: a column type cannot be gathered');
  return new arrow.RecordBatch(arrowSchema, data as arrow.Data<arrow.Struct>);
}
