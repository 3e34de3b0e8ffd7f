// The Iceberg catalog: the REST catalog (BigLake, or the reference server in tests) or the embedded
// SQLite catalog in the JDBC catalog schema. A commit is atomic: requirements are checked against the
// current metadata and the updates applied, or nothing happens.

import type { TableMetadata, TableRequirement, TableUpdate } from '../iceberg/spec/metadata-types.js';
import type { Schema } from '../iceberg/spec/types.js';
import type { PartitionSpec, SortOrder } from '../iceberg/spec/metadata-types.js';

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

export class TableAlreadyExistsError extends Error {
  constructor(public readonly table: TableIdentifier) {
    super(`table already exists: ${[...table.namespace, table.name].join('.')}`);
    this.name = 'TableAlreadyExistsError';
  }
}

export interface Catalog {
  readonly name: string;
  /** Succeeds when the namespace already exists (retried invocations create it again). */
  createNamespace(namespace: string[], properties?: Record<string, string>): Promise<void>;
  namespaceExists(namespace: string[]): Promise<boolean>;
  /** Every namespace of the catalog (top level and below), sorted. */
  listNamespaces(): Promise<string[][]>;
  listTables(namespace: string[]): Promise<TableIdentifier[]>;
  /** Throws TableAlreadyExistsError when the name is taken. Field ids are assigned afresh (1..n). */
  createTable(namespace: string[], request: CreateTableRequest): Promise<LoadedTable>;
  /** Throws NoSuchTableError when absent. */
  loadTable(table: TableIdentifier): Promise<LoadedTable>;
  /**
   * Throws CommitConflictError when a requirement fails, CommitStateUnknownError when the outcome is
   * unknown (see resolveUnknownCommit), NoSuchTableError when the table is gone.
   */
  commitTable(
    table: TableIdentifier,
    requirements: TableRequirement[],
    updates: TableUpdate[],
  ): Promise<LoadedTable>;
  /** Removes the table from the catalog; its files stay (no purge). */
  dropTable(table: TableIdentifier): Promise<void>;
}
