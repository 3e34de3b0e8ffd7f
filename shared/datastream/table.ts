// What ingest needs to know about a target table: its Iceberg schema (with field ids, for the typed
// change-set), its primary key, and one coercer per column. Built once per table from either a
// PostgreSQL-style definition (as in a config file) or an Iceberg schema (as loaded from the catalog).

import type { TableRef } from '../changes/change-event.js';
import { postgresToIceberg } from './postgres-types.js';
import type { IcebergType, NestedField, Schema } from '../iceberg/spec/types.js';
import { newRow, type Row } from '../iceberg/spec/values.js';
import { expectedTypeName, makeCoercer, type Coercer } from './coerce.js';

/** A table as declared in config: PostgreSQL column types in source order, and the primary key. */
export interface TableDefinition {
  columns: Array<[name: string, pgType: string]>;
  primaryKeys: string[];
  /** Table properties set when the table is created. */
  properties?: Record<string, string>;
  /** The write mode of the table when created (copy-on-write, merge-on-read, auto), as declared. */
  writeMode?: string;
}

export interface ColumnPlan {
  name: string;
  field: NestedField;
  pgType: string | undefined;
  /** For messages: `numeric(10,2) (Iceberg decimal(10, 2))`. */
  expected: string;
  coerce: Coercer;
}

/** Scratch state of a row coercion: which column was being coerced, how many were present. */
export interface RowCoercionState {
  column: number;
  present: number;
}

export interface CompiledTable {
  ref: TableRef;
  schema: Schema;
  columns: ColumnPlan[];
  byName: Map<string, ColumnPlan>;
  /** Primary-key column names, in key order ([] for an insert-only table). */
  primaryKeys: string[];
  keyColumns: ColumnPlan[];
  /**
   * Set when nobody declared the table and its columns were learnt from the files (their Avro schema,
   * or inference from JSON values); such a table takes new columns from later files too.
   */
  learntFrom?: 'avro-schema' | 'json-values';
  /**
   * Coerce the known columns of a payload into a row (absent columns stay absent). Throws the
   * column's CoercionFailure with `state.column` set to the failing column's index; sets
   * `state.present` to the number of known columns found, so the caller can detect unknown ones.
   */
  coerceRow: (payload: Record<string, unknown>, state: RowCoercionState) => Row;
}

/** Give nested types (list elements, map keys/values, struct fields) fresh ids after the columns'. */
function assignNestedIds(type: IcebergType, next: { id: number }): IcebergType {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'list': {
      const elementId = next.id++;
      return { ...type, 'element-id': elementId, element: assignNestedIds(type.element, next) };
    }
    case 'map': {
      const keyId = next.id++;
      const valueId = next.id++;
      return {
        ...type,
        'key-id': keyId,
        'value-id': valueId,
        key: assignNestedIds(type.key, next),
        value: assignNestedIds(type.value, next),
      };
    }
    case 'struct': {
      const fields = type.fields.map((f) => ({ ...f, id: next.id++ }));
      return { type: 'struct', fields: fields.map((f) => ({ ...f, type: assignNestedIds(f.type, next) })) };
    }
  }
}

/** An Iceberg schema for a PostgreSQL definition: columns get ids 1..n, nested ids follow. */
export function schemaFromDefinition(definition: TableDefinition): Schema {
  const keys = new Set(definition.primaryKeys);
  const next = { id: definition.columns.length + 1 };
  const fields: NestedField[] = definition.columns.map(([name, pgType], index) => ({
    id: index + 1,
    name,
    required: keys.has(name),
    type: assignNestedIds(postgresToIceberg(pgType).iceberg, next),
  }));
  const identifiers = fields.filter((f) => keys.has(f.name)).map((f) => f.id);
  const schema: Schema = { type: 'struct', 'schema-id': 0, fields };
  if (identifiers.length > 0) schema['identifier-field-ids'] = identifiers;
  return schema;
}

function compile(
  ref: TableRef,
  schema: Schema,
  primaryKeys: string[],
  pgTypes: Map<string, string>,
  learntFrom: CompiledTable['learntFrom'],
): CompiledTable {
  const columns: ColumnPlan[] = schema.fields.map((field) => {
    const pgType = pgTypes.get(field.name);
    return {
      name: field.name,
      field,
      pgType,
      expected: expectedTypeName(field.type, pgType),
      coerce: makeCoercer(field.type, pgType),
    };
  });
  const byName = new Map(columns.map((c) => [c.name, c]));
  const keyColumns = primaryKeys.map((name) => {
    const column = byName.get(name);
    if (!column)
      throw new Error(`table ${ref.schema}.${ref.name}: primary-key column "${name}" is not a column`);
    return column;
  });
  return {
    ref,
    schema,
    columns,
    byName,
    primaryKeys: [...primaryKeys],
    keyColumns,
    coerceRow: rowCoercer(columns),
    ...(learntFrom ? { learntFrom } : {}),
  };
}

