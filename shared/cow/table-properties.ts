// Names the copy-on-write engine writes into the table: the order columns every row carries, the table
// property naming the tombstone sidecar, and the snapshot summary keys that make each commit
// self-describing (which change-sets it applied, under which lease token).

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

/** Table property: location of the Parquet file holding the current tombstones (key + order key). */
export const TOMBSTONES_PROPERTY = 'datastream-iceberg.tombstones';
/** Table property: how long (ms of source time) a tombstone is kept; default 7 days. */
export const TOMBSTONE_RETENTION_PROPERTY = 'datastream-iceberg.tombstone-retention-ms';
export const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** Snapshot summary key: the ids of the change-sets the snapshot applied, comma-separated. */
export const CHANGESETS_SUMMARY_KEY = 'datastream-iceberg.changesets';
/** Snapshot summary key: the lease token of the run that committed the snapshot. */
export const LEASE_TOKEN_SUMMARY_KEY = 'datastream-iceberg.lease-token';
/**
 * Snapshot summary key: the greatest source timestamp (ms) of any change the table has applied so far,
 * carried forward from snapshot to snapshot, so the replication lag is read from the table alone.
 */
export const NEWEST_SOURCE_TS_SUMMARY_KEY = 'datastream-iceberg.newest-source-ts-ms';
