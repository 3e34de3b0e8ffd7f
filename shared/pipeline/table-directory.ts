// Where ingest learns a table's columns: a declared definition (config) first, else the table's current
// Iceberg schema in the catalog. Compiled tables are cached per process; the catalog is asked at most once
// per table and run, so a busy ingest does not load metadata for every file.

import type { TableRef } from '../changes/change-event.js';
import { tableKey } from '../changes/change-event.js';
import {
  compileIcebergSchema,
  compileTableDefinition,
  type CompiledTable,
  type TableDefinition,
} from '../datastream/table.js';
import { NoSuchTableError, type Catalog } from '../ports/catalog.js';

/** Table property holding the source PostgreSQL types of columns stored as text (json, uuid, numeric). */
export const PG_TYPES_PROPERTY = 'datastream-iceberg.pg-types';
/** Table property holding the primary key column names, comma-separated. */
export const PRIMARY_KEY_PROPERTY = 'datastream-iceberg.primary-key';

export interface TableDirectory {
  /** The compiled table if already known (synchronous: the reader calls it per event). */
  cached(ref: TableRef): CompiledTable | undefined;
  /** Look the table up in config and catalog; undefined when neither knows it. */
  resolve(ref: TableRef): Promise<CompiledTable | undefined>;
}

export class ConfiguredTableDirectory implements TableDirectory {
  private readonly compiled = new Map<string, CompiledTable>();

  constructor(
    private readonly declared: Record<string, TableDefinition>,
    private readonly catalog?: Catalog,
  ) {}

  cached(ref: TableRef): CompiledTable | undefined {
    const key = tableKey(ref);
    const hit = this.compiled.get(key);
    if (hit) return hit;
    const definition = this.declared[key];
    if (!definition) return undefined;
    const table = compileTableDefinition(ref, definition);
    this.compiled.set(key, table);
    return table;
  }

  async resolve(ref: TableRef): Promise<CompiledTable | undefined> {
    const known = this.cached(ref);
    if (known || !this.catalog) return known;
    try {
      const loaded = await this.catalog.loadTable({ namespace: [ref.schema], name: ref.name });
      const metadata = loaded.metadata;
      const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
      if (!schema) throw new Error(`${tableKey(ref)}: metadata has no current schema`);
      const properties = metadata.properties ?? {};
      const primaryKeys = properties[PRIMARY_KEY_PROPERTY]?.split(',').filter(Boolean);
      const pgTypes = properties[PG_TYPES_PROPERTY]
        ? (JSON.parse(properties[PG_TYPES_PROPERTY]) as Record<string, string>)
        : undefined;
      const table = compileIcebergSchema(ref, schema, { primaryKeys, pgTypes });
      this.compiled.set(tableKey(ref), table);
      return table;
    } catch (error) {
      if (error instanceof NoSuchTableError) return undefined;
      throw error;
    }
  }
}
