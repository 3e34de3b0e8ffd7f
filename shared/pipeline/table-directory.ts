// Where ingest learns a table's columns: a declared definition (config) first, else the table's current
// Iceberg schema in the catalog, else (unless undeclared tables are rejected) the files themselves: their
// Avro schema or conservative inference from their JSON values (shared/datastream/infer-table.ts).
// Compiled tables are cached per process; the catalog is asked at most once per table and run, so a
// busy ingest does not load metadata for every file.

import type { TableRef } from '../changes/change-event.js';
import { tableKey } from '../changes/change-event.js';
import type { LearntTable } from '../datastream/infer-table.js';
import {
  compileIcebergSchema,
  compileTableDefinition,
  withAddedColumns,
  type CompiledTable,
  type TableDefinition,
} from '../datastream/table.js';
import { NoSuchTableError, type Catalog } from '../ports/catalog.js';
import { isReservedColumn } from '../names/identifier.js';
import type { WriteMode } from '../iceberg/table-properties.js';
import { creationProperties } from './declared-properties.js';
import {
  PG_TYPES_PROPERTY,
  PRIMARY_KEY_PROPERTY,
  SCHEMA_SOURCE_PROPERTY,
} from '../iceberg/table-properties.js';

/** What ingest does with a table neither the config nor the catalog knows. */
export type UndeclaredTables = 'create' | 'reject';

export interface TableDirectory {
  /** The compiled table if already known (synchronous: the reader calls it per event). */
  cached(ref: TableRef): CompiledTable | undefined;
  /** Look the table up in config and catalog; undefined when neither knows it. */
  resolve(ref: TableRef): Promise<CompiledTable | undefined>;
  /** True when the table's columns may be learnt from files: it is not declared, and learning is on. */
  mayLearn(ref: TableRef): boolean;
  /**
   * Take what a file says about an undeclared table: the whole table when none is known, else its
   * new columns (added optional; known columns keep their types). Returns the table as now known.
   */
  learn(ref: TableRef, learnt: LearntTable): CompiledTable;
  /**
   * Table properties to create the table with besides the engine's own: its declared properties and
   * write mode, else the default write mode. Optional: without it a table gets the engine's only.
   */
  creationProperties?(ref: TableRef): Record<string, string>;
}

export interface TableDirectoryOptions {
  /** Default 'create': a table nobody declared is learnt from its files and created on first commit. */
  undeclaredTables?: UndeclaredTables;
  /** Write mode of the tables created (a declared one wins); default: the table properties' default. */
  writeMode?: WriteMode;
}

export class ConfiguredTableDirectory implements TableDirectory {
  private readonly compiled = new Map<string, CompiledTable>();
  private readonly undeclaredTables: UndeclaredTables;

  constructor(
    private readonly declared: Record<string, TableDefinition>,
    private readonly catalog?: Catalog,
    options: TableDirectoryOptions = {},
  ) {
    this.undeclaredTables = options.undeclaredTables ?? 'create';
    this.writeMode = options.writeMode;
    // a wrong property value fails here, when the tables are read, naming table, property and value
    for (const key of Object.keys(declared)) creationProperties(key, declared[key], this.writeMode);
  }

  private readonly writeMode: WriteMode | undefined;

  creationProperties(ref: TableRef): Record<string, string> {
    const key = tableKey(ref);
    return creationProperties(key, this.declaration(key), this.writeMode);
  }

  cached(ref: TableRef): CompiledTable | undefined {
    const key = tableKey(ref);
    const hit = this.compiled.get(key);
    if (hit) return hit;
    const definition = this.declaration(key);
    if (!definition) return undefined;
    const table = compileTableDefinition(ref, definition);
    this.compiled.set(key, table);
    return table;
  }

  /** The declared definition under a canonical table key (own keys only: the record is plain). */
  private declaration(key: string): TableDefinition | undefined {
    return Object.hasOwn(this.declared, key) ? this.declared[key] : undefined;
  }

  mayLearn(ref: TableRef): boolean {
    return this.undeclaredTables === 'create' && this.declaration(tableKey(ref)) === undefined;
  }

  learn(ref: TableRef, learnt: LearntTable): CompiledTable {
    if (!this.mayLearn(ref))
      throw new Error(`table ${tableKey(ref)} is declared: it is not learnt from files`);
    const key = tableKey(ref);
    const known = this.compiled.get(key);
    const table = known
      ? withAddedColumns(known, learnt.columns)
      : compileTableDefinition(
          ref,
          { columns: learnt.columns, primaryKeys: learnt.primaryKeys },
          learnt.source,
        );
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
      const source = properties[SCHEMA_SOURCE_PROPERTY];
      const learntFrom = source === 'avro-schema' || source === 'json-values' ? source : undefined;
      // The columns this pipeline adds (_cdc_…) are not source columns: a payload naming one must fail
      // its file (shared/names/identifier.ts), not overwrite the order key or be dropped unseen.
      const sourceSchema = { ...schema, fields: schema.fields.filter((f) => !isReservedColumn(f.name)) };
      const table = compileIcebergSchema(ref, sourceSchema, { primaryKeys, pgTypes, learntFrom });
      // A concurrent learn() of this table in this process may have got there first: keep the wider.
      const current = this.compiled.get(tableKey(ref));
      const kept = current ? withAddedColumns(table, columnsOf(current)) : table;
      this.compiled.set(tableKey(ref), kept);
      return kept;
    } catch (error) {
      if (error instanceof NoSuchTableError) return undefined;
      throw error;
    }
  }
}

/** A compiled table's columns as [name, PostgreSQL type] pairs (columns with no source type as text). */
function columnsOf(table: CompiledTable): Array<[string, string]> {
  return table.columns.map((c) => [c.name, c.pgType ?? 'unknown']);
}
