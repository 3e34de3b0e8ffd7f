// Schemas with field ids: building one from column definitions (ids assigned depth-first, nested list /
// map / struct ids included, the way Iceberg's reference implementation numbers a new table), looking
// fields up by id or name, and the schema evolution the commit engine is allowed to apply on its own
// (add an optional column, widen int→long, float→double, decimal precision up).

import {
  parseDecimal,
  type IcebergType,
  type ListType,
  type MapType,
  type NestedField,
  type PrimitiveType,
  type Schema,
  type StructType,
} from './types.js';

/** A column as declared, before ids exist. Nested types may carry any id (0): the builder replaces them. */
export interface ColumnDefinition {
  name: string;
  type: IcebergType;
  required?: boolean;
  doc?: string;
}

/** Hands out increasing field ids starting after `lastColumnId`. */
class IdAllocator {
  constructor(public last: number) {}
  next(): number {
    this.last += 1;
    return this.last;
  }
}

/**
 * Re-number a type's nested ids. Ids of one struct level are assigned before descending into it, as
 * Iceberg Java's TypeUtil.assignFreshIds does, so a table created here numbers like one created by Spark.
 */
function assignNestedIds(type: IcebergType, ids: IdAllocator): IcebergType {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'struct': {
      const fieldIds = type.fields.map(() => ids.next());
      return {
        type: 'struct',
        fields: type.fields.map((field, i) =>
          withType(field, fieldIds[i]!, assignNestedIds(field.type, ids)),
        ),
      };
    }
    case 'list': {
      const elementId = ids.next();
      return { ...type, 'element-id': elementId, element: assignNestedIds(type.element, ids) };
    }
    case 'map': {
      const keyId = ids.next();
      const valueId = ids.next();
      return {
        ...type,
        'key-id': keyId,
        'value-id': valueId,
        key: assignNestedIds(type.key, ids),
        value: assignNestedIds(type.value, ids),
      };
    }
  }
}

function withType(field: NestedField, id: number, type: IcebergType): NestedField {
  const out: NestedField = { id, name: field.name, required: field.required, type };
  if (field.doc !== undefined) out.doc = field.doc;
  return out;
}

/** Build a schema from column definitions, assigning ids 1, 2, … (top-level columns first). */
export function buildSchema(
  columns: ColumnDefinition[],
  options: { schemaId?: number; identifierFieldNames?: string[]; lastColumnId?: number } = {},
): Schema {
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column.name)) throw new Error(`duplicate column name "${column.name}"`);
    seen.add(column.name);
  }
  const ids = new IdAllocator(options.lastColumnId ?? 0);
  const struct = assignNestedIds(
    {
      type: 'struct',
      fields: columns.map((c) => {
        const f: NestedField = { id: 0, name: c.name, required: c.required ?? false, type: c.type };
        if (c.doc !== undefined) f.doc = c.doc;
        return f;
      }),
    },
    ids,
  ) as StructType;
  const schema: Schema = { type: 'struct', 'schema-id': options.schemaId ?? 0, fields: struct.fields };
  if (options.identifierFieldNames && options.identifierFieldNames.length > 0) {
    schema['identifier-field-ids'] = options.identifierFieldNames.map((name) => {
      const field = schema.fields.find((f) => f.name === name);
      if (!field) throw new Error(`identifier field "${name}" is not a column`);
      if (!field.required) throw new Error(`identifier field "${name}" must be required`);
      return field.id;
    });
  }
  return schema;
}

/** The highest field id used anywhere in a type (0 when it has none). */
export function maxFieldId(type: IcebergType): number {
  if (typeof type === 'string') return 0;
  switch (type.type) {
    case 'struct':
      return Math.max(0, ...type.fields.map((f) => Math.max(f.id, maxFieldId(f.type))));
    case 'list':
      return Math.max(type['element-id'], maxFieldId(type.element));
    case 'map':
      return Math.max(type['key-id'], type['value-id'], maxFieldId(type.key), maxFieldId(type.value));
  }
}

/** Any field id in a schema, with its dotted name (`a.b`, list elements `tags.element`, maps `m.key` / `m.value`). */
export interface IndexedField {
  id: number;
  name: string;
  type: IcebergType;
  required: boolean;
  /** True when the field sits inside a list or map (bounds are not kept for such columns). */
  repeated: boolean;
}

export class SchemaIndex {
  private readonly byId = new Map<number, IndexedField>();
  private readonly byName = new Map<string, IndexedField>();

  constructor(public readonly schema: Schema) {
    this.visit(schema, '', false);
  }

