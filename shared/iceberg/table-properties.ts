// Every name this project reads or writes in a table's metadata: the table properties (its own, under
// `datastream-iceberg.`, and the Iceberg ones it honours) and the snapshot summary keys that make each
// commit self-describing (which change-sets it applied, under which lease token).

// --- this project's table properties ---

/** Location of the Parquet file holding the current tombstones (key + order key). */
export const TOMBSTONES_PROPERTY = 'datastream-iceberg.tombstones';
/** How long (ms of source time) a tombstone is kept; default DEFAULT_TOMBSTONE_RETENTION_MS. */
export const TOMBSTONE_RETENTION_PROPERTY = 'datastream-iceberg.tombstone-retention-ms';
export const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000;
/** The source PostgreSQL types of columns stored as text (json, uuid, numeric), as a JSON object. */
export const PG_TYPES_PROPERTY = 'datastream-iceberg.pg-types';
/** The primary key column names, comma-separated. */
export const PRIMARY_KEY_PROPERTY = 'datastream-iceberg.primary-key';
/**
 * Where the columns of a table nobody declared came from: `avro-schema` (the files' Avro writer schema)
 * or `json-values` (inferred from JSON payload values). Absent when the table was created from a
 * declaration.
 */
export const SCHEMA_SOURCE_PROPERTY = 'datastream-iceberg.schema-source';

// --- Iceberg table properties honoured here (the names Iceberg Java and PyIceberg use) ---

/** Rows per Parquet row group (PyIceberg's name); DEFAULT_ROW_GROUP_ROWS without it. */
export const ROW_GROUP_LIMIT_PROPERTY = 'write.parquet.row-group-limit';
/** Size of the data files compaction writes. */
export const TARGET_FILE_SIZE_PROPERTY = 'write.target-file-size-bytes';
/** Snapshot expiry: the age window and how many of main's newest snapshots are always kept. */
export const MAX_SNAPSHOT_AGE_PROPERTY = 'history.expire.max-snapshot-age-ms';
export const MIN_SNAPSHOTS_TO_KEEP_PROPERTY = 'history.expire.min-snapshots-to-keep';

// --- snapshot summary keys ---

/** The ids of the change-sets the snapshot applied, comma-separated. */
export const CHANGESETS_SUMMARY_KEY = 'datastream-iceberg.changesets';
/** The lease token of the run that committed the snapshot. */
export const LEASE_TOKEN_SUMMARY_KEY = 'datastream-iceberg.lease-token';
/**
 * The greatest source timestamp (ms) of any change the table has applied so far, carried forward from
 * snapshot to snapshot, so the replication lag is read from the table alone.
 */
export const NEWEST_SOURCE_TS_SUMMARY_KEY = 'datastream-iceberg.newest-source-ts-ms';
