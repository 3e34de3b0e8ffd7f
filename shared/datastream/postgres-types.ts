// PostgreSQL column type → Iceberg type: the one table every layer agrees on (ingest coerces payload
// values to these types, the writer maps them on to Arrow/Parquet, the docs list what BigQuery shows).
// Choices made for BigQuery: uuid → string (BigQuery shows Iceberg uuid as BYTES), jsonb/json → string
// holding the JSON text, unbounded numeric → string (Iceberg decimals stop at precision 38), never
// timestamp_ns (a v3 type).

import {
  decimalType,
  MAX_DECIMAL_PRECISION,
  type IcebergType,
  type PrimitiveType,
} from '../iceberg/spec/types.js';

export interface PostgresTypeMapping {
  /** The Iceberg type the column is stored as. */
  iceberg: IcebergType;
  /** The PostgreSQL element type for arrays, else undefined. */
  element?: string;
}

const SCALARS: Record<string, PrimitiveType> = {
  smallint: 'int',
  int2: 'int',
  integer: 'int',
  int: 'int',
  int4: 'int',
  serial: 'int',
  smallserial: 'int',
  bigint: 'long',
  int8: 'long',
  bigserial: 'long',
  real: 'float',
  float4: 'float',
  'double precision': 'double',
  float8: 'double',
  boolean: 'boolean',
  bool: 'boolean',
  text: 'string',
  varchar: 'string',
  'character varying': 'string',
  char: 'string',
  character: 'string',
  bpchar: 'string',
  name: 'string',
  citext: 'string',
  uuid: 'string',
  json: 'string',
  jsonb: 'string',
  xml: 'string',
  inet: 'string',
  cidr: 'string',
  macaddr: 'string',
  interval: 'string',
  money: 'string',
  numeric: 'string',
  decimal: 'string',
  bytea: 'binary',
  date: 'date',
  time: 'time',
  'time without time zone': 'time',
  timetz: 'string',
  'time with time zone': 'string',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  timestamptz: 'timestamptz',
  'timestamp with time zone': 'timestamptz',
  // PostgreSQL's pseudo-type of a value whose type is not resolved: a column inferred from payloads
  // that held no value to tell its type by (only nulls, or mixed shapes) is stored as text of any value.
  unknown: 'string',
};

/** Strip a length/precision suffix and normalise spacing and case: `varchar(100)` → `varchar`. */
function baseName(pgType: string): string {
  return pgType
    .trim()
    .toLowerCase()
    .replace(/\s*\([^)]*\)\s*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Map a PostgreSQL type as written in DDL or `format_type()` (`numeric(18,4)`, `text[]`,
 * `timestamp with time zone`) to its Iceberg type. Array element ids are assigned by the schema
 * builder, so arrays come back with `element-id` 0 as a placeholder.
 */
export function postgresToIceberg(pgType: string): PostgresTypeMapping {
  const trimmed = pgType.trim().toLowerCase();
  if (trimmed.endsWith('[]') || trimmed.startsWith('_')) {
    const element = trimmed.endsWith('[]') ? trimmed.replace(/(\[\])+$/, '') : trimmed.slice(1);
    const inner = postgresToIceberg(element).iceberg;
    return { iceberg: { type: 'list', 'element-id': 0, element: inner, 'element-required': false }, element };
  }
  const numeric = /^(numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\)$/.exec(trimmed);
  if (numeric) {
    const precision = Number(numeric[2]);
    const scale = numeric[3] === undefined ? 0 : Number(numeric[3]);
    if (precision <= MAX_DECIMAL_PRECISION && scale >= 0 && scale <= precision) {
      return { iceberg: decimalType(precision, scale) };
    }
    return { iceberg: 'string' };
  }
  const scalar = SCALARS[baseName(trimmed)];
  if (scalar) return { iceberg: scalar };
  throw new Error(
    `unsupported PostgreSQL type "${pgType}": declare the column's Iceberg type in the table config`,
  );
}
