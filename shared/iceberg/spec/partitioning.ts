// A partition spec bound to a schema: each field's source column, transform and result type, the
// partition tuple of a row, the Hive-style path of a tuple, and specs/sort orders built by column name.

import { SchemaIndex } from './schema.js';
import {
  applyTransform,
  parseTransform,
  partitionValueToPath,
  transformResultType,
  transformToString,
  type Transform,
} from './transforms.js';
import type { PartitionField, PartitionSpec, SortOrder } from './metadata-types.js';
import type { IcebergType, Schema } from './types.js';
import type { IcebergValue, Row } from './values.js';

/** Partition field ids start at 1000 (the spec's convention, which Java follows). */
export const FIRST_PARTITION_FIELD_ID = 1000;

export interface BoundPartitionField {
  field: PartitionField;
  transform: Transform;
  sourceName: string;
  sourceType: IcebergType;
  resultType: IcebergType;
}

export class BoundPartitionSpec {
  readonly fields: BoundPartitionField[];

  constructor(
    readonly spec: PartitionSpec,
    readonly schema: Schema,
  ) {
    const index = new SchemaIndex(schema);
    this.fields = spec.fields.map((field) => {
      const source = index.findById(field['source-id']);
      if (!source) {
        throw new Error(
          `partition field "${field.name}": source column id ${field['source-id']} is not in schema ${schema['schema-id']}`,
        );
      }
      if (source.repeated)
        throw new Error(
          `partition field "${field.name}": source column ${source.name} is inside a list or map`,
        );
      const transform = parseTransform(field.transform);
      return {
        field,
        transform,
        sourceName: source.name,
        sourceType: source.type,
        resultType: transformResultType(transform, source.type),
      };
    });
  }

  get isUnpartitioned(): boolean {
    return this.fields.every((f) => f.transform.kind === 'void');
  }

  /** The row's partition tuple, keyed by partition field name. Top-level and struct sources (a.b). */
  partitionOf(row: Row): Record<string, IcebergValue> {
    const out: Record<string, IcebergValue> = {};
    for (const f of this.fields) {
      let value: IcebergValue | undefined = row;
      for (const part of f.sourceName.split('.')) {
        value =
          value !== null &&
          typeof value === 'object' &&
          !Array.isArray(value) &&
          !(value instanceof Uint8Array)
            ? (value as Row)[part]
            : null;
      }
      out[f.field.name] = applyTransform(f.transform, f.sourceType, value ?? null);
    }
    return out;
  }

  /** `day=2026-11-24/bucket=3`, the folder of a partition's data files ('' when unpartitioned). */
  pathOf(partition: Record<string, IcebergValue>): string {
    return this.fields
      .map(
        (f) =>
          `${f.field.name.replace(/[^A-Za-z0-9._-]/g, '_')}=${partitionValueToPath(f.transform, f.sourceType, partition[f.field.name] ?? null)}`,
      )
      .join('/');
  }

  /** A stable key for grouping rows by partition. */
  keyOf(partition: Record<string, IcebergValue>): string {
    return this.fields
      .map((f) => {
        const v = partition[f.field.name] ?? null;
        if (v instanceof Uint8Array) return `b:${Buffer.from(v).toString('hex')}`;
        return typeof v === 'bigint' ? `n:${v}` : JSON.stringify(v);
      })
      .join('\u0000');
  }
}

/** A spec from (column name, transform) pairs; field ids from 1000 (or after `lastPartitionId`). */
export function buildPartitionSpec(
  schema: Schema,
  fields: { source: string; transform: string; name?: string }[],
  options: { specId?: number; lastPartitionId?: number } = {},
): PartitionSpec {
  const index = new SchemaIndex(schema);
  let next = Math.max(options.lastPartitionId ?? FIRST_PARTITION_FIELD_ID - 1, FIRST_PARTITION_FIELD_ID - 1);
  const names = new Set<string>();
  const spec: PartitionSpec = {
    'spec-id': options.specId ?? 0,
    fields: fields.map((f) => {
      const source = index.fieldByName(f.source);
      const transform = parseTransform(f.transform);
      const name = f.name ?? defaultPartitionName(f.source, transform);
      if (names.has(name)) throw new Error(`duplicate partition field name "${name}"`);
      names.add(name);
      next += 1;
      return { 'source-id': source.id, 'field-id': next, name, transform: transformToString(transform) };
    }),
  };
  new BoundPartitionSpec(spec, schema); // validates transforms against source types eagerly
  return spec;
}

/** Java's default names: `col` for identity, `col_day`, `col_bucket_16`, `col_trunc_4`. */
function defaultPartitionName(source: string, t: Transform): string {
  switch (t.kind) {
    case 'identity':
      return source;
    case 'bucket':
      return `${source}_bucket_${t.n}`;
    case 'truncate':
      return `${source}_trunc_${t.width}`;
    case 'void':
      return `${source}_null`;
    default:
      return `${source}_${t.kind}`;
  }
}

/** A sort order from (column, direction) pairs; nulls first for asc and last for desc, as Java defaults. */
export function buildSortOrder(
  schema: Schema,
  fields: {
    source: string;
    transform?: string;
    direction?: 'asc' | 'desc';
    nullOrder?: 'nulls-first' | 'nulls-last';
  }[],
  orderId = 1,
): SortOrder {
  const index = new SchemaIndex(schema);
  return {
    'order-id': fields.length === 0 ? 0 : orderId,
    fields: fields.map((f) => {
      const direction = f.direction ?? 'asc';
      return {
        'source-id': index.fieldByName(f.source).id,
        transform: transformToString(parseTransform(f.transform ?? 'identity')),
        direction,
        'null-order': f.nullOrder ?? (direction === 'asc' ? 'nulls-first' : 'nulls-last'),
      };
    }),
  };
}

export const UNPARTITIONED_SPEC: PartitionSpec = { 'spec-id': 0, fields: [] };
export const UNSORTED_ORDER: SortOrder = { 'order-id': 0, fields: [] };
