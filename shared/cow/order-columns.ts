// The order columns every row the copy-on-write engine writes carries: which source change wrote it, so a
// later change is applied only when it is newer. (Table properties and snapshot summary keys are named in
// shared/iceberg/table-properties.ts.)

/** Source commit time in ms of the change that wrote the row (long). */
export const SOURCE_TS_COLUMN = '_cdc_source_ts_ms';
/** PostgreSQL LSN of that change as a 64-bit number, stored as the two's-complement bits of a long. */
export const LSN_COLUMN = '_cdc_lsn';
export const ORDER_COLUMNS = [SOURCE_TS_COLUMN, LSN_COLUMN] as const;
/**
 * Tables without a primary key only: Datastream's uuid of the event that wrote the row where the order
 * key does not identify the event (backfill rows, events without an LSN), else null (string, optional).
 * See event-identity.ts.
 */
export const EVENT_UUID_COLUMN = '_cdc_event_uuid';
/** Every column the engine writes besides the source's. */
export const ENGINE_COLUMNS = [...ORDER_COLUMNS, EVENT_UUID_COLUMN] as const;
