// The one place a table's key (how change-sets, leases and logs name it: shared/names/table-key.ts)
// turns into the catalog's identifier and back. The key is parsed, never split at a '.'.

import { catalogIdentifier, parseTableKey, tableKey } from '../names/table-key.js';
import type { TableIdentifier } from '../ports/catalog.js';

/** The catalog identifier of a table key. */
export function tableIdentifier(table: string): TableIdentifier {
  return catalogIdentifier(parseTableKey(table));
}

/** The key of a catalog identifier (its one-level namespace is the schema), as tableIdentifier reads it. */
export function tableName(id: TableIdentifier): string {
  return tableKey({ schema: id.namespace.join('.'), name: id.name });
}
