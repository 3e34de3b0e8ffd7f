// Random source histories of one table and their model. A history is what PostgreSQL did (inserts,
// updates, deletes, in commit order, each with a strictly increasing (ms, LSN)), plus backfill passes
// that read rows at some time with LSN 0 (overlapping the CDC stream). Deliveries cut the events into
// files, shuffle them, re-deliver some files and repeat some events. The model is the sorted replay:
// every distinct event in (ms, LSN) order, an upsert setting the row and a delete removing it.

import {
  compareOrder,
  type ChangeEvent,
  type OrderKey,
  type TableRef,
} from '../../shared/changes/change-event.js';
import type { Schema } from '../../shared/iceberg/spec/types.js';
import type { Row } from '../../shared/iceberg/spec/values.js';
import { keyString } from '../../shared/cow/keys.js';

import type { Random } from '../support/random.js';
export { seeded, type Random } from '../support/random.js';

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (random: Random, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));

export function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

export interface TableShape {
  ref: TableRef;
  schema: Schema;
  primaryKeys: string[];
}

export const SINGLE_KEY: TableShape = {
  ref: { schema: 'public', name: 'items' },
  schema: {
    type: 'struct',
    'schema-id': 0,
    'identifier-field-ids': [1],
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'v', required: false, type: 'long' },
      { id: 3, name: 's', required: false, type: 'string' },
    ],
  },
  primaryKeys: ['id'],
};

export const COMPOSITE_KEY: TableShape = {
  ref: { schema: 'public', name: 'lines' },
  schema: {
    type: 'struct',
    'schema-id': 0,
    'identifier-field-ids': [1, 2],
    fields: [
      { id: 1, name: 'order_no', required: true, type: 'int' },
      { id: 2, name: 'sku', required: true, type: 'string' },
      { id: 3, name: 'v', required: false, type: 'long' },
      { id: 4, name: 's', required: false, type: 'string' },
    ],
  },
  primaryKeys: ['order_no', 'sku'],
};

export interface History {
  shape: TableShape;
  /** Every distinct event, in source order. */
  events: ChangeEvent[];
  /** Files as delivered (arrival order): event lists, re-deliveries and repeated events included. */
  files: ChangeEvent[][];
  deletedKeys: Set<string>;
}

function keyOf(shape: TableShape, n: number): Row {
  return shape.primaryKeys.length === 1
    ? { id: BigInt(n) }
    : { order_no: n % 4, sku: `sku-${String.fromCharCode(97 + (n % 7))}${Math.floor(n / 28)}` };
}

export function randomHistory(random: Random, seq: { n: number }, maxSteps = 60): History {
  const shape = random() < 0.5 ? SINGLE_KEY : COMPOSITE_KEY;
  const keyPool = int(random, 3, 24);
  const db = new Map<string, Row>();
  const events: ChangeEvent[] = [];
  const deletedKeys = new Set<string>();
  let ts = 1_700_000_000_000 + int(random, 0, 1000);
  let lsn = BigInt(int(random, 1, 1 << 30)) + (BigInt(int(random, 0, 3)) << 32n);
  const event = (op: ChangeEvent['op'], row: Row, order: OrderKey, backfill: boolean): ChangeEvent => ({
    table: shape.ref,
    op,
    key: shape.primaryKeys.map((k) => row[k] ?? null),
    order,
    uuid: `e-${seq.n++}`,
    row,
    changeType: backfill ? '' : op === 'delete' ? 'DELETE' : 'UPDATE',
    backfill,
    source: { object: 'chaos', line: 0 },
  });
  const steps = int(random, 5, maxSteps);
  for (let i = 0; i < steps; i++) {
    // time moves by 0..3 ms: many changes share a millisecond and are ordered by LSN only
    ts += int(random, 0, 3);
    lsn += BigInt(int(random, 1, 5000));
    if (random() < 0.12 && db.size > 0) {
      // a backfill pass reads some current rows at this ms with LSN 0 (before any CDC of this ms)
      ts += 1;
      const readAt = ts;
      for (const [, row] of db) {
        if (random() < 0.6) events.push(event('upsert', { ...row }, { sourceTsMs: readAt, lsn: 0n }, true));
      }
      ts += 1;
      continue;
    }
    const keyRow = keyOf(shape, int(random, 0, keyPool - 1));
    const k = keyString(shape.primaryKeys.map((c) => keyRow[c] ?? null));
    const current = db.get(k);
    const order = { sourceTsMs: ts, lsn };
    if (current && random() < 0.3) {
      db.delete(k);
      deletedKeys.add(k);
      events.push(event('delete', { ...keyRow }, order, false));
    } else {
      const row: Row = {
        ...keyRow,
        v: BigInt(int(random, -1000, 1000)),
        s: random() < 0.2 ? null : `s${int(random, 0, 99)}`,
      };
      db.set(k, row);
      events.push(event('upsert', row, order, false));
    }
  }
  // cut into files, shuffle, re-deliver some, repeat some events inside files
  const files: ChangeEvent[][] = [];
  for (let start = 0; start < events.length;) {
    const size = int(random, 1, 12);
    files.push(events.slice(start, start + size));
    start += size;
  }
  for (const file of [...files]) {
    if (random() < 0.15) files.push([...file]);
    if (random() < 0.15 && file.length > 0) file.push(pick(random, file));
  }
  shuffle(random, files);
  return { shape, events, files, deletedKeys };
}

/** The sorted replay of the distinct events: the final rows by key. */
export function model(history: History): Map<string, Row> {
  const rows = new Map<string, Row>();
  const sorted = [...history.events].sort((a, b) => compareOrder(a.order, b.order));
  for (const e of sorted) {
    const k = keyString(e.key);
    if (e.op === 'delete') rows.delete(k);
    else rows.set(k, e.row);
  }
  return rows;
}
