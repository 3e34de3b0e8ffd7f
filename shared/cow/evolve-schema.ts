// Schema evolution inside a commit: the columns of the change-sets against the table's current schema.
// A new column is added as optional; a type change is allowed only as a safe widening (int→long,
// float→double, a larger decimal precision). Anything else (a declared narrowing, an incompatible type, a
// new required column that is not nullable) fails with a SchemaEvolutionError naming the column and types.
// A column narrower than the table's in a change-set learnt from its file is an older file read after a
// widening, and is accepted.

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

export interface EvolveOptions {
  /**
   * The change-set's columns were learnt from its file (an Avro schema, JSON values): a column narrower
   * than the table's is an older file read after a widening, and its values fit. Otherwise the columns
   * are declared, and a declaration narrower than the stored column fails.
   */
  learnt?: boolean;
}

export function evolveSchema(
  metadata: TableMetadata,
  incoming: Schema,
  table: string,
  options: EvolveOptions = {},
): EvolvedSchema {
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
    if (canPromote(field.type, existing.type)) {
      // The table may already be wider than the change-set (an older file read after a widening).
      if (options.learnt) continue;
      throw new SchemaEvolutionError(
        `table ${table}: column "${field.name}" is stored as ${JSON.stringify(existing.type)} but declared ` +
          `as ${JSON.stringify(field.type)}; a declaration cannot narrow a stored column: declare it as ` +
          `${JSON.stringify(existing.type)} or wider`,
      );
    }
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

/**
 * A change-set keyed by other columns than the table (the source's primary key changed, or the
 * declaration did): its keys cannot be matched with the stored rows, so the table fails with both keys.
 */
export function checkPrimaryKey(stored: readonly string[], incoming: readonly string[], table: string): void {
  if (stored.length === incoming.length && stored.every((c, i) => c === incoming[i])) return;
  const show = (key: readonly string[]) => (key.length > 0 ? `(${key.join(', ')})` : 'none (insert-only)');
  throw new SchemaEvolutionError(
    `table ${table}: the primary key changed from ${show(stored)} to ${show(incoming)}; a table's key ` +
      'cannot change: declare the table with its stored key, or create a new table for the new key',
  );
}
