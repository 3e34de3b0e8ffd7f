// Schema evolution inside a commit: the columns of the change-sets against the table's current schema.
// A new column is added as optional; a type change is allowed only as a safe widening (int→long,
// float→double, a larger decimal precision). Anything else (a narrowing, an incompatible type, a new
// required column that is not nullable) fails with a SchemaEvolutionError naming the column and types.

import type { TableMetadata, TableUpdate } from '../iceberg/spec/metadata-types.js';
import { addOptionalColumn, canPromote, SchemaEvolutionError, widenColumn } from '../iceberg/spec/schema.js';
import { currentSchema } from '../iceberg/spec/metadata-access.js';
import type { IcebergType, PrimitiveType, Schema } from '../iceberg/spec/types.js';

export interface EvolvedSchema {
  /** The metadata as it will be once the updates are applied (used to write the files). */
  metadata: TableMetadata;
  /** add-schema + set-current-schema, or nothing when the schema is unchanged. */
  updates: TableUpdate[];
  added: string[];
  widened: string[];
}

export function evolveSchema(metadata: TableMetadata, incoming: Schema, table: string): EvolvedSchema {
  let schema = currentSchema(metadata);
  let lastColumnId = metadata['last-column-id'];
  const added: string[] = [];
  const widened: string[] = [];
  for (const field of incoming.fields) {
    const existing = schema.fields.find((f) => f.name === field.name);
    if (!existing) {
      const next = addOptionalColumn(schema, lastColumnId, { name: field.name, type: field.type });
      schema = next.schema;
      lastColumnId = next.lastColumnId;
      added.push(field.name);
      continue;
    }
    if (sameType(existing.type, field.type)) continue;
    if (canPromote(existing.type, field.type) && typeof field.type === 'string') {
      schema = widenColumn(schema, field.name, field.type as PrimitiveType);
      widened.push(field.name);
      continue;
    }
    // The table may already be wider than the change-set (an older file read after a widening).
    if (canPromote(field.type, existing.type)) continue;
    throw new SchemaEvolutionError(
      `table ${table}: column "${field.name}" is ${JSON.stringify(existing.type)} in the table but ` +
        `${JSON.stringify(field.type)} in the changes; only new optional columns and int→long, ` +
        'float→double, larger decimal precision are applied automatically',
    );
  }
  if (added.length === 0 && widened.length === 0) return { metadata, updates: [], added, widened };
  // one new schema for the whole commit, whatever number of steps produced it
  const newSchema: Schema = { ...schema, 'schema-id': nextSchemaId(metadata) };
  return {
    metadata: {
      ...metadata,
      schemas: [...metadata.schemas, newSchema],
      'current-schema-id': newSchema['schema-id'],
      'last-column-id': lastColumnId,
    },
    updates: [
      { action: 'add-schema', schema: newSchema, 'last-column-id': lastColumnId },
      { action: 'set-current-schema', 'schema-id': -1 },
    ],
    added,
    widened,
  };
}

/** Equal types, nested field ids aside (the table assigns its own ids). */
function sameType(a: IcebergType, b: IcebergType): boolean {
  const strip = (_key: string, value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).filter(([k]) => !/(^|-)id$/.test(k)))
      : value;
  return JSON.stringify(a, strip) === JSON.stringify(b, strip);
}

function nextSchemaId(metadata: TableMetadata): number {
  return Math.max(...metadata.schemas.map((s) => s['schema-id'])) + 1;
}
