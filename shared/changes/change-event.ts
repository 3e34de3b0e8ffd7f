// The normalized change every reader produces and every writer consumes: one row-level change of one
// table, with the order key that decides which of two changes to the same primary key wins.

import type { IcebergValue, Row } from '../iceberg/spec/values.js';

export interface TableRef {
  /** Source schema (PostgreSQL namespace), e.g. `public`. */
  schema: string;
  /** Source table, e.g. `orders`. */
  name: string;
}

/**
 * Position of a change in the source's history. Compared as (sourceTsMs, lsn): the source timestamp
 * in ms first (what Datastream's own sort_keys lead with), then the WAL position as a 64-bit number.
 * Backfill events and events without an LSN have lsn 0n, so they sort before any CDC event of the
 * same millisecond.
 */
export interface OrderKey {
  /** Source commit (CDC) or read (backfill) time, ms since the epoch; always a safe integer. */
  sourceTsMs: number;
  /** PostgreSQL LSN `HI/LO` as (HI << 32) | LO; 0n when absent. */
  lsn: bigint;
}

export type ChangeOp = 'upsert' | 'delete';

/** Datastream's change types; '' when a backfill event carries none. */
export type ChangeType = '' | 'INSERT' | 'UPDATE' | 'DELETE' | 'UPDATE-INSERT' | 'UPDATE-DELETE';

export const CHANGE_TYPES: readonly ChangeType[] = [
  '',
  'INSERT',
  'UPDATE',
  'DELETE',
  'UPDATE-INSERT',
  'UPDATE-DELETE',
];

export interface SourcePosition {
  /** Object name the change was read from. */
  object: string;
  /** 1-based line (JSONL) or record number (Avro). */
  line: number;
}

export interface ChangeEvent {
  table: TableRef;
  op: ChangeOp;
  /** Values of the primary-key columns, in primary-key order ([] for a table without one). */
  key: IcebergValue[];
  order: OrderKey;
  /** Datastream's event id: identical for a re-delivered event, so it deduplicates exact repeats. */
  uuid: string;
  /** Coerced column values. A column absent from the source payload is absent here (≠ null). */
  row: Row;
  changeType: ChangeType;
  backfill: boolean;
  source: SourcePosition;
}

/** Negative, zero or positive as `a` is older than, the same version as, or newer than `b`. */
export function compareOrder(a: OrderKey, b: OrderKey): number {
  if (a.sourceTsMs !== b.sourceTsMs) return a.sourceTsMs < b.sourceTsMs ? -1 : 1;
  if (a.lsn !== b.lsn) return a.lsn < b.lsn ? -1 : 1;
  return 0;
}

/** The one lossless string form of a table reference (shared/names/table-key.ts). */
export { tableKey } from '../names/table-key.js';
