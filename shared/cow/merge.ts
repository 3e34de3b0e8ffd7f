// The merge rules of a batch of changes, per primary key, pure (no I/O):
//   - the changes of a key are applied in (sourceTsMs, lsn) order; two changes with the same key and the
//     same order are the same change (a re-delivery) and count once;
//   - a change not newer than the row's stored order key, or than the key's tombstone, is dropped;
//   - an upsert sets the columns it carries; a column absent from it keeps the current value (absent is
//     not null), and is null when there is no current row;
//   - a delete removes the row and leaves a tombstone at its order key.

import { compareOrder, type ChangeEvent, type OrderKey } from '../changes/change-event.js';
import { newRow, type IcebergValue, type Row } from '../iceberg/spec/values.js';
import { keyString } from './keys.js';
import { LSN_COLUMN, SOURCE_TS_COLUMN } from './order-columns.js';

export interface KeyChanges {
  key: IcebergValue[];
  /** Oldest first, one change per distinct order key. */
  events: ChangeEvent[];
}

export interface GroupedChanges {
  byKey: Map<string, KeyChanges>;
  /** Changes dropped because another change of the same key had the same order key. */
  duplicates: number;
}

/** Group a batch by key, oldest first, exact duplicates (same key and order) removed. */
export function groupByKey(events: Iterable<ChangeEvent>): GroupedChanges {
  const byKey = new Map<string, KeyChanges>();
  for (const event of events) {
    const k = keyString(event.key);
    const group = byKey.get(k);
    if (group) group.events.push(event);
    else byKey.set(k, { key: event.key, events: [event] });
  }
  let duplicates = 0;
  for (const group of byKey.values()) {
    if (group.events.length === 1) continue;
    // stable sort: of two changes with the same order key, the first delivered is kept
    group.events.sort((a, b) => compareOrder(a.order, b.order));
    const kept: ChangeEvent[] = [];
    for (const e of group.events) {
      const last = kept[kept.length - 1];
      if (last && compareOrder(last.order, e.order) === 0) duplicates++;
      else kept.push(e);
    }
    group.events = kept;
  }
  return { byKey, duplicates };
}

export function maxOrder(a: OrderKey | undefined, b: OrderKey | undefined): OrderKey | undefined {
  if (!a) return b;
  if (!b) return a;
  return compareOrder(a, b) >= 0 ? a : b;
}

/** The order key a stored row carries in its order columns. */
export function rowOrder(row: Row): OrderKey {
  const ts = row[SOURCE_TS_COLUMN];
  const lsn = row[LSN_COLUMN];
  if (typeof ts !== 'bigint' || typeof lsn !== 'bigint') {
    throw new Error(
      `row without order columns ${SOURCE_TS_COLUMN}/${LSN_COLUMN}: ${String(ts)}/${String(lsn)}`,
    );
  }
  return { sourceTsMs: Number(ts), lsn: BigInt.asUintN(64, lsn) };
}

/** Write an order key into a row's order columns (the LSN as the two's-complement bits of a long). */
export function setRowOrder(row: Row, order: OrderKey): void {
  row[SOURCE_TS_COLUMN] = BigInt(order.sourceTsMs);
  row[LSN_COLUMN] = BigInt.asIntN(64, order.lsn);
}

/**
 * Changes of a key that are newer than what the table already reflects (stored row, tombstone): `events`
 * itself when all are (no copy per key), else the newer ones.
 */
export function applicable(
  events: readonly ChangeEvent[],
  floor: OrderKey | undefined,
): readonly ChangeEvent[] {
  if (!floor || events.every((e) => compareOrder(e.order, floor) > 0)) return events;
  return events.filter((e) => compareOrder(e.order, floor) > 0);
}

export type KeyOutcome = { kind: 'upsert'; row: Row; order: OrderKey } | { kind: 'delete'; order: OrderKey };

/**
 * Fold a key's applicable changes (oldest first, non-empty) onto its stored row (undefined when the
 * table has none). `columns` are the table's data columns (order columns excluded).
 */
export function foldChanges(
  stored: Row | undefined,
  changes: readonly ChangeEvent[],
  columns: readonly string[],
): KeyOutcome {
  let row: Row | undefined = stored;
  let order: OrderKey | undefined;
  for (const change of changes) {
    order = change.order;
    if (change.op === 'delete') {
      row = undefined;
      continue;
    }
    const next: Row = newRow();
    for (const column of columns) {
      const value = change.row[column];
      next[column] = value !== undefined ? value : row ? (row[column] ?? null) : null;
    }
    row = next;
  }
  if (!order) throw new Error('foldChanges needs at least one change');
  if (!row) return { kind: 'delete', order };
  setRowOrder(row, order);
  return { kind: 'upsert', row, order };
}

// The same fold, one column at a time, for rewrites that build the replacement rows as Arrow columns
// straight from the change values (rewrite-file.ts): no row object per change, and the stored row is
// read only when a column can come from it. Equal to foldChanges by construction: an upsert sets every
// column it carries, so a column's final value is the one of the newest upsert after the last delete
// that carries it, else the stored value when no delete came first, else null.

/** Index of the first change after the last delete (0 when none): the changes that shape the final row. */
export function afterLastDelete(changes: readonly ChangeEvent[]): number {
  for (let i = changes.length - 1; i >= 0; i--) if (changes[i]!.op === 'delete') return i + 1;
  return 0;
}

/** The kind and order key foldChanges gives (`changes` applicable, oldest first, non-empty). */
export function foldedOutcome(changes: readonly ChangeEvent[]): Pick<KeyOutcome, 'kind' | 'order'> {
  const last = changes[changes.length - 1];
  if (!last) throw new Error('foldChanges needs at least one change');
  return { kind: last.op === 'delete' ? 'delete' : 'upsert', order: last.order };
}

/** Whether folding `changes` takes some column from the stored row (an upsert outcome only). */
export function needsStoredRow(changes: readonly ChangeEvent[], columns: readonly string[]): boolean {
  if (afterLastDelete(changes) > 0) return false;
  return columns.some((c) => !changes.some((e) => e.row[c] !== undefined));
}

/**
 * The value `column` takes when `changes` (an upsert outcome) are folded onto `stored`; `from` is
 * afterLastDelete(changes).
 */
export function foldedValue(
  changes: readonly ChangeEvent[],
  from: number,
  column: string,
  stored: Row | undefined,
): IcebergValue {
  for (let i = changes.length - 1; i >= from; i--) {
    const value = changes[i]!.row[column];
    if (value !== undefined) return value;
  }
  return from === 0 && stored ? (stored[column] ?? null) : null;
}
