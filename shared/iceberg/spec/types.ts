// The Iceberg type model, in the exact JSON shape of the Iceberg table-metadata spec (schemas[].fields),
// so a schema read from a catalog is already a value of these types and can be written back unchanged.

export type PrimitiveType =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'string'
  | 'uuid'
  | 'binary'
  | `decimal(${number}, ${number})`
  | `fixed[${number}]`;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
}

export interface StructType {
  type: 'struct';
  fields: NestedField[];
}

export interface ListType {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}

export interface MapType {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}

export type IcebergType = PrimitiveType | StructType | ListType | MapType;

export interface Schema extends StructType {
  'schema-id': number;
  'identifier-field-ids'?: number[];
}

export interface DecimalType {
  precision: number;
  scale: number;
}

const DECIMAL_PATTERN = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const FIXED_PATTERN = /^fixed\[(\d+)\]$/;

/** Iceberg decimals stop at precision 38 (the spec's limit). */
export const MAX_DECIMAL_PRECISION = 38;

export function decimalType(precision: number, scale: number): PrimitiveType {
  if (!Number.isInteger(precision) || precision < 1 || precision > MAX_DECIMAL_PRECISION) {
    throw new RangeError(`decimal precision must be 1..${MAX_DECIMAL_PRECISION}, got ${precision}`);
  }
  if (!Number.isInteger(scale) || scale < 0 || scale > precision) {
    throw new RangeError(`decimal scale must be 0..precision (${precision}), got ${scale}`);
  }
  return `decimal(${precision}, ${scale})`;
}

/** Precision and scale of a `decimal(P, S)` type, or undefined for any other type. */
export function parseDecimal(type: IcebergType): DecimalType | undefined {
  if (typeof type !== 'string') return undefined;
  const match = DECIMAL_PATTERN.exec(type);
  if (!match) return undefined;
  return { precision: Number(match[1]), scale: Number(match[2]) };
}

/** Length in bytes of a `fixed[L]` type, or undefined for any other type. */
export function parseFixed(type: IcebergType): number | undefined {
  if (typeof type !== 'string') return undefined;
  const match = FIXED_PATTERN.exec(type);
  return match ? Number(match[1]) : undefined;
}

export function isPrimitive(type: IcebergType): type is PrimitiveType {
  return typeof type === 'string';
}