/**
 * A row coercer specialised to the table's columns. Generated code reads and writes each column by
 * its constant name, so V8 sees one object shape per site; the generic loop over payload keys made
 * every property access megamorphic and cost more than the coercions themselves. Names enter the
 * code only as JSON string literals.
 */
function rowCoercer(columns: ColumnPlan[]): CompiledTable['coerceRow'] {
  const body = columns
    .map((column, i) => {
      const key = JSON.stringify(column.name);
      // A name Object.prototype also has (constructor, toString, __proto__…) is read only when the
      // payload holds it itself; the others keep the plain, fast read.
      const read =
        column.name in Object.prototype
          ? `hasOwn(payload, ${key}) ? payload[${key}] : undefined`
          : `payload[${key}]`;
      return `v = ${read};
    if (v !== undefined) {
      present++;
      state.column = ${i};
      row[${key}] = v === null ? null : coerce[${i}](v);
    }`;
    })
    .join('\n    ');
  const source = `return function coerceRow(payload, state) {
    const row = newRow();
    let present = 0;
    let v;
    ${body}
    state.present = present;
    return row;
  };`;
  const factory = new Function('coerce', 'newRow', 'hasOwn', source) as (
    coerce: Coercer[],
    make: () => Row,
    hasOwn: (o: object, k: string) => boolean,
  ) => CompiledTable['coerceRow'];
  return factory(
    columns.map((c) => c.coerce),
    newRow,
    (o, k) => Object.hasOwn(o, k),
  );
}

/** Compile a PostgreSQL-style table definition (types mapped by postgres-types.ts). */
export function compileTableDefinition(
  ref: TableRef,
  definition: TableDefinition,
  learntFrom?: CompiledTable['learntFrom'],
): CompiledTable {
  const pgTypes = new Map(definition.columns.map(([name, pgType]) => [name, pgType]));
  return compile(ref, schemaFromDefinition(definition), definition.primaryKeys, pgTypes, learntFrom);
}

export interface IcebergTableOptions {
  /** Primary key; defaults to the schema's identifier fields, in field order. */
  primaryKeys?: string[];
  /** Source PostgreSQL types of text columns that need them (json/jsonb, uuid, numeric). */
  pgTypes?: Record<string, string>;
  learntFrom?: CompiledTable['learntFrom'];
}

/** Compile an Iceberg schema (e.g. the table's current schema from the catalog). */
export function compileIcebergSchema(
  ref: TableRef,
  schema: Schema,
  options: IcebergTableOptions = {},
): CompiledTable {
  const identifiers = new Set(schema['identifier-field-ids'] ?? []);
  const primaryKeys =
    options.primaryKeys ?? schema.fields.filter((f) => identifiers.has(f.id)).map((f) => f.name);
  return compile(
    ref,
    schema,
    primaryKeys,
    new Map(Object.entries(options.pgTypes ?? {})),
    options.learntFrom,
  );
}

function maxFieldId(type: IcebergType): number {
  if (typeof type === 'string') return 0;
  switch (type.type) {
    case 'list':
      return Math.max(type['element-id'], maxFieldId(type.element));
    case 'map':
      return Math.max(type['key-id'], type['value-id'], maxFieldId(type.key), maxFieldId(type.value));
    case 'struct':
      return Math.max(0, ...type.fields.map((f) => Math.max(f.id, maxFieldId(f.type))));
  }
}

/**
 * The table with more columns, as learnt from a later file: each new column is optional (a row
 * written before it has none), typed by postgres-types.ts, with field ids after every id in use.
 * Columns the table has keep their type. The key and the rest of the table stay as they are.
 */
export function withAddedColumns(table: CompiledTable, columns: Array<[string, string]>): CompiledTable {
  const added = columns.filter(([name]) => !table.byName.has(name));
  if (added.length === 0) return table;
  const next = { id: maxFieldId(table.schema) + 1 };
  const fields: NestedField[] = [...table.schema.fields];
  for (const [name, pgType] of added) {
    const id = next.id++;
    fields.push({
      id,
      name,
      required: false,
      type: assignNestedIds(postgresToIceberg(pgType).iceberg, next),
    });
  }
  const pgTypes = new Map(table.columns.flatMap((c) => (c.pgType ? [[c.name, c.pgType] as const] : [])));
  for (const [name, pgType] of added) pgTypes.set(name, pgType);
  return compile(table.ref, { ...table.schema, fields }, table.primaryKeys, pgTypes, table.learntFrom);
}
