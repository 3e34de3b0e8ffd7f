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

/**
 * How a commit changes rows stored in existing data files: `copy-on-write` (rewrite the files),
 * `merge-on-read` (v2 position delete files, new row versions in new files) or `auto` (per data file,
 * whichever costs less; see the README). Absent: derived from Iceberg's `write.update.mode` and
 * `write.delete.mode` (merge-on-read when either says so), else copy-on-write.
 */
export const WRITE_MODE_PROPERTY = 'datastream-iceberg.write-mode';
export const WRITE_MODES = ['copy-on-write', 'merge-on-read', 'auto'] as const;
export type WriteMode = (typeof WRITE_MODES)[number];
export const DEFAULT_WRITE_MODE: WriteMode = 'copy-on-write';

/**
 * Mode `auto`, per data file with changed rows: rewritten copy-on-write when (changed rows + rows its
 * delete files already remove) / its record count reaches this fraction, else position deletes.
 */
export const AUTO_REWRITE_FRACTION_PROPERTY = 'datastream-iceberg.auto.rewrite-fraction';
export const DEFAULT_AUTO_REWRITE_FRACTION = 0.25;
/**
 * Mode `auto`: a data file that already has this many delete files is rewritten copy-on-write instead of
 * getting one more (far below the 10,000 delete files per data file some readers refuse past).
 */
export const AUTO_MAX_DELETE_FILES_PROPERTY = 'datastream-iceberg.auto.max-delete-files';
export const DEFAULT_AUTO_MAX_DELETE_FILES = 8;

// --- Iceberg table properties honoured here (the names Iceberg Java and PyIceberg use) ---

/** Rows per Parquet row group (PyIceberg's name); DEFAULT_ROW_GROUP_ROWS without it. */
export const ROW_GROUP_LIMIT_PROPERTY = 'write.parquet.row-group-limit';
/** Size of the data files compaction writes. */
export const TARGET_FILE_SIZE_PROPERTY = 'write.target-file-size-bytes';
/** Snapshot expiry: the age window and how many of main's newest snapshots are always kept. */
export const MAX_SNAPSHOT_AGE_PROPERTY = 'history.expire.max-snapshot-age-ms';
export const MIN_SNAPSHOTS_TO_KEEP_PROPERTY = 'history.expire.min-snapshots-to-keep';
/** Iceberg's row-level write modes (`copy-on-write` | `merge-on-read`), read by other engines too. */
export const WRITE_UPDATE_MODE_PROPERTY = 'write.update.mode';
export const WRITE_DELETE_MODE_PROPERTY = 'write.delete.mode';

/** The write mode a table's properties ask for; an unknown value fails naming it. */
export function writeModeOf(properties: Record<string, string> | undefined): WriteMode {
  const own = properties?.[WRITE_MODE_PROPERTY];
  if (own !== undefined) {
    if (!(WRITE_MODES as readonly string[]).includes(own))
      throw new Error(
        `table property ${WRITE_MODE_PROPERTY}=${JSON.stringify(own)} is not one of ${WRITE_MODES.join(', ')}`,
      );
    return own as WriteMode;
  }
  for (const name of [WRITE_UPDATE_MODE_PROPERTY, WRITE_DELETE_MODE_PROPERTY]) {
    const v = properties?.[name];
    if (v === undefined || v === 'copy-on-write') continue;
    if (v === 'merge-on-read') return 'merge-on-read';
    throw new Error(`table property ${name}=${JSON.stringify(v)} is not copy-on-write or merge-on-read`);
  }
  return DEFAULT_WRITE_MODE;
}

/** The table properties that set a write mode, ours and Iceberg's (auto may write deletes). */
export function writeModeProperties(mode: WriteMode): Record<string, string> {
  const iceberg = mode === 'copy-on-write' ? 'copy-on-write' : 'merge-on-read';
  return {
    [WRITE_MODE_PROPERTY]: mode,
    [WRITE_UPDATE_MODE_PROPERTY]: iceberg,
    [WRITE_DELETE_MODE_PROPERTY]: iceberg,
  };
}

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
