// The first metadata of a new v2 table from a REST `CreateTableRequest`, built as Java's
// `TableMetadata.newTableMetadata` does, so the embedded catalog creates the table a REST catalog would:
// fresh field ids (level by level: a struct's own fields first, then their children), partition field
// ids from 1000, sort order 1 when sorted (0 = unsorted), reserved properties dropped, zstd Parquet.

import { randomUUID } from 'node:crypto';
import type { PartitionSpec, SortOrder, TableMetadata } from './metadata-types.js';
import type { IcebergType, NestedField, Schema } from './types.js';
import { highestFieldId } from './metadata-updates.js';

export interface NewTableRequest {
  schema: Schema;
  'partition-spec'?: PartitionSpec;
  'write-order'?: SortOrder;
  properties?: Record<string, string>;
}

export interface NewTableOptions {
  location: string;
  uuid?: string;
  now?: number;
  /**
   * 'fresh' (default, as Java and every REST catalog do): renumber field ids 1..n and remap the partition
   * spec, sort order and identifier fields. 'keep': use the ids of the request as given (they must be
   * unique); for a caller that already wrote files with these ids.
   */
  fieldIds?: 'fresh' | 'keep';
}

/** Partition field ids start after 999; an unpartitioned table's last-partition-id is 999. */
export const PARTITION_DATA_ID_START = 1000;
const UNPARTITIONED_LAST_ASSIGNED_ID = PARTITION_DATA_ID_START - 1;

// Properties that describe the metadata itself; Java strips them from the stored table properties.
const RESERVED_PROPERTIES = new Set([
  'format-version',
  'uuid',
  'snapshot-count',
  'current-snapshot-id',
  'current-snapshot-summary',
  'current-snapshot-timestamp-ms',
  'current-schema',
  'default-partition-spec',
  'default-sort-order',
]);

export function newTableMetadata(request: NewTableRequest, options: NewTableOptions): TableMetadata {
  const formatVersion = request.properties?.['format-version'];
  if (formatVersion !== undefined && formatVersion !== '2') {
    throw new RangeError(`only format-version 2 tables can be created, got format-version=${formatVersion}`);
  }
  const fresh = (options.fieldIds ?? 'fresh') === 'fresh';
  const idMap = new Map<number, number>();
  const schema: Schema = fresh ? freshSchema(request.schema, idMap) : { ...request.schema, 'schema-id': 0 };
  const sourceId = (id: number): number => {
    const mapped = fresh ? idMap.get(id) : id;
    if (mapped === undefined)
      throw new RangeError(`partition or sort field refers to unknown source id ${id}`);
    return mapped;
  };

  let nextPartitionId = PARTITION_DATA_ID_START;
  const partitionFields = (request['partition-spec']?.fields ?? []).map((field) => ({
    'source-id': sourceId(field['source-id']),
    'field-id': fresh || field['field-id'] === undefined ? nextPartitionId++ : field['field-id'],
    name: field.name,
    transform: field.transform,
  }));
  const lastPartitionId = partitionFields.reduce(
    (max, field) => Math.max(max, field['field-id']),
    UNPARTITIONED_LAST_ASSIGNED_ID,
  );

  const sortFields = (request['write-order']?.fields ?? []).map((field) => ({
    ...field,
    'source-id': sourceId(field['source-id']),
  }));
  const sortOrderId = sortFields.length === 0 ? 0 : 1;

  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.properties ?? {})) {
    if (!RESERVED_PROPERTIES.has(key)) properties[key] = value;
  }
  properties['write.parquet.compression-codec'] ??= 'zstd';

  return {
    'format-version': 2,
    'table-uuid': options.uuid ?? randomUUID(),
    location: options.location.replace(/\/+$/, ''),
    'last-sequence-number': 0,
    'last-updated-ms': options.now ?? Date.now(),
    'last-column-id': highestFieldId(schema),
    'current-schema-id': 0,
    schemas: [schema],
    'default-spec-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: partitionFields }],
    'last-partition-id': lastPartitionId,
    'default-sort-order-id': sortOrderId,
    'sort-orders': [{ 'order-id': sortOrderId, fields: sortFields }],
    properties,
    'current-snapshot-id': -1,
    refs: {},
    snapshots: [],
    statistics: [],
    'partition-statistics': [],
    'snapshot-log': [],
    'metadata-log': [],
  };
}

/** Renumbers every field id 1..n in Java's order; `idMap` receives old id → new id. */
export function freshSchema(schema: Schema, idMap = new Map<number, number>()): Schema {
  let next = 0;
  const assign = (oldId: number): number => {
    const id = ++next;
    idMap.set(oldId, id);
    return id;
  };
  const visit = (type: IcebergType): IcebergType => {
    if (typeof type === 'string') return type;
    if (type.type === 'struct') {
      // ids of this level first, then each child's subtree, as Java's AssignFreshIds visitor does
      const ids = type.fields.map((field) => assign(field.id));
      const fields = type.fields.map((field, i): NestedField => ({
        ...field,
        id: ids[i]!,
        type: visit(field.type),
      }));
      return { type: 'struct', fields };
    }
    if (type.type === 'list') {
      const elementId = assign(type['element-id']);
      return { ...type, 'element-id': elementId, element: visit(type.element) };
    }
    const keyId = assign(type['key-id']);
    const valueId = assign(type['value-id']);
    return { ...type, 'key-id': keyId, 'value-id': valueId, key: visit(type.key), value: visit(type.value) };
  };
  const struct = visit(schema) as { type: 'struct'; fields: NestedField[] };
  const result: Schema = { type: 'struct', 'schema-id': 0, fields: struct.fields };
  const identifiers = schema['identifier-field-ids'];
  if (identifiers !== undefined) {
    result['identifier-field-ids'] = identifiers.map((id) => {
      const mapped = idMap.get(id);
      if (mapped === undefined) throw new RangeError(`identifier field id ${id} is not in the schema`);
      return mapped;
    });
  }
  return result;
}
