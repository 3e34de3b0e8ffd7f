// Iceberg schema → Arrow schema, with each field's Iceberg id in the `PARQUET:field_id` metadata so
// parquet-wasm writes it into the Parquet schema (readers such as PyIceberg and BigQuery resolve columns
// by field id, not by name). Nested ids (list element, map key/value) are carried the same way.

import * as arrow from 'apache-arrow';
import { parseDecimal, parseFixed, type IcebergType, type NestedField, type Schema } from '../spec/types.js';

export const FIELD_ID_KEY = 'PARQUET:field_id';

function fieldIdMetadata(id: number): Map<string, string> {
  return new Map([[FIELD_ID_KEY, String(id)]]);
}

export function icebergToArrowType(type: IcebergType): arrow.DataType {
  if (typeof type === 'string') {
    switch (type) {
      case 'boolean':
        return new arrow.Bool();
      case 'int':
        return new arrow.Int32();
      case 'long':
        return new arrow.Int64();
      case 'float':
        return new arrow.Float32();
      case 'double':
        return new arrow.Float64();
      case 'date':
        return new arrow.DateDay();
      case 'time':
        return new arrow.TimeMicrosecond();
      case 'timestamp':
        return new arrow.TimestampMicrosecond();
      case 'timestamptz':
        return new arrow.TimestampMicrosecond('UTC');
      case 'string':
        return new arrow.Utf8();
      case 'uuid':
        return new arrow.FixedSizeBinary(16);
      case 'binary':
        return new arrow.Binary();
    }
    const decimal = parseDecimal(type);
    if (decimal) return new arrow.Decimal(decimal.scale, decimal.precision, 128);
    const fixed = parseFixed(type);
    if (fixed !== undefined) return new arrow.FixedSizeBinary(fixed);
    throw new Error(`unknown Iceberg primitive type "${type}"`);
  }
  switch (type.type) {
    case 'struct':
      return new arrow.Struct(type.fields.map(icebergToArrowField));
    case 'list':
      return new arrow.List(
        new arrow.Field(
          'element',
          icebergToArrowType(type.element),
          !type['element-required'],
          fieldIdMetadata(type['element-id']),
        ),
      );
    case 'map': {
      const entries = new arrow.Struct([
        new arrow.Field('key', icebergToArrowType(type.key), false, fieldIdMetadata(type['key-id'])),
        new arrow.Field(
          'value',
          icebergToArrowType(type.value),
          !type['value-required'],
          fieldIdMetadata(type['value-id']),
        ),
      ]);
      return new arrow.Map_(new arrow.Field('key_value', entries, false), false);
    }
  }
}

export function icebergToArrowField(field: NestedField): arrow.Field {
  return new arrow.Field(
    field.name,
    icebergToArrowType(field.type),
    !field.required,
    fieldIdMetadata(field.id),
  );
}

export function icebergToArrowSchema(schema: Schema): arrow.Schema {
  return new arrow.Schema(schema.fields.map(icebergToArrowField));
}
