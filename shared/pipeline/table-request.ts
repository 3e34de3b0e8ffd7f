// The table the engine creates for a source table: the source columns, then the order columns every row
// carries (required) and, without a primary key, the event uuid column, the primary key as identifier fields and as a table property, the source types of
// columns stored as text (json/jsonb, uuid, numeric) as a table property, and the key as write order.
// A table nobody declared also records where its columns came from (Avro schema or JSON inference).
// Used on first commit and by `datastream-iceberg tables create`, so both make the same table.

import { EVENT_UUID_COLUMN, ORDER_COLUMNS } from '../cow/order-columns.js';
import type { ColumnPlan } from '../datastream/table.js';
import { buildSortOrder } from '../iceberg/spec/partitioning.js';
import type { IcebergType, Schema } from '../iceberg/spec/types.js';
import type { CreateTableRequest } from '../ports/catalog.js';
import {
  PG_TYPES_PROPERTY,
  PRIMARY_KEY_PROPERTY,
  SCHEMA_SOURCE_PROPERTY,
} from '../iceberg/table-properties.js';

/** Field ids of the order columns, far above any source column's (the catalog assigns fresh ids anyway). */
const ORDER_FIELD_ID_START = 1_000_000;

export function engineTableRequest(
  name: string,
  source: Schema,
  primaryKeys: readonly string[],
  columns: readonly Pick<ColumnPlan, 'name' | 'pgType'>[] = [],
  learntFrom?: 'avro-schema' | 'json-values',
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
      // an insert-only table keys its rows by the event that wrote them (shared/cow/event-identity.ts)
      ...(primaryKeys.length === 0
        ? [
            {
              id: ORDER_FIELD_ID_START + ORDER_COLUMNS.length,
              name: EVENT_UUID_COLUMN,
              required: false,
              type: 'string' as const,
            },
          ]
        : []),
    ],
  };
  const keyIds = primaryKeys.map((k) => {
    const field = schema.fields.find((f) => f.name === k);
    if (!field) throw new Error(`table ${name}: primary-key column "${k}" is not a column`);
    return field.id;
  });
  if (keyIds.length > 0) schema['identifier-field-ids'] = keyIds;
  const properties: Record<string, string> = { [PRIMARY_KEY_PROPERTY]: primaryKeys.join(',') };
  const pgTypes = textColumnTypes(source, columns);
  if (Object.keys(pgTypes).length > 0) properties[PG_TYPES_PROPERTY] = JSON.stringify(pgTypes);
  if (learntFrom) properties[SCHEMA_SOURCE_PROPERTY] = learntFrom;
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

/** A string, or a list of them (jsonb[], uuid[] and numeric[] need their source type as much). */
function storesText(type: IcebergType): boolean {
  return type === 'string' || (typeof type === 'object' && type.type === 'list' && storesText(type.element));
}

/** Source types of the schema's columns stored as Iceberg strings (what the pg-types property holds). */
export function textColumnTypes(
  schema: Schema,
  columns: readonly Pick<ColumnPlan, 'name' | 'pgType'>[],
): Record<string, string> {
  const types = new Map(columns.map((c) => [c.name, c.pgType]));
  return Object.fromEntries(
    schema.fields.flatMap((f) => {
      const pgType = types.get(f.name);
      return pgType !== undefined && storesText(f.type) ? [[f.name, pgType]] : [];
    }),
  );
}
