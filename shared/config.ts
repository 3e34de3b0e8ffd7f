// Configuration of the cloud functions, from environment variables (set by `gcloud functions deploy
// --set-env-vars` or an env file), validated once at start-up with messages that name the variable.

import { readFileSync } from 'node:fs';
import { postgresToIceberg } from './datastream/postgres-types.js';
import { READ_LIMIT_VARIABLES, readLimits, type ReadLimits } from './datastream/read-limits.js';
import type { TableDefinition } from './datastream/table.js';
import { checkTableNames, columnNameProblem, InvalidNameError } from './names/identifier.js';
import { parseTableKey, tableKey, TableKeySyntaxError } from './names/table-key.js';

export interface CloudConfig {
  project: string;
  /**
   * The bucket Datastream writes to (DSI_LANDING_BUCKET): ingest takes events of this bucket only and
   * ignores others, logged. Required by ingest (the functions and `replay gs://…`); the commit and
   * maintenance functions run without it.
   */
  landingBucket?: string;
  /** Only objects under this prefix of the landing bucket are Datastream output ('' = all). */
  landingPrefix: string;
  /** Where staged change-sets go: gs://bucket/prefix */
  workRoot: string;
  catalog: {
    uri: string;
    /** gs://bucket for a BigLake bucket catalog. */
    warehouse: string;
    /** 'google' = OAuth bearer from Application Default Credentials; 'none' for a local catalog. */
    auth: 'google' | 'none';
    accessDelegation?: 'vended-credentials';
  };
  firestore: { collectionPrefix: string; databaseId?: string; retentionMs: number };
  tasks: {
    location: string;
    commitUrl: string;
    serviceAccountEmail?: string;
    queuePrefix: string;
    dispatchDeadlineSeconds: number;
    createMissingQueues: boolean;
  };
  /** Declared tables by `schema.table` (DSI_TABLES: inline JSON or a path to a JSON file). */
  tables: Record<string, TableDefinition>;
  /**
   * DSI_UNDECLARED_TABLES: `create` (default) learns a table nobody declared from its files and creates
   * it on first commit; `reject` fails such files until the table is declared.
   */
  undeclaredTables: 'create' | 'reject';
  /**
   * DSI_WRITE_MODE: the write mode of the tables the commit function creates (copy-on-write,
   * merge-on-read, auto; a table's declaration wins), checked by the runtime; unset: copy-on-write.
   */
  writeMode?: string;
  /**
   * What one file may make ingest hold: DSI_MAX_LINE_BYTES, DSI_MAX_VALUE_BYTES,
   * DSI_MAX_DECOMPRESSED_BYTES, DSI_MAX_AVRO_BLOCK_BYTES (defaults in datastream/read-limits.ts).
   */
  readLimits: ReadLimits;
  /** Emulator endpoints (tests and local runs); unset in the cloud. */
  emulators: { storage?: string; cloudTasks?: string };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`environment variable ${name} is required`);
  return value;
}

function gsLocation(env: Env, name: string): string {
  const value = required(env, name);
  if (!/^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}(\/.*)?$/.test(value)) {
    throw new ConfigError(`${name}="${value}" must be a gs://bucket[/prefix] location`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * Table definitions as in the fixtures' tables.json: {"public.orders": {"primary_keys": [...],
 * "columns": [["id", "bigint"], ...]}} (primaryKeys is accepted too).
 */
