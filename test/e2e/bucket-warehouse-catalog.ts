// The REST catalog as a deployment with a bucket warehouse sees it: a table created without a location is
// placed in the bucket, at <root>/<namespace>/<table>. BigLake does this itself (its warehouse is
// gs://bucket); the reference catalog of the test stack keeps its default warehouse in a local folder and
// its JDBC backend ignores a namespace's `location`, so the end-to-end tests name the gs:// location the
// way a bucket catalog would. Everything else goes to the real catalog unchanged.

import type {
  Catalog,
  CreateTableRequest,
  LoadedTable,
  TableIdentifier,
} from '../../shared/ports/catalog.js';
import type { TableRequirement, TableUpdate } from '../../shared/iceberg/spec/metadata-types.js';

export class BucketWarehouseCatalog implements Catalog {
  readonly name: string;

  constructor(
    private readonly catalog: Catalog,
    /** gs://bucket/prefix under which tables are created. */
    private readonly root: string,
  ) {
    this.name = catalog.name;
  }

  tableLocation(namespace: string[], name: string): string {
    return `${this.root}/${namespace.join('/')}/${name}`;
  }

  createTable(namespace: string[], request: CreateTableRequest): Promise<LoadedTable> {
    return this.catalog.createTable(namespace, {
      ...request,
      location: request.location ?? this.tableLocation(namespace, request.name),
    });
  }

  createNamespace(namespace: string[], properties?: Record<string, string>): Promise<void> {
    return this.catalog.createNamespace(namespace, properties);
  }

  namespaceExists(namespace: string[]): Promise<boolean> {
    return this.catalog.namespaceExists(namespace);
  }

  listNamespaces(): Promise<string[][]> {
    return this.catalog.listNamespaces();
  }

  listTables(namespace: string[]): Promise<TableIdentifier[]> {
    return this.catalog.listTables(namespace);
  }

  loadTable(table: TableIdentifier): Promise<LoadedTable> {
    return this.catalog.loadTable(table);
  }

  commitTable(
    table: TableIdentifier,
    requirements: TableRequirement[],
    updates: TableUpdate[],
  ): Promise<LoadedTable> {
    return this.catalog.commitTable(table, requirements, updates);
  }

  dropTable(table: TableIdentifier): Promise<void> {
    return this.catalog.dropTable(table);
  }
}
