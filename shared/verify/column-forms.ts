// How `verify` compares a column: the text of a value that PostgreSQL computes in SQL from the source
// column (`sql`) and that we compute from the table's value (`text`), identical for equal values, so a
// row hash can be computed on both sides and only hashes travel. The forms are exact, not pretty:
// floats as the hex of their IEEE bits, bytea as hex, dates and times as ISO text with microseconds,
// json/jsonb as reduced jsonb text (jsonb-text.ts), integer and text arrays as JSON arrays.
// A column with no such form (interval, inet, money, char(n), arrays of other types…) has none: the table
// is then compared by streaming its rows (`fallbackSql` is PostgreSQL's own text of the value).
// The `payloadSql` of a column renders a source value as Datastream's JSON payload does, so the pipeline's
// own coercion turns it into the table's value and differences print in the canonical row form.

import { formatUnscaled } from '../datastream/exact-number.js';
import { postgresToIceberg } from '../datastream/postgres-types.js';
import type { ColumnPlan } from '../datastream/table.js';
import { formatDate, formatTime, formatTimestamp } from '../datastream/temporal.js';
import { parseDecimal, type IcebergType } from '../iceberg/spec/types.js';
import type { IcebergValue } from '../iceberg/spec/values.js';
import { reducedJsonbSql, reducedJsonbText, stripFractionZeros } from './jsonb-text.js';

export interface ColumnForm {
  name: string;
  /** The source column's type, as PostgreSQL's format_type prints it. */
  sourceType: string;
  /** SQL text of the value, or NULL for a null. */
  sql: string;
  /** The same text from the table's (non-null) value. */
  text(value: IcebergValue): string;
  /** True when `sql` and `text` agree for every value (false: PostgreSQL's text, compared as is). */
  exact: boolean;
  /** True when the text may hold anything (a tab, a backslash): the row text escapes it. */
  raw: boolean;
  /** SQL rendering the value as Datastream's JSON payload (json). */
  payloadSql: string;
  /** For a key column whose order is the same in PostgreSQL and in the table: SQL of a bound value. */
  keyParam?: { cast: string; collate: boolean; text(value: IcebergValue): string };
}

export const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** `character varying(40)` → `character varying`; `numeric(18,4)` → `numeric`; `text[]` stays. */
export function baseType(pgType: string): string {
  return pgType
    .trim()
    .toLowerCase()
    .replace(/\s*\([^)]*\)/g, '')
    .replace(/\s+/g, ' ');
}

const TEXT_TYPES = new Set(['text', 'character varying', 'varchar', 'citext', 'name']);

// one buffer for every float rendered (big-endian, as float4send/float8send write them)
const floatBytes = new DataView(new ArrayBuffer(8));
const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

function float32Hex(value: number): string {
  floatBytes.setFloat32(0, value);
  return hex8(floatBytes.getUint32(0));
}

function float64Hex(value: number): string {
  floatBytes.setFloat64(0, value);
  return hex8(floatBytes.getUint32(0)) + hex8(floatBytes.getUint32(4));
}

interface Scalar {
  sql(c: string): string;
  text(value: IcebergValue): string;
  raw?: boolean;
}

const TO_TEXT = (c: string) => `${c}::text`;

