// What the command line shows of a table, through the pipeline so it needs no Iceberg or copy-on-write
// module of its own: a table described from its metadata alone (`tables describe`), its current rows in
// the canonical row form (`show`), and the snapshot facts `status` reports.

import { compareKey } from '../cow/keys.js';
import { newestSourceTsOf } from '../iceberg/newest-source-ts.js';
import { ENGINE_COLUMNS } from '../cow/order-columns.js';

export { EVENT_UUID_COLUMN } from '../cow/order-columns.js';
import { canonicalRowText } from '../datastream/canonical-form.js';
import type { Snapshot, TableMetadata } from '../iceberg/spec/metadata-types.js';
import { currentSnapshot } from '../iceberg/spec/snapshot.js';
import { parseDecimal, type IcebergType } from '../iceberg/spec/types.js';
import { currentSchema, defaultSpec } from '../iceberg/spec/metadata-access.js';
import { readTableRows } from '../iceberg/table-files.js';
import { NoSuchTableError, type Catalog } from '../ports/catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import { ConfiguredTableDirectory } from './table-directory.js';
import { PG_TYPES_PROPERTY, PRIMARY_KEY_PROPERTY, writeModeOf } from '../iceberg/table-properties.js';

export type { Snapshot };
/** The entry points name a table by its key; the one conversion to the catalog's identifier. */
export { tableIdentifier, tableName } from '../table/table-identifier.js';

export interface ColumnDescription {
  id: number;
  name: string;
  required: boolean;
  iceberg: string;
  /** The source type: as recorded by the table for text-stored columns, else the type that maps here. */
  postgres: string | null;
  /** True for the engine's columns: order columns, event uuid (not source columns). */
  engine: boolean;
}

export interface TableDescription {
  table: string;
  location: string;
  formatVersion: number;
  tableUuid: string;
  columns: ColumnDescription[];
  primaryKey: string[];
  partitionSpec: Array<{ name: string; transform: string; source: string }>;
  properties: Record<string, string>;
  currentSnapshot: {
    id: string;
    at: string;
    operation: string;
    summary: Record<string, string>;
  } | null;
  dataFiles: number;
  /** Rows in the data files, deleted ones included (`rows - deletedRows` are live). */
  rows: number;
  /** How commits change stored rows (the table's write-mode properties), or the invalid value found. */
  writeMode: string;
  /** Live position delete files and the rows they delete (merge-on-read). */
  deleteFiles: number;
  deletedRows: number;
}

export function icebergTypeText(type: IcebergType): string {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'list':
      return `list<${icebergTypeText(type.element)}>`;
    case 'map':
      return `map<${icebergTypeText(type.key)}, ${icebergTypeText(type.value)}>`;
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}: ${icebergTypeText(f.type)}`).join(', ')}>`;
  }
}

const POSTGRES_OF: Record<string, string> = {
  boolean: 'boolean',
  int: 'integer',
  long: 'bigint',
  float: 'real',
  double: 'double precision',
  date: 'date',
  time: 'time',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  string: 'text',
  uuid: 'uuid',
  binary: 'bytea',
};

/** The PostgreSQL type that maps to an Iceberg type (the inverse of the type table), when there is one. */
export function postgresTypeOf(type: IcebergType): string | null {
  if (typeof type !== 'string') {
    if (type.type !== 'list') return null;
    const element = postgresTypeOf(type.element);
    return element === null ? null : `${element}[]`;
  }
  const decimal = parseDecimal(type);
  if (decimal) return `numeric(${decimal.precision},${decimal.scale})`;
  return POSTGRES_OF[type] ?? null;
}

export function describeTable(table: string, metadata: TableMetadata): TableDescription {
  const schema = currentSchema(metadata);
  const properties = metadata.properties ?? {};
  const recorded = properties[PG_TYPES_PROPERTY]
    ? (JSON.parse(properties[PG_TYPES_PROPERTY]) as Record<string, string>)
    : {};
  const engine = new Set<string>(ENGINE_COLUMNS);
  const identifiers = new Set(schema['identifier-field-ids'] ?? []);
  const primaryKey =
    properties[PRIMARY_KEY_PROPERTY]?.split(',').filter(Boolean) ??
    schema.fields.filter((f) => identifiers.has(f.id)).map((f) => f.name);
  const nameOf = new Map(schema.fields.map((f) => [f.id, f.name]));
  const snapshot = currentSnapshot(metadata);
  const summary: Record<string, string> = snapshot ? { ...snapshot.summary } : {};
  return {
    table,
    location: metadata.location,
    formatVersion: metadata['format-version'],
    tableUuid: metadata['table-uuid'],
    columns: schema.fields.map((f) => ({
      id: f.id,
      name: f.name,
      required: f.required,
      iceberg: icebergTypeText(f.type),
      postgres: engine.has(f.name) ? null : (recorded[f.name] ?? postgresTypeOf(f.type)),
      engine: engine.has(f.name),
    })),
    primaryKey,
    partitionSpec: defaultSpec(metadata).fields.map((p) => ({
      name: p.name,
      transform: p.transform,
      source: nameOf.get(p['source-id']) ?? `#${p['source-id']}`,
    })),
    properties: { ...properties },
    currentSnapshot: snapshot
      ? {
          id: String(snapshot['snapshot-id']),
          at: new Date(Number(snapshot['timestamp-ms'])).toISOString(),
          operation: String(summary.operation ?? ''),
          summary,
        }
      : null,
    dataFiles: Number(summary['total-data-files'] ?? 0),
    rows: Number(summary['total-records'] ?? 0),
    writeMode: describedWriteMode(properties),
    deleteFiles: Number(summary['total-delete-files'] ?? 0),
    deletedRows: Number(summary['total-position-deletes'] ?? 0),
  };
}

const ENGINE = new Set<string>(ENGINE_COLUMNS);

function describedWriteMode(properties: Record<string, string>): string {
  try {
    return writeModeOf(properties);
  } catch (error) {
    return `invalid: ${(error as Error).message}`;
  }
}

/**
 * A table's current rows in the canonical row form, sorted by primary key (a table without one by the
 * row text), with the engine's columns (order, event uuid) left out: what `show` prints and tests compare.
 */
export async function canonicalTableRows(
  catalog: Catalog,
  objects: ObjectStore,
  table: { namespace: string; name: string },
): Promise<string[]> {
  const ref = { schema: table.namespace, name: table.name };
  const id = { namespace: [table.namespace], name: table.name };
  // the directory compiles the table from its catalog schema and properties (key, source types)
  const compiled = await new ConfiguredTableDirectory({}, catalog).resolve(ref);
  if (!compiled) throw new NoSuchTableError(id);
  const { metadata } = await catalog.loadTable(id);
  const columns = compiled.columns.filter((c) => !ENGINE.has(c.name));
  const rows = await readTableRows(
    metadata,
    objects,
    columns.map((c) => c.field),
  );
  const keyed = rows.map((row) => ({
    key: compiled.keyColumns.map((c) => row[c.name] ?? null),
    text: canonicalRowText(columns, row),
  }));
  keyed.sort((a, b) => compareKey(a.key, b.key) || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  return keyed.map((r) => r.text);
}

/** The table's current snapshot, if it has one. */
export function tableSnapshot(metadata: TableMetadata): Snapshot | undefined {
  return currentSnapshot(metadata);
}

/**
 * The newest source timestamp (ms since the epoch, as text) the table has applied: its current snapshot's,
 * else the nearest ancestor's that records it (a compaction's `replace` snapshot applies no change).
 */
export function newestSourceTs(metadata: TableMetadata): string | undefined {
  return newestSourceTsOf(metadata);
}
