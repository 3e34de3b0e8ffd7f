// The Avro schemas of v2 manifests and manifest lists, field for field as Iceberg Java writes them
// (V2Metadata): record names `manifest_entry`, `r2` (data_file), `r102` (partition), `manifest_file`,
// `r508` (partition field summary), map records `k<keyId>_v<valueId>`, every field's `field-id`, list
// `element-id`s and `logicalType: map` on int-keyed maps. Readers that resolve by field id (Java,
// PyIceberg) and readers that resolve by name both find what they expect.

import { parseDecimal, parseFixed, type IcebergType } from '../spec/types.js';

type AvroSchema = Record<string, unknown> | string | unknown[];

const optional = (
  name: string,
  fieldId: number,
  type: AvroSchema,
  doc?: string,
): Record<string, unknown> => ({
  name,
  type: ['null', type],
  default: null,
  ...(doc ? { doc } : {}),
  'field-id': fieldId,
});

const required = (
  name: string,
  fieldId: number,
  type: AvroSchema,
  doc?: string,
): Record<string, unknown> => ({
  name,
  type,
  ...(doc ? { doc } : {}),
  'field-id': fieldId,
});

const intMap = (keyId: number, valueId: number, valueType: string): AvroSchema => ({
  type: 'array',
  items: {
    type: 'record',
    name: `k${keyId}_v${valueId}`,
    fields: [
      { name: 'key', type: 'int', 'field-id': keyId },
      { name: 'value', type: valueType, 'field-id': valueId },
    ],
  },
  logicalType: 'map',
});

/** Minimum bytes of a two's-complement decimal of this precision (Java's TypeUtil.decimalRequiredBytes). */
export function decimalRequiredBytes(precision: number): number {
  let bytes = 1;
  while (10 ** precision > 2 ** (8 * bytes - 1)) bytes++;
  return bytes;
}

/** Avro schema of a primitive Iceberg type, as Java's TypeToSchema maps it. */
export function avroPrimitive(type: IcebergType): AvroSchema {
  if (typeof type !== 'string') throw new Error(`partition values cannot be of nested type ${type.type}`);
  switch (type) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return type;
    case 'binary':
      return 'bytes';
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false };
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true };
    case 'uuid':
      return { type: 'fixed', name: 'uuid_fixed', size: 16, logicalType: 'uuid' };
  }
  const d = parseDecimal(type);
  if (d) {
    return {
      type: 'fixed',
      name: `decimal_${d.precision}_${d.scale}`,
      size: decimalRequiredBytes(d.precision),
      logicalType: 'decimal',
      precision: d.precision,
      scale: d.scale,
    };
  }
  const fixed = parseFixed(type);
  if (fixed !== undefined) return { type: 'fixed', name: `fixed_${fixed}`, size: fixed };
  throw new Error(`unknown Iceberg primitive type "${type}"`);
}

export interface PartitionFieldType {
  name: string;
  fieldId: number;
  type: IcebergType;
}

/** The `r102` partition record: one optional field per partition field, named and numbered as the spec. */
export function partitionRecordSchema(fields: readonly PartitionFieldType[]): Record<string, unknown> {
  return {
    type: 'record',
    name: 'r102',
    fields: fields.map((f) => optional(f.name, f.fieldId, avroPrimitive(f.type))),
  };
}

export function manifestEntrySchema(partitionFields: readonly PartitionFieldType[]): Record<string, unknown> {
  const dataFile = {
    type: 'record',
    name: 'r2',
    fields: [
      required('content', 134, 'int', 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes'),
      required('file_path', 100, 'string', 'Location URI with FS scheme'),
      required('file_format', 101, 'string', 'File format name: avro, orc, or parquet'),
      required(
        'partition',
        102,
        partitionRecordSchema(partitionFields),
        'Partition data tuple, schema based on the partition spec',
      ),
      required('record_count', 103, 'long', 'Number of records in the file'),
      required('file_size_in_bytes', 104, 'long', 'Total file size in bytes'),
      optional('column_sizes', 108, intMap(117, 118, 'long'), 'Map of column id to total size on disk'),
      optional(
        'value_counts',
        109,
        intMap(119, 120, 'long'),
        'Map of column id to total count, including null and NaN',
      ),
      optional('null_value_counts', 110, intMap(121, 122, 'long'), 'Map of column id to null value count'),
      optional(
        'nan_value_counts',
        137,
        intMap(138, 139, 'long'),
        'Map of column id to number of NaN values in the column',
      ),
      optional('lower_bounds', 125, intMap(126, 127, 'bytes'), 'Map of column id to lower bound'),
      optional('upper_bounds', 128, intMap(129, 130, 'bytes'), 'Map of column id to upper bound'),
      optional('key_metadata', 131, 'bytes', 'Encryption key metadata blob'),
      optional(
        'split_offsets',
        132,
        { type: 'array', items: 'long', 'element-id': 133 },
        'Splittable offsets',
      ),
      optional(
        'equality_ids',
        135,
        { type: 'array', items: 'int', 'element-id': 136 },
        'Equality comparison field IDs',
      ),
      optional('sort_order_id', 140, 'int', 'Sort order ID'),
    ],
  };
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      required('status', 0, 'int'),
      optional('snapshot_id', 1, 'long'),
      optional('sequence_number', 3, 'long'),
      optional('file_sequence_number', 4, 'long'),
      required('data_file', 2, dataFile),
    ],
  };
}

export const MANIFEST_LIST_SCHEMA: Record<string, unknown> = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    required('manifest_path', 500, 'string', 'Location URI with FS scheme'),
    required('manifest_length', 501, 'long', 'Total file size in bytes'),
    required('partition_spec_id', 502, 'int', 'Spec ID used to write'),
    required('content', 517, 'int', 'Contents of the manifest: 0=data, 1=deletes'),
    required('sequence_number', 515, 'long', 'Sequence number when the manifest was added'),
    required('min_sequence_number', 516, 'long', 'Lowest sequence number in the manifest'),
    required('added_snapshot_id', 503, 'long', 'Snapshot ID that added the manifest'),
    required('added_files_count', 504, 'int', 'Added entry count'),
    required('existing_files_count', 505, 'int', 'Existing entry count'),
    required('deleted_files_count', 506, 'int', 'Deleted entry count'),
    required('added_rows_count', 512, 'long', 'Added rows count'),
    required('existing_rows_count', 513, 'long', 'Existing rows count'),
    required('deleted_rows_count', 514, 'long', 'Deleted rows count'),
    optional(
      'partitions',
      507,
      {
        type: 'array',
        items: {
          type: 'record',
          name: 'r508',
          fields: [
            required('contains_null', 509, 'boolean', 'True if any file has a null partition value'),
            optional('contains_nan', 518, 'boolean', 'True if any file has a nan partition value'),
            optional('lower_bound', 510, 'bytes', 'Partition lower bound for all files'),
            optional('upper_bound', 511, 'bytes', 'Partition upper bound for all files'),
          ],
        },
        'element-id': 508,
      },
      'Summary for each partition',
    ),
    optional('key_metadata', 519, 'bytes', 'Encryption key metadata blob'),
  ],
};
