// The merge rules of a batch of changes, per primary key, pure (no I/O):
//   - the changes of a key are applied in (sourceTsMs, lsn) order; two changes with the same key and the
//     same order are the same change (a re-delivery) and count once;
//   - a change not newer than the row's stored order key, or than the key's tombstone, is dropped;
//   - an upsert sets the columns it carries; a column absent from it keeps the current value (absent is
//     not null), and is null when there is no current row;
//   - a delete removes the row and leaves a tombstone at its order key.

import { compareOrder, type ChangeEvent, type OrderKey } from '../changes/change-event.js';
import type { IcebergValue, Row } from '../iceberg/values.js';
import { keyString } from './keys.js';
import { LSN_COLUMN, SOURCE_TS_COLUMN } from './table-properties.js';

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
    let group = byKey.get(k);
    if (!group) byKey.set(k, (group = { key: event.key, events: [] }));
    group.events.push(event);
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

/** Changes of a key that are newer than what the table already reflects (stored row, tombstone). */
export function applicable(events: readonly ChangeEvent[], floor: OrderKey | undefined): ChangeEvent[] {
  if (!floor) return [...events];
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
    const next: Row = {};
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
