// The table the engine creates for a source table: the source columns, then the order columns every row
// carries (required), the primary key as identifier fields and as a table property, the source types of
// columns stored as text (json/jsonb, uuid, numeric) as a table property, and the key as write order.
// Used on first commit and by `datastream-iceberg tables create`, so both make the same table.

import { ORDER_COLUMNS } from '../cow/table-properties.js';
import type { ColumnPlan } from '../datastream/table.js';
import { buildSortOrder } from '../iceberg/partitioning.js';
import type { Schema } from '../iceberg/types.js';
import type { CreateTableRequest } from '../ports/catalog.js';
import { PG_TYPES_PROPERTY, PRIMARY_KEY_PROPERTY } from './table-directory.js';

/** Field ids of the order columns, far above any source column's (the catalog assigns fresh ids anyway). */
const ORDER_FIELD_ID_START = 1_000_000;

export function engineTableRequest(
  name: string,
  source: Schema,
  primaryKeys: readonly string[],
  columns: readonly ColumnPlan[] = [],
): CreateTableRequest {
  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      ...source.fields,
      ...ORDER_COLUMNS.map((column, i) => ({
        id: ORDER_FIELD_ID_START + i,
        name: column,
        required: true,
        type: 'long' as const,
      })),
    ],
  };
  const keyIds = primaryKeys.map((k) => {
    const field = schema.fields.find((f) => f.name === k);
    if (!field) throw new Error(`table ${name}: primary-key column "${k}" is not a column`);
    return field.id;
  });
  if (keyIds.length > 0) schema['identifier-field-ids'] = keyIds;
  const properties: Record<string, string> = { [PRIMARY_KEY_PROPERTY]: primaryKeys.join(',') };
  const pgTypes = Object.fromEntries(
    columns
      .filter((c) => c.pgType !== undefined && c.field.type === 'string')
      .map((c) => [c.name, c.pgType!]),
  );
  if (Object.keys(pgTypes).length > 0) properties[PG_TYPES_PROPERTY] = JSON.stringify(pgTypes);
  return {
    name,
    schema,
    'write-order': buildSortOrder(
      schema,
      primaryKeys.map((column) => ({ source: column })),
    ),
    properties,
  };
}
