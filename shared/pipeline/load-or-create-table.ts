// The table a commit builds on: loaded from the catalog, or created on first use from the first
// change-set's schema plus the order columns (another run creating it first is fine).

import type { TableMetadata } from '../iceberg/spec/metadata-types.js';
import {
  NoSuchTableError,
  TableAlreadyExistsError,
  type Catalog,
  type LoadedTable,
  type TableIdentifier,
} from '../ports/catalog.js';
import { PRIMARY_KEY_PROPERTY } from '../iceberg/table-properties.js';
import type { LoadedChangeset } from './changeset-batch.js';
import type { TableDirectory } from './table-directory.js';
import { engineTableRequest } from './table-request.js';
import { withCreationProperties } from './declared-properties.js';

export async function loadOrCreateTable(
  deps: { catalog: Catalog; tables?: TableDirectory },
  id: TableIdentifier,
  first: LoadedChangeset,
): Promise<LoadedTable> {
  try {
    return await deps.catalog.loadTable(id);
  } catch (error) {
    if (!(error instanceof NoSuchTableError)) throw error;
  }
  const info = first.decoded.info;
  // The change-set says which source types its values were coerced with; an older one does not, and
  // the directory (config) tells them instead.
  const columns = info.sourceTypes
    ? Object.entries(info.sourceTypes).map(([name, pgType]) => ({ name, pgType }))
    : deps.tables
      ? ((await deps.tables.resolve(info.table))?.columns ?? [])
      : [];
  // with the declared properties and write mode (or the runtime's default mode)
  const request = withCreationProperties(
    engineTableRequest(id.name, info.schema, info.primaryKeys, columns, info.learntFrom),
    deps.tables?.creationProperties?.(info.table),
  );
  await deps.catalog.createNamespace(id.namespace);
  try {
    return await deps.catalog.createTable(id.namespace, request);
  } catch (error) {
    if (error instanceof TableAlreadyExistsError) return deps.catalog.loadTable(id);
    throw error;
  }
}

/** The table's primary key columns (its property), else the change-set's. */
export function primaryKeysOf(metadata: TableMetadata, fallback: string[]): string[] {
  const property = metadata.properties?.[PRIMARY_KEY_PROPERTY];
  return property === undefined ? fallback : property.split(',').filter(Boolean);
}
