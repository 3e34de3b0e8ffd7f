// The embedded Iceberg catalog: one SQLite file in the JDBC catalog schema (the tables and columns of
// Iceberg Java's JdbcCatalog and PyIceberg's SqlCatalog), so both open our warehouse as their own.
// A commit applies the updates to the current metadata, writes the next metadata file and swaps the
// pointer with UPDATE … WHERE metadata_location = <the one we read>: zero rows means another writer won.

import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import {
  CommitConflictError,
  CommitStateUnknownError,
  NoSuchTableError,
  TableAlreadyExistsError,
  type Catalog,
  type CreateTableRequest,
  type LoadedTable,
  type TableIdentifier,
} from '../../ports/catalog.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { TableMetadata, TableRequirement, TableUpdate } from '../../iceberg/spec/metadata-types.js';
import { parseJson, stringifyJson } from '../../iceberg/spec/metadata-json.js';
import { identifierFolder } from '../../names/storage-path.js';
import { applyCommit, RequirementFailedError } from '../../iceberg/spec/metadata-updates.js';
import { newTableMetadata } from '../../iceberg/spec/new-table-metadata.js';
import { SQLITE_BUSY_TIMEOUT_MS } from './sqlite-state-store.js';

// The DDL SQLAlchemy emits for PyIceberg 0.12's SqlCatalog (schema "v1", with iceberg_type), which is
// also Iceberg Java's JdbcCatalog V1 schema. PyIceberg detects v1 by the iceberg_type column.
const SCHEMA_DDL = `
CREATE TABLE IF NOT EXISTS iceberg_tables (
  catalog_name VARCHAR(255) NOT NULL,
  table_namespace VARCHAR(255) NOT NULL,
  table_name VARCHAR(255) NOT NULL,
  metadata_location VARCHAR(1000),
  previous_metadata_location VARCHAR(1000),
  iceberg_type VARCHAR(5),
  PRIMARY KEY (catalog_name, table_namespace, table_name)
);
CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
  catalog_name VARCHAR(255) NOT NULL,
  namespace VARCHAR(255) NOT NULL,
  property_key VARCHAR(255) NOT NULL,
  property_value VARCHAR(1000) NOT NULL,
  PRIMARY KEY (catalog_name, namespace, property_key)
);
`;

const TABLE_TYPE = 'TABLE';
// Both JdbcCatalog and SqlCatalog mark a namespace created without properties with this one.
const MINIMAL_NAMESPACE_PROPERTIES = { exists: 'true' };

export interface SqliteCatalogOptions {
  /** Path of the SQLite file, or an open database (e.g. shared with the state store). */
  database: string | Database.Database;
  /** Folder (absolute path or file:// URL) or gs:// prefix under which tables get their location. */
  warehouse: string;
  /** Where metadata files are written and read. */
  objectStore: ObjectStore;
  /** catalog_name column value; JdbcCatalog and SqlCatalog must be opened with the same name. */
  catalogName?: string;
}

interface TableRow {
  metadata_location: string | null;
}

export class SqliteCatalog implements Catalog {
  readonly name: string;
  private readonly db: Database.Database;
  private readonly warehouse: string;
  private readonly store: ObjectStore;

