// The Iceberg catalog: the REST catalog (BigLake, or the reference server in tests) or the embedded
// SQLite catalog in the JDBC catalog schema. A commit is atomic: requirements are checked against the
// current metadata and the updates applied, or nothing happens.

import type { TableMetadata, TableRequirement, TableUpdate } from '../iceberg/metadata-types.js';
import type { Schema } from '../iceberg/types.js';
import type { PartitionSpec, SortOrder } from '../iceberg/metadata-types.js';

export interface TableIdentifier {
  namespace: string[];
  name: string;
}

export interface LoadedTable {
  metadataLocation: string;
  metadata: TableMetadata;
}

export interface CreateTableRequest {
  name: string;
  schema: Schema;
  location?: string;
  'partition-spec'?: PartitionSpec;
  'write-order'?: SortOrder;
  properties?: Record<string, string>;
}

/** A requirement failed (409 on REST; the compare-and-swap lost on SQLite): reload and redo. */
export class CommitConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommitConflictError';
  }
}

/** The catalog may or may not have applied the commit (5xx, timeout): resolve before anything else. */
export class CommitStateUnknownError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CommitStateUnknownError';
  }
}

export class NoSuchTableError extends Error {
  constructor(public readonly table: TableIdentifier) {
    super(`no such table: ${[...table.namespace, table.name].join('.')}`);
    this.name = 'NoSuchTableError';
  }
}

export interface Catalog {
  readonly name: string;
  createNamespace(namespace: string[], properties?: Record<string, string>): Promise<void>;
  namespaceExists(namespace: string[]): Promise<boolean>;
  listTables(namespace: string[]): Promise<TableIdentifier[]>;
  createTable(namespace: string[], request: CreateTableRequest): Promise<LoadedTable>;
  /** Throws NoSuchTableError when absent. */
  loadTable(table: TableIdentifier): Promise<LoadedTable>;
  commitTable(
    table: TableIdentifier,
    requirements: TableRequirement[],
    updates: TableUpdate[],
  ): Promise<LoadedTable>;
  dropTable(table: TableIdentifier): Promise<void>;
}
