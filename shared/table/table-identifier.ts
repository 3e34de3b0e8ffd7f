// The one place a table's key (`schema.table`, how change-sets, leases and logs name it) turns into the
// catalog's identifier and back.

import type { TableIdentifier } from '../ports/catalog.js';

export function tableIdentifier(table: string): TableIdentifier {
  const dot = table.indexOf('.');
  if (dot <= 0) throw new Error(`table key "${table}" is not schema.table`);
  return { namespace: [table.slice(0, dot)], name: table.slice(dot + 1) };
}

/** The key of a catalog identifier, as tableIdentifier reads it. */
export function tableName(id: TableIdentifier): string {
  return `${id.namespace.join('.')}.${id.name}`;
}
