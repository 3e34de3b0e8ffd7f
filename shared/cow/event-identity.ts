// The identity of a row of a table without a primary key: the event that wrote it. Datastream delivers
// at least once, in any file, so the same event may arrive again in a later file and a later commit; it
// must add one row. The identity is stored in the row itself and used as the table's key when merging
// (apply-batch.ts), so a re-delivered event finds its row through the same key-bounds file pruning as a
// keyed table's change, and no set of seen events grows anywhere.
//   - A CDC event is identified by its order key (source timestamp, LSN): PostgreSQL's logical decoding
//     gives every row change its own LSN, and both values come from the WAL, so a re-delivery carries
//     the same ones whatever file it is in. Two identical INSERTs are two changes with two LSNs.
//   - A backfill event (and any event without an LSN) has LSN 0 and the time the row was read: many
//     rows share that order key, identical rows included. Its Datastream uuid tells it apart and is
//     stored in EVENT_UUID_COLUMN; it repeats when the same file is delivered or processed again.
// The uuid is not part of a CDC event's identity: Datastream's samples give the events of one file a
// common uuid prefix and a counter, so an event read again into a new file may carry a new uuid.

import type { ChangeEvent } from '../changes/change-event.js';
import { EVENT_UUID_COLUMN, LSN_COLUMN, SOURCE_TS_COLUMN } from './order-columns.js';

/** The key columns of a table without a primary key, in key order. */
export const EVENT_IDENTITY_COLUMNS = [SOURCE_TS_COLUMN, LSN_COLUMN, EVENT_UUID_COLUMN] as const;

/** The uuid stored for an event: only where its order key does not identify it. */
export function storedEventUuid(event: ChangeEvent): string | null {
  return event.backfill || event.order.lsn === 0n ? event.uuid : null;
}

/**
 * The event with its identity as its key (the values of EVENT_IDENTITY_COLUMNS as stored: longs, the
 * LSN as two's-complement bits) and the uuid column in its row.
 */
export function withEventIdentity(event: ChangeEvent): ChangeEvent {
  const uuid = storedEventUuid(event);
  return {
    ...event,
    key: [BigInt(event.order.sourceTsMs), BigInt.asIntN(64, event.order.lsn), uuid],
    row: { ...event.row, [EVENT_UUID_COLUMN]: uuid },
  };
}