  constructor(options: SqliteCatalogOptions) {
    this.name = options.catalogName ?? 'default';
    this.db = typeof options.database === 'string' ? new Database(options.database) : options.database;
    // wait for another process's write transaction instead of failing at once (set before the switch
    // to WAL, which itself takes a lock)
    this.db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    // WAL: readers never block our compare-and-swap. Iceberg Java's JdbcCatalog keeps a read lock open
    // on its pooled connection after a load, which in the default rollback journal makes every other
    // writer fail with SQLITE_BUSY. The mode is stored in the file, so it holds for every opener.
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA_DDL);
    // A catalog made by older JdbcCatalog/SqlCatalog versions (schema "v0") lacks iceberg_type; add it as
    // their own v1 migration does. Rows without a type (NULL) are tables for every reader.
    const columns = this.db.prepare(`PRAGMA table_info(iceberg_tables)`).all() as { name: string }[];
    if (!columns.some((column) => column.name === 'iceberg_type')) {
      this.db.exec(`ALTER TABLE iceberg_tables ADD COLUMN iceberg_type VARCHAR(5)`);
    }
    this.warehouse = options.warehouse.replace(/\/+$/, '');
    this.store = options.objectStore;
  }

  close(): void {
    this.db.close();
  }

  async createNamespace(namespace: string[], properties: Record<string, string> = {}): Promise<void> {
    const ns = namespaceName(namespace);
    const entries = Object.entries(
      Object.keys(properties).length ? properties : MINIMAL_NAMESPACE_PROPERTIES,
    );
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value)
       VALUES (?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const [key, value] of entries) insert.run(this.name, ns, key, value);
    })();
  }

  async namespaceExists(namespace: string[]): Promise<boolean> {
    const ns = namespaceName(namespace);
    // as in SqlCatalog: a namespace exists if it has properties or holds tables (itself or below it)
    const like = `${ns.replace(/[!_%]/g, (c) => `!${c}`)}.%`;
    const hit =
      this.db
        .prepare(
          `SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ?
             AND (namespace = ? OR namespace LIKE ? ESCAPE '!') LIMIT 1`,
        )
        .get(this.name, ns, like) ??
      this.db
        .prepare(
          `SELECT 1 FROM iceberg_tables WHERE catalog_name = ?
             AND (table_namespace = ? OR table_namespace LIKE ? ESCAPE '!') LIMIT 1`,
        )
        .get(this.name, ns, like);
    return hit !== undefined;
  }

  async listNamespaces(): Promise<string[][]> {
    const rows = this.db
      .prepare(
        `SELECT namespace AS ns FROM iceberg_namespace_properties WHERE catalog_name = ?
         UNION SELECT table_namespace AS ns FROM iceberg_tables WHERE catalog_name = ? ORDER BY ns`,
      )
      .all(this.name, this.name) as { ns: string }[];
    return rows.map((row) => row.ns.split('.'));
  }

  async listTables(namespace: string[]): Promise<TableIdentifier[]> {
    const rows = this.db
      .prepare(
        `SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?
           AND (iceberg_type = ? OR iceberg_type IS NULL) ORDER BY table_name`,
      )
      .all(this.name, namespaceName(namespace), TABLE_TYPE) as { table_name: string }[];
    return rows.map((row) => ({ namespace: [...namespace], name: row.table_name }));
  }

  async createTable(namespace: string[], request: CreateTableRequest): Promise<LoadedTable> {
    const table = { namespace: [...namespace], name: request.name };
    if (!(await this.namespaceExists(namespace))) {
      throw new Error(`namespace does not exist: ${namespaceName(namespace)}`);
    }
    if (this.row(table)) throw new TableAlreadyExistsError(table);
    const location = request.location ?? identifierFolder(this.warehouse, namespace, request.name);
    const metadata = newTableMetadata(request, { location });
    const metadataLocation = metadataFileLocation(metadata, 0);
    await this.writeMetadata(metadataLocation, metadata);
    try {
      this.db
        .prepare(
          `INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location,
             previous_metadata_location, iceberg_type) VALUES (?, ?, ?, ?, NULL, ?)`,
        )
        .run(this.name, namespaceName(namespace), request.name, metadataLocation, TABLE_TYPE);
    } catch (error) {
      await this.store.delete(metadataLocation);
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new TableAlreadyExistsError(table);
      }
      throw error;
    }
    return { metadataLocation, metadata };
  }

  async loadTable(table: TableIdentifier): Promise<LoadedTable> {
    const metadataLocation = this.row(table)?.metadata_location;
    if (!metadataLocation) throw new NoSuchTableError(table);
    return { metadataLocation, metadata: await this.readMetadata(metadataLocation) };
  }

  async commitTable(
    table: TableIdentifier,
    requirements: TableRequirement[],
    updates: TableUpdate[],
  ): Promise<LoadedTable> {
    const base = await this.loadTable(table);
    let metadata: TableMetadata;
    try {
      metadata = applyCommit(base.metadata, requirements, updates, {
        previousMetadataLocation: base.metadataLocation,
      });
    } catch (error) {
      if (error instanceof RequirementFailedError) throw new CommitConflictError(error.message);
      throw error;
    }
    if (metadata === base.metadata) return base;
    const metadataLocation = metadataFileLocation(metadata, metadataVersion(base.metadataLocation) + 1);
    await this.writeMetadata(metadataLocation, metadata);
    let swapped: Database.RunResult;
    try {
      swapped = this.db
        .prepare(
          `UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ?
             WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?`,
        )
        .run(
          metadataLocation,
          base.metadataLocation,
          this.name,
          namespaceName(table.namespace),
          table.name,
          base.metadataLocation,
        );
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? '');
      if (code.startsWith('SQLITE_BUSY')) {
        // the write lock was never obtained, so the pointer did not move: nothing refers to the new file
        await this.store.delete(metadataLocation);
        throw error;
      }
      // an I/O error during the write may or may not have been committed: keep the file, resolve first
      throw new CommitStateUnknownError(`commit of ${metadataLocation} failed: ${code || String(error)}`, {
        cause: error,
      });
    }
    if (swapped.changes === 0) {
      // certain failure: nobody points at the file we wrote, so it can go
      await this.store.delete(metadataLocation);
      throw new CommitConflictError(
        `table ${[...table.namespace, table.name].join('.')} was updated by another writer since ${base.metadataLocation}`,
      );
    }
    return { metadataLocation, metadata };
  }

  async dropTable(table: TableIdentifier): Promise<void> {
    const result = this.db
      .prepare(`DELETE FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?`)
      .run(this.name, namespaceName(table.namespace), table.name);
    if (result.changes === 0) throw new NoSuchTableError(table);
  }

  private row(table: TableIdentifier): TableRow | undefined {
    return this.db
      .prepare(
        `SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?
           AND table_name = ? AND (iceberg_type = ? OR iceberg_type IS NULL)`,
      )
      .get(this.name, namespaceName(table.namespace), table.name, TABLE_TYPE) as TableRow | undefined;
  }

  private async readMetadata(location: string): Promise<TableMetadata> {
    const bytes = await this.store.get(location);
    return parseJson<TableMetadata>(new TextDecoder().decode(bytes), location);
  }

  private async writeMetadata(location: string, metadata: TableMetadata): Promise<void> {
    await this.store.put(location, new TextEncoder().encode(stringifyJson(metadata)), {
      ifAbsent: true,
      contentType: 'application/json',
    });
  }
}

/** Namespaces are stored dot-joined, as JdbcCatalog and SqlCatalog do. */
function namespaceName(namespace: string[]): string {
  if (namespace.length === 0) throw new RangeError('a namespace needs at least one level');
  return namespace.join('.');
}

/** `<table>/metadata/00001-<uuid>.metadata.json`, the naming of Java and PyIceberg. */
function metadataFileLocation(metadata: TableMetadata, version: number): string {
  return `${metadata.location}/metadata/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
}

/** The version number of a metadata file name, or -1 when it does not follow the naming. */
function metadataVersion(location: string): number {
  const match = /\/(\d+)-[^/]*\.metadata\.json$/.exec(location);
  return match ? Number(match[1]) : -1;
}