/** The exact form of a scalar of this Iceberg type from a source column of this base type, if any. */
function scalarForm(type: IcebergType, base: string): Scalar | undefined {
  if (typeof type !== 'string') return undefined;
  switch (type) {
    case 'int':
    case 'long':
    case 'boolean':
      return { sql: TO_TEXT, text: (v) => String(v) };
    case 'float':
      return { sql: (c) => `encode(float4send(${c}), 'hex')`, text: (v) => float32Hex(v as number) };
    case 'double':
      return { sql: (c) => `encode(float8send(${c}), 'hex')`, text: (v) => float64Hex(v as number) };
    case 'date':
      return { sql: (c) => `to_char(${c}, 'YYYY-MM-DD')`, text: (v) => formatDate(v as number) };
    case 'time':
      return { sql: (c) => `to_char(${c}, 'HH24:MI:SS.US')`, text: (v) => formatTime(v as bigint) };
    case 'timestamp':
      return {
        sql: (c) => `to_char(${c}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
        text: (v) => formatTimestamp(v as bigint),
      };
    case 'timestamptz':
      return {
        sql: (c) => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
        text: (v) => `${formatTimestamp(v as bigint)}Z`,
      };
    case 'binary':
      return { sql: (c) => `encode(${c}, 'hex')`, text: (v) => Buffer.from(v as Uint8Array).toString('hex') };
    case 'string':
      // a JSON null and an SQL NULL are one null in Datastream's payload, so in the table too
      if (base === 'json' || base === 'jsonb')
        return {
          sql: (c) => reducedJsonbSql(`nullif(${c}::jsonb, 'null'::jsonb)`),
          text: (v) => reducedJsonbText(v as string),
        };
      if (base === 'uuid') return { sql: TO_TEXT, text: (v) => v as string };
      if (TEXT_TYPES.has(base)) return { sql: TO_TEXT, text: (v) => v as string, raw: true };
      if (base === 'numeric' || base === 'decimal')
        return {
          // the table keeps the number the payload carried (12.50 may arrive as 12.5)
          sql: (c) =>
            `regexp_replace(regexp_replace(${c}::text, '(\\.[0-9]*[1-9])0+$', '\\1'), '\\.0+$', '')`,
          text: (v) => stripFractionZeros(v as string),
        };
      return undefined;
  }
  const decimal = parseDecimal(type);
  if (decimal) return { sql: TO_TEXT, text: (v) => formatUnscaled(v as bigint, decimal.scale) };
  return undefined;
}

/** Array elements whose JSON (`to_json(array)`) we print the same way: integers, booleans, text. */
function jsonElement(type: IcebergType, base: string): ((v: IcebergValue) => string) | undefined {
  if (type === 'int' || type === 'long' || type === 'boolean') return (v) => String(v);
  if (type === 'string' && (TEXT_TYPES.has(base) || base === 'uuid')) return (v) => JSON.stringify(v);
  return undefined;
}

/** Key columns whose order PostgreSQL and the table agree on (text compared byte-wise, COLLATE "C"). */
function keyParam(type: IcebergType, base: string, sourceType: string): ColumnForm['keyParam'] {
  const scalar = scalarForm(type, base);
  if (!scalar) return undefined;
  const ordered =
    type === 'int' ||
    type === 'long' ||
    type === 'date' ||
    type === 'timestamp' ||
    type === 'timestamptz' ||
    (typeof type === 'string' && parseDecimal(type) !== undefined) ||
    (type === 'string' && (TEXT_TYPES.has(base) || base === 'uuid'));
  if (!ordered) return undefined;
  return { cast: sourceType, collate: type === 'string' && TEXT_TYPES.has(base), text: scalar.text };
}

function sameType(a: IcebergType, b: IcebergType): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (a.type === 'list' && b.type === 'list') return sameType(a.element, b.element);
  return false;
}

/** SQL of a value in Datastream's payload JSON (the forms the pipeline's coercion reads). */
function payloadSql(c: string, base: string): string {
  if (base.endsWith('[]')) return `to_json(${c})`;
  switch (base) {
    case 'timestamp with time zone':
    case 'timestamptz':
      return `to_json(to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))`;
    case 'timestamp without time zone':
    case 'timestamp':
      return `to_json(to_char(${c}, 'YYYY-MM-DD"T"HH24:MI:SS.US'))`;
    case 'bytea':
      return `to_json(translate(encode(${c}, 'base64'), E'\\n', ''))`;
    default:
      return `to_json(${c})`;
  }
}

/** The form of a table column against its source column of type `sourceType`. */
export function columnForm(column: ColumnPlan, sourceType: string): ColumnForm {
  const c = quoteIdentifier(column.name);
  const base = baseType(sourceType);
  const type = column.field.type;
  let mapped: IcebergType | undefined;
  try {
    mapped = postgresToIceberg(sourceType).iceberg;
  } catch {
    mapped = undefined;
  }
  const common = { name: column.name, sourceType, payloadSql: payloadSql(c, base) };
  // a source type that no longer maps to the table's type is compared as text (and reported)
  if (mapped !== undefined && sameType(mapped, type)) {
    if (typeof type !== 'string' && type.type === 'list') {
      const elementBase = base.replace(/\[\]$/, '');
      const element = jsonElement(type.element, elementBase);
      if (element)
        return {
          ...common,
          sql: `to_json(${c})::text`,
          text: (v) => `[${(v as IcebergValue[]).map((e) => (e === null ? 'null' : element(e))).join(',')}]`,
          exact: true,
          raw: false,
        };
    } else {
      const scalar = scalarForm(type, base);
      if (scalar) {
        const key = keyParam(type, base, sourceType);
        return {
          ...common,
          sql: scalar.sql(c),
          text: scalar.text,
          exact: true,
          raw: scalar.raw === true,
          ...(key ? { keyParam: key } : {}),
        };
      }
    }
  }
  return { ...common, sql: `${c}::text`, text: (v) => String(v), exact: false, raw: true };
}