export function parseTableDefinitions(text: string, source: string): Record<string, TableDefinition> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${source}: expected an object of "schema.table" → table definition`);
  }
  // Keyed by the canonical table key (shared/names/table-key.ts), whatever quoting the file used.
  // Keys always hold a '.', so none is a name of Object.prototype.
  const tables: Record<string, TableDefinition> = {};
  for (const [written, value] of Object.entries(raw as Record<string, unknown>)) {
    let key: string;
    try {
      const ref = parseTableKey(written);
      checkTableNames(ref);
      key = tableKey(ref);
    } catch (error) {
      if (!(error instanceof TableKeySyntaxError || error instanceof InvalidNameError)) throw error;
      throw new ConfigError(`${source}: table key ${JSON.stringify(written)}: ${error.message}`);
    }
    if (Object.hasOwn(tables, key))
      throw new ConfigError(`${source}: table key ${JSON.stringify(written)} names ${key} a second time`);
    const entry = value as {
      primary_keys?: unknown;
      primaryKeys?: unknown;
      columns?: unknown;
      properties?: unknown;
      write_mode?: unknown;
      writeMode?: unknown;
    };
    const primaryKeys = entry.primary_keys ?? entry.primaryKeys ?? [];
    const columns = entry.columns;
    const validColumns =
      Array.isArray(columns) &&
      columns.every((c) => Array.isArray(c) && c.length === 2 && c.every((p) => typeof p === 'string'));
    if (!validColumns) {
      throw new ConfigError(`${source}: ${key}.columns must be a list of [name, postgresType] pairs`);
    }
    if (!Array.isArray(primaryKeys) || !primaryKeys.every((k) => typeof k === 'string')) {
      throw new ConfigError(`${source}: ${key}.primary_keys must be a list of column names`);
    }
    const names = new Set<string>();
    for (const [column] of columns as string[][]) {
      const problem = columnNameProblem(column!);
      if (problem) throw new ConfigError(`${source}: ${key}: column ${JSON.stringify(column)} ${problem}`);
      // a second column of one name would make a table with two fields of that name
      if (names.has(column!))
        throw new ConfigError(`${source}: ${key}: column ${JSON.stringify(column)} is declared twice`);
      names.add(column!);
    }
    // a type the engine cannot map fails the declaration here, naming it, not the first commit
    for (const [column, pgType] of columns as string[][]) {
      try {
        postgresToIceberg(pgType!);
      } catch (error) {
        throw new ConfigError(
          `${source}: ${key}: column ${JSON.stringify(column)}: ${(error as Error).message}`,
        );
      }
    }
    for (const pk of primaryKeys as string[]) {
      if (!names.has(pk))
        throw new ConfigError(`${source}: ${key}: primary key column "${pk}" is not a column`);
    }
    tables[key] = {
      columns: columns as Array<[string, string]>,
      primaryKeys: primaryKeys as string[],
      ...declaredProperties(entry, `${source}: ${key}`),
    };
  }
  return tables;
}

function loadTables(env: Env): Record<string, TableDefinition> {
  const value = env.DSI_TABLES?.trim();
  if (!value) return {};
  if (value.startsWith('{')) return parseTableDefinitions(value, 'DSI_TABLES');
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (error) {
    throw new ConfigError(`DSI_TABLES names ${value}, which cannot be read (${(error as Error).message})`);
  }
  return parseTableDefinitions(text, value);
}

/** The read limits the environment sets (a whole number of bytes each), defaults for the rest. */
export function loadReadLimits(env: Env = process.env): ReadLimits {
  const overrides: Partial<ReadLimits> = {};
  for (const [name, variable] of Object.entries(READ_LIMIT_VARIABLES) as Array<[keyof ReadLimits, string]>) {
    const text = env[variable]?.trim();
    if (!text) continue;
    const value = Number(text);
    if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
      throw new ConfigError(
        `${variable} must be a whole number of bytes, at least 1 (got ${JSON.stringify(text)})`,
      );
    }
    overrides[name] = value;
  }
  return readLimits(overrides);
}

export function loadCloudConfig(env: Env = process.env): CloudConfig {
  const project = env.GOOGLE_CLOUD_PROJECT?.trim() || env.GCLOUD_PROJECT?.trim();
  if (!project) throw new ConfigError('environment variable GOOGLE_CLOUD_PROJECT is required');
  const auth = env.DSI_CATALOG_AUTH ?? 'google';
  if (auth !== 'google' && auth !== 'none') throw new ConfigError(`DSI_CATALOG_AUTH must be google or none`);
  const deadline = Number(env.DSI_DISPATCH_DEADLINE_SECONDS ?? 1800);
  if (!Number.isInteger(deadline) || deadline < 15 || deadline > 1800) {
    throw new ConfigError('DSI_DISPATCH_DEADLINE_SECONDS must be an integer from 15 to 1800');
  }
  const undeclaredTables = env.DSI_UNDECLARED_TABLES?.trim() || 'create';
  if (undeclaredTables !== 'create' && undeclaredTables !== 'reject') {
    throw new ConfigError('DSI_UNDECLARED_TABLES must be create or reject');
  }
  const retentionDays = Number(env.DSI_RECORD_RETENTION_DAYS ?? 30);
  if (!Number.isFinite(retentionDays) || retentionDays < 2) {
    // Below two days a file redelivered by Eventarc (retries for 24 hours) could miss its record.
    throw new ConfigError('DSI_RECORD_RETENTION_DAYS must be a number of days, at least 2');
  }
  const landingBucket = env.DSI_LANDING_BUCKET?.trim();
  if (landingBucket && !/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(landingBucket)) {
    throw new ConfigError(`DSI_LANDING_BUCKET="${landingBucket}" must be a bucket name (no gs://, no path)`);
  }
  return {
    project,
    ...(landingBucket ? { landingBucket } : {}),
    landingPrefix: env.DSI_LANDING_PREFIX ?? '',
    workRoot: gsLocation(env, 'DSI_WORK_ROOT'),
    catalog: {
      uri: env.DSI_CATALOG_URI ?? 'https://biglake.googleapis.com/iceberg/v1/restcatalog',
      warehouse: required(env, 'DSI_CATALOG_WAREHOUSE'),
      auth,
      ...(env.DSI_CATALOG_VENDED_CREDENTIALS === 'true'
        ? { accessDelegation: 'vended-credentials' as const }
        : {}),
    },
    firestore: {
      collectionPrefix: env.DSI_FIRESTORE_PREFIX ?? 'dsi_',
      retentionMs: retentionDays * 24 * 3600_000,
      ...(env.DSI_FIRESTORE_DATABASE ? { databaseId: env.DSI_FIRESTORE_DATABASE } : {}),
    },
    tasks: {
      location: required(env, 'DSI_TASKS_LOCATION'),
      commitUrl: required(env, 'DSI_COMMIT_URL'),
      ...(env.DSI_TASKS_SERVICE_ACCOUNT ? { serviceAccountEmail: env.DSI_TASKS_SERVICE_ACCOUNT } : {}),
      queuePrefix: env.DSI_QUEUE_PREFIX ?? 'dsi',
      dispatchDeadlineSeconds: deadline,
      createMissingQueues: env.DSI_CREATE_QUEUES !== 'false',
    },
    tables: loadTables(env),
    undeclaredTables,
    ...(env.DSI_WRITE_MODE?.trim() ? { writeMode: env.DSI_WRITE_MODE.trim() } : {}),
    readLimits: loadReadLimits(env),
    emulators: {
      ...(env.DSI_STORAGE_ENDPOINT ? { storage: env.DSI_STORAGE_ENDPOINT } : {}),
      ...(env.DSI_CLOUD_TASKS_ENDPOINT ? { cloudTasks: env.DSI_CLOUD_TASKS_ENDPOINT } : {}),
    },
  };
}

/**
 * A declaration's table properties (`properties`, string values) and write mode (`write_mode` or
 * `writeMode`), as written: shapes are checked here, values where the table is created
 * (shared/pipeline/declared-properties.ts).
 */
function declaredProperties(
  entry: { properties?: unknown; write_mode?: unknown; writeMode?: unknown },
  where: string,
): Pick<TableDefinition, 'properties' | 'writeMode'> {
  const raw = entry.properties;
  const mode = entry.write_mode ?? entry.writeMode;
  if (
    raw !== undefined &&
    (typeof raw !== 'object' ||
      raw === null ||
      Array.isArray(raw) ||
      !Object.values(raw).every((v) => typeof v === 'string'))
  )
    throw new ConfigError(`${where}.properties must be an object of string values`);
  if (mode !== undefined && typeof mode !== 'string')
    throw new ConfigError(`${where}.write_mode must be a string, not ${JSON.stringify(mode)}`);
  return {
    ...(raw !== undefined ? { properties: { ...(raw as Record<string, string>) } } : {}),
    ...(mode !== undefined ? { writeMode: mode } : {}),
  };
}
