// The canonical row form: one JSON object per row, each value in the form the test scenarios'
// expected/*.jsonl use (integers exact, numeric(p,s) as a string with s decimals, jsonb as its JSON
// value, dates and times as ISO text with microseconds, timestamptz in UTC with `Z`, bytea as base64).
// `datastream-iceberg show` prints it and the tests compare with it, so a table's rows and the expected
// rows compare as strings: exact for bigints and decimals, structural for jsonb (keys sorted).

import { JsonNumber, parseJsonLossless, type JsonValue } from './lossless-json.js';
import { formatUnscaled } from './exact-number.js';
import { formatDate, formatTime, formatTimestamp } from './temporal.js';
import type { ColumnPlan } from './table.js';
import { parseDecimal, type IcebergType } from '../iceberg/spec/types.js';
import type { IcebergValue, Row } from '../iceberg/spec/values.js';

/** JSON text with object keys sorted and numbers written exactly (JsonNumber as its text). */
export function sortedJsonText(value: JsonValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(sortedJsonText).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJsonText(value[k] as JsonValue)}`).join(',')}}`;
}

function isJsonColumn(pgType: string | undefined): boolean {
  const base = pgType?.trim().toLowerCase();
  return base === 'json' || base === 'jsonb';
}

/** The canonical JSON value (per the fixtures README) of an in-memory value of a column. */
export function canonicalValue(
  type: IcebergType,
  pgType: string | undefined,
  value: IcebergValue,
): JsonValue {
  if (value === null) return null;
  if (typeof type !== 'string') {
    if (type.type === 'list') {
      const element = pgType?.replace(/\[\]$/, '');
      return (value as IcebergValue[]).map((item) => canonicalValue(type.element, element, item));
    }
    throw new Error(`no canonical form for ${type.type}`);
  }
  switch (type) {
    case 'int':
    case 'double':
    case 'float':
    case 'boolean':
      return value as number | boolean;
    case 'long':
      return new JsonNumber((value as bigint).toString());
    case 'date':
      return formatDate(value as number);
    case 'time':
      return formatTime(value as bigint);
    case 'timestamp':
      return formatTimestamp(value as bigint);
    case 'timestamptz':
      return `${formatTimestamp(value as bigint)}Z`;
    case 'binary':
      return Buffer.from(value as Uint8Array).toString('base64');
    case 'string':
      return isJsonColumn(pgType) ? parseJsonLossless(value as string) : (value as string);
  }
  const decimal = parseDecimal(type);
  if (decimal) return formatUnscaled(value as bigint, decimal.scale);
  throw new Error(`no canonical form for ${type}`);
}

/** Canonical text of a column value, for comparison with the expected row's value. */
export function canonicalText(column: ColumnPlan, value: IcebergValue): string {
  return sortedJsonText(canonicalValue(column.field.type, column.pgType, value));
}

/**
 * One row as a canonical JSON line: the given columns in their order (the engine's order columns are
 * not source columns and are left out by the caller), every value canonical, object keys inside jsonb
 * values sorted. A column absent from the row is written as null.
 */
export function canonicalRowText(columns: readonly ColumnPlan[], row: Readonly<Row>): string {
  const parts = columns.map((c) => `${JSON.stringify(c.name)}:${canonicalText(c, row[c.name] ?? null)}`);
  return `{${parts.join(',')}}`;
}

/** An expected/ line (any key order, any spacing) in the same text as canonicalRowText. */
export function canonicalJsonLine(line: string): string {
  return sortedJsonText(parseJsonLossless(line));
}
