// What `tables describe` reports of a table, read from its metadata alone: the current schema with field
// ids, Iceberg and PostgreSQL types, the primary key, the partition spec, the properties and the current
// snapshot with its file and row counts.

import { ORDER_COLUMNS } from '../../shared/cow/table-properties.js';
import type { TableMetadata } from '../../shared/iceberg/spec/metadata-types.js';
import { currentSnapshot } from '../../shared/iceberg/spec/snapshot.js';
import { currentSchema, defaultSpec } from '../../shared/iceberg/table-writer.js';
import { parseDecimal, type IcebergType } from '../../shared/iceberg/spec/types.js';
import { PG_TYPES_PROPERTY, PRIMARY_KEY_PROPERTY } from '../../shared/pipeline/table-directory.js';

export interface ColumnDescription {
  id: number;
  name: string;
  required: boolean;
  iceberg: string;
  /** The source type: as recorded by the table for text-stored columns, else the type that maps here. */
  postgres: string | null;
  /** True for the engine's order columns (not source columns). */
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
  rows: number;
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
  const engine = new Set<string>(ORDER_COLUMNS);
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
  };
}

export function formatDescription(d: TableDescription): string {
  const lines = [
    `table ${d.table} (Iceberg v${d.formatVersion}, uuid ${d.tableUuid})`,
    `location ${d.location}`,
    '',
    'columns:',
    ...d.columns.map(
      (c) =>
        `  ${String(c.id).padStart(7)}  ${c.name}  ${c.iceberg}${c.required ? ' not null' : ''}` +
        (c.engine ? '  (order column)' : c.postgres ? `  ← postgres ${c.postgres}` : ''),
    ),
    `primary key: ${d.primaryKey.length > 0 ? d.primaryKey.join(', ') : 'none (insert-only)'}`,
    `partition spec: ${
      d.partitionSpec.length > 0
        ? d.partitionSpec.map((p) => `${p.name} = ${p.transform}(${p.source})`).join(', ')
        : 'unpartitioned'
    }`,
    'properties:',
    ...Object.entries(d.properties)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `  ${k} = ${v}`),
    d.currentSnapshot
      ? `current snapshot: ${d.currentSnapshot.id} at ${d.currentSnapshot.at} (${d.currentSnapshot.operation})`
      : 'current snapshot: none',
    `data files: ${d.dataFiles}, rows: ${d.rows}`,
  ];
  return `${lines.join('\n')}\n`;
}