  private add(field: IndexedField): void {
    if (this.byId.has(field.id))
      throw new Error(`schema ${this.schema['schema-id']}: duplicate field id ${field.id}`);
    this.byId.set(field.id, field);
    this.byName.set(field.name, field);
  }

  private visit(type: IcebergType, prefix: string, repeated: boolean): void {
    if (typeof type === 'string') return;
    if (type.type === 'struct') {
      for (const f of type.fields) {
        const name = prefix + f.name;
        this.add({ id: f.id, name, type: f.type, required: f.required, repeated });
        this.visit(f.type, name + '.', repeated);
      }
    } else if (type.type === 'list') {
      const name = prefix + 'element';
      this.add({
        id: type['element-id'],
        name,
        type: type.element,
        required: type['element-required'],
        repeated: true,
      });
      this.visit(type.element, name + '.', true);
    } else {
      this.add({ id: type['key-id'], name: prefix + 'key', type: type.key, required: true, repeated: true });
      this.visit(type.key, prefix + 'key.', true);
      const name = prefix + 'value';
      this.add({
        id: type['value-id'],
        name,
        type: type.value,
        required: type['value-required'],
        repeated: true,
      });
      this.visit(type.value, name + '.', true);
    }
  }

  /** A list element / map key or value is named after its parent: `tags.element`. */
  findById(id: number): IndexedField | undefined {
    return this.byId.get(id);
  }

  findByName(name: string): IndexedField | undefined {
    return this.byName.get(name);
  }

  fieldById(id: number): IndexedField {
    const field = this.byId.get(id);
    if (!field) throw new Error(`schema ${this.schema['schema-id']} has no field id ${id}`);
    return field;
  }

  fieldByName(name: string): IndexedField {
    const field = this.byName.get(name);
    if (!field) throw new Error(`schema ${this.schema['schema-id']} has no column "${name}"`);
    return field;
  }

  ids(): number[] {
    return [...this.byId.keys()];
  }
}

// ---- evolution -------------------------------------------------------------------------------

export class SchemaEvolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaEvolutionError';
  }
}

/**
 * Whether `from` may be promoted to `to` in place (the spec's allowed type promotions for v2): int→long,
 * float→double, decimal(P, S)→decimal(P', S) with P' ≥ P. Identical types are trivially allowed.
 */
export function canPromote(from: IcebergType, to: IcebergType): boolean {
  if (typeof from !== 'string' || typeof to !== 'string') return JSON.stringify(from) === JSON.stringify(to);
  if (from === to) return true;
  if (from === 'int' && to === 'long') return true;
  if (from === 'float' && to === 'double') return true;
  const a = parseDecimal(from);
  const b = parseDecimal(to);
  return !!a && !!b && a.scale === b.scale && b.precision >= a.precision;
}

/** A new schema (next schema id) with an optional column appended; its nested ids follow `lastColumnId`. */
export function addOptionalColumn(
  schema: Schema,
  lastColumnId: number,
  column: { name: string; type: IcebergType; doc?: string },
): { schema: Schema; lastColumnId: number } {
  if (schema.fields.some((f) => f.name === column.name)) {
    throw new SchemaEvolutionError(`cannot add column "${column.name}": it already exists`);
  }
  const ids = new IdAllocator(lastColumnId);
  const id = ids.next();
  const field: NestedField = {
    id,
    name: column.name,
    required: false,
    type: assignNestedIds(column.type, ids),
  };
  if (column.doc !== undefined) field.doc = column.doc;
  return {
    schema: { ...schema, 'schema-id': schema['schema-id'] + 1, fields: [...schema.fields, field] },
    lastColumnId: ids.last,
  };
}

/** A new schema (next schema id) with one top-level column's primitive type widened; anything else is refused. */
export function widenColumn(schema: Schema, name: string, to: PrimitiveType): Schema {
  const field = schema.fields.find((f) => f.name === name);
  if (!field) throw new SchemaEvolutionError(`cannot change the type of "${name}": no such column`);
  if (!canPromote(field.type, to)) {
    throw new SchemaEvolutionError(
      `cannot change column "${name}" (field id ${field.id}) from ${JSON.stringify(field.type)} to ${to}: ` +
        'only int→long, float→double and a larger decimal precision at the same scale are allowed',
    );
  }
  return {
    ...schema,
    'schema-id': schema['schema-id'] + 1,
    fields: schema.fields.map((f) => (f === field ? { ...f, type: to } : f)),
  };
}

/** Types of a list or map, for callers that switch on nested kinds. */
export type NestedKind = StructType | ListType | MapType;
