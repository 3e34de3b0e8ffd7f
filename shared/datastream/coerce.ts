// Payload value → the engine's in-memory value of the column's Iceberg type (values.ts). One coercer is
// built per column when a table is compiled, so the per-value work is a direct call with no type
// dispatch. Coercers throw CoercionFailure (reason + value); the event reader adds the position.
//
// Accepted forms (JSON, and the typed Avro values of source-values.ts):
//   boolean        true/false
//   int, long      integer JSON numbers (exact, range-checked: smallint 16-bit, integer 32, bigint 64),
//                  Avro int/long
//   float, double  JSON numbers; "NaN", "Infinity", "-Infinity" strings (PostgreSQL's special floats)
//   decimal(P,S)   JSON number or numeric string, exact; extra fractional digits only if zeros; ≤ P digits
//   date           "YYYY-MM-DD" (0001-01-01..9999-12-31)
//   time           "HH:MM:SS[.ffffff]"
//   timestamp(tz)  "YYYY-MM-DD[T ]HH:MM:SS[.ffffff][Z|±HH[:MM]]", no zone = UTC, offsets normalized
//   string         strings; for json/jsonb columns any JSON value → canonical JSON text; for numeric
//                  columns stored as text a JSON number → its exact plain decimal text
//                  columns of source type `unknown` any value as text (see coerceAnyAsText)
//   uuid (pg)      8-4-4-4-12 hex string, kept as written
//   binary         base64 string, or PostgreSQL hex "\x…"; Avro bytes
//   list<E>        JSON array (or Datastream's {nestedArray, elementValue} record), elements coerced
// "infinity"/"-infinity" for dates and timestamps are refused with a reason that says so: Iceberg has
// no infinite date, and silently mapping them to a far date would change query results.

import { parseDecimal, parseFixed, type IcebergType } from '../iceberg/spec/types.js';
import type { IcebergValue } from '../iceberg/spec/values.js';
import { CoercionFailure } from './errors.js';
import {
  exactFromNumber,
  parseExactDecimal,
  plainDecimalText,
  toExactInteger,
  toUnscaled,
  type ExactDecimal,
} from './exact-number.js';
import {
  canonicalJsonText,
  JsonNumber,
  MAX_JSON_DEPTH,
  parseJsonLossless,
  type JsonValue,
} from './lossless-json.js';
import {
  DateDays,
  JsonDocumentText,
  ScaledDecimal,
  TimeOfDayMicros,
  TimestampMicros,
} from './source-values.js';
import { plainJsonText } from './json-text.js';
import { parseDate, parseTime, parseTimestamp } from './temporal.js';

export type Coercer = (value: unknown) => IcebergValue;

const SMALLINT_MIN = -32768;
const SMALLINT_MAX = 32767;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const FLOAT_MAX = 3.4028234663852886e38;

function fail(reason: string, value: unknown): never {
  throw new CoercionFailure(reason, value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof JsonNumber) return 'a number';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function wrongType(value: unknown): never {
  fail(`is ${typeName(value)}`, value);
}

function exactOf(value: unknown): ExactDecimal | undefined {
  if (typeof value === 'number') return exactFromNumber(value);
  if (value instanceof JsonNumber) {
    const exact = parseExactDecimal(value.text);
    // Only an exponent beyond any storable magnitude makes a valid JSON number unparseable here.
    if (!exact) fail('is out of range (exponent too large)', value);
    return exact;
  }
  if (typeof value === 'bigint') return { digits: value, exponent: 0, precision: value === 0n ? 0 : 1 };
  return undefined;
}

function coerceBoolean(value: unknown): IcebergValue {
  if (typeof value === 'boolean') return value;
  return wrongType(value);
}

function coerceInt(value: unknown): IcebergValue {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX) return value === 0 ? 0 : value;
    if (!Number.isInteger(value)) fail('is not an integer', value);
    fail('is out of the 32-bit integer range', value);
  }
  const exact = exactOf(value);
  if (!exact) return wrongType(value);
  const n = toExactInteger(exact);
  if (n < BigInt(INT_MIN) || n > BigInt(INT_MAX)) fail('is out of the 32-bit integer range', value);
  return Number(n);
}

/** PostgreSQL smallint is stored as an Iceberg int, but its values are 16-bit. */
function coerceSmallint(value: unknown): IcebergValue {
  const n = coerceInt(value) as number;
  if (n < SMALLINT_MIN || n > SMALLINT_MAX) {
    fail(`is out of the smallint range (${SMALLINT_MIN} to ${SMALLINT_MAX})`, value);
  }
  return n;
}

function coerceLong(value: unknown): IcebergValue {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'bigint') {
    if (value < LONG_MIN || value > LONG_MAX) fail('is out of the 64-bit integer range', value);
    return value;
  }
  const exact = exactOf(value);
  if (!exact) return wrongType(value);
  const n = toExactInteger(exact);
  if (n < LONG_MIN || n > LONG_MAX) fail('is out of the 64-bit integer range', value);
  return n;
}

function specialFloat(value: string): number | undefined {
  switch (value) {
    case 'NaN':
      return NaN;
    case 'Infinity':
    case '+Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
  }
  return undefined;
}

function coerceDouble(value: unknown): IcebergValue {
  if (typeof value === 'number') return value;
  if (value instanceof JsonNumber) {
    const n = Number(value.text);
    if (!Number.isFinite(n)) fail('is beyond the range of a double', value);
    return n;
  }
  if (typeof value === 'string') {
    const special = specialFloat(value);
    if (special !== undefined) return special;
  }
  return wrongType(value);
}

function coerceFloat(value: unknown): IcebergValue {
  const n = coerceDouble(value) as number;
  if (Number.isFinite(n) && Math.abs(n) > FLOAT_MAX) fail('is beyond the range of a float', value);
  return n;
}

/** Powers of ten that a double holds exactly (10^0..10^22). */
const EXACT_POWERS = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Fast exact path for a JS number at a scale: r = round(v·10^s) is the unscaled value exactly when
 * r/10^s gives back v and |r| < 10^15. Why: below 10^15, r/10^s is a decimal of at most 15
 * significant digits, and two different decimals of at most 15 digits never round to the same
 * double (DBL_DIG); so v, the double of the token (at most 15 digits on the fast JSON path), is that
 * decimal, i.e. the token had no more than s fractional digits and its value is r/10^s. Anything
 * else goes through the general exact path (decimal text), which also words the errors.
 */
function decimalFromNumber(value: number, precision: number, scale: number): bigint | undefined {
  const power = EXACT_POWERS[scale];
  if (power === undefined) return undefined;
  const r = Math.round(value * power);
  const magnitude = r < 0 ? -r : r;
  if (magnitude < 1e15 && r / power === value && magnitude < (EXACT_POWERS[precision] ?? Infinity)) {
    return BigInt(r);
  }
  return undefined;
}

function decimalCoercer(precision: number, scale: number): Coercer {
  return (value) => {
    if (typeof value === 'number') {
      const fast = decimalFromNumber(value, precision, scale);
      if (fast !== undefined) return fast;
    }
    if (value instanceof ScaledDecimal) {
      return toUnscaled(
        { digits: value.unscaled, exponent: -value.scale, precision: digitCount(value.unscaled) },
        precision,
        scale,
      );
    }
    let exact = exactOf(value);
    if (!exact && typeof value === 'string') {
      exact = parseExactDecimal(value);
      if (!exact) fail('is not a decimal number', value);
    }
    if (!exact) return wrongType(value);
    try {
      return toUnscaled(exact, precision, scale);
    } catch (error) {
      // Re-throw with the value as written, not the parsed form.
      if (error instanceof CoercionFailure) fail(error.reason, value);
      throw error;
    }
  };
}

function digitCount(n: bigint): number {
  if (n === 0n) return 0;
  return (n < 0n ? -n : n).toString().length;
}

function coerceDate(value: unknown): IcebergValue {
  if (typeof value === 'string') return parseDate(value);
  if (value instanceof DateDays) return value.days;
  return wrongType(value);
}

const MICROS_PER_DAY = 86_400_000_000n;

function coerceTime(value: unknown): IcebergValue {
  if (typeof value === 'string') return parseTime(value);
  if (value instanceof TimeOfDayMicros) {
    if (value.micros < 0n || value.micros >= MICROS_PER_DAY) fail('is not a time of day', value);
    return value.micros;
  }
  return wrongType(value);
}

function coerceTimestamp(value: unknown): IcebergValue {
  if (typeof value === 'string') return parseTimestamp(value);
  if (value instanceof TimestampMicros) return value.micros;
  return wrongType(value);
}

function coerceString(value: unknown): IcebergValue {
  if (typeof value === 'string') return value;
  // Without a source type to go by, structured values are stored as JSON text and numbers as exact
  // decimal text, which is what a text column of a json or numeric source would hold.
  if (value instanceof JsonDocumentText) return jsonText(value);
  if (typeof value === 'number' || value instanceof JsonNumber) return numericText(value);
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) return jsonText(value);
  return wrongType(value);
}

// JSON.stringify writes a JsonNumber as {"text":"…"}; only then is the exact writer needed. (A real
// object whose first key is "text" also takes the exact writer, which gives the same result.)
const JSON_NUMBER_MARK = '{"text":';

function jsonText(value: unknown): string {
  try {
    if (value instanceof JsonDocumentText) return canonicalJsonText(parseJsonLossless(value.text));
    const plain = plainJsonText(value);
    if (plain !== undefined) return plain;
    const fast = JSON.stringify(value);
    if (fast !== undefined && !fast.includes(JSON_NUMBER_MARK)) return fast;
    return canonicalJsonText(value as JsonValue);
  } catch (error) {
    if (error instanceof RangeError)
      fail(`is JSON nested deeper than ${MAX_JSON_DEPTH} levels`, '<deep JSON>');
    if (error instanceof Error) fail(`is not valid JSON (${error.message})`, value);
    throw error;
  }
}

function coerceJson(value: unknown): IcebergValue {
  if (value instanceof Uint8Array) return wrongType(value);
  return jsonText(value);
}

function numericText(value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail('is not a finite number', value);
    return plainDecimalText(exactFromNumber(value));
  }
  if (value instanceof JsonNumber) {
    const exact = parseExactDecimal(value.text);
    if (!exact) fail('is not a decimal number', value);
    return plainDecimalText(exact);
  }
  if (value instanceof ScaledDecimal) {
    return plainDecimalText({ digits: value.unscaled, exponent: -value.scale, precision: 0 });
  }
  return wrongType(value);
}

/**
 * A column whose source type is `unknown` (inferred from payloads that did not tell it): any value is
 * kept as text, strings as written, numbers as their exact decimal text, booleans as true/false, JSON
 * objects and arrays as JSON text. Nothing a later file sends can fail here, so no file is lost to a
 * guess.
 */
function coerceAnyAsText(value: unknown): IcebergValue {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return coerceString(value);
}

// PostgreSQL numeric also has NaN and ±Infinity, which a text column can hold as such.
const NUMERIC_TEXT = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]?Infinity)$/;

function coerceNumericText(value: unknown): IcebergValue {
  if (typeof value === 'string') {
    if (!NUMERIC_TEXT.test(value)) fail('is not a numeric value', value);
    return value;
  }
  return numericText(value);
}

/** 1 for the ASCII codes of hex digits (either case), 0 for every other code below 128. */
const HEX_DIGIT = new Uint8Array(128);
for (const c of '0123456789abcdefABCDEF') HEX_DIGIT[c.charCodeAt(0)] = 1;

/**
 * 8-4-4-4-12 hex digits, either case (what /^[0-9a-fA-F]{8}-…-[0-9a-fA-F]{12}$/ accepts). A table
 * lookup per character: the regex, and the call into it, cost more per value (README.md, Measured).
 */
function isUuidText(text: string): boolean {
  if (text.length !== 36) return false;
  if (text.charCodeAt(8) !== 0x2d || text.charCodeAt(13) !== 0x2d) return false;
  if (text.charCodeAt(18) !== 0x2d || text.charCodeAt(23) !== 0x2d) return false;
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) continue;
    const c = text.charCodeAt(i);
    if (c >= 128 || HEX_DIGIT[c] === 0) return false;
  }
  return true;
}

function coerceUuid(value: unknown): IcebergValue {
  if (typeof value !== 'string') return wrongType(value);
  if (!isUuidText(value)) fail('is not a UUID', value);
  return value;
}

const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX_PATTERN = /^\\x(?:[0-9a-fA-F]{2})*$/;

function coerceBinary(value: unknown): IcebergValue {
  if (value instanceof Uint8Array) return value;
  if (typeof value !== 'string') return wrongType(value);
  if (value.startsWith('\\x')) {
    if (!HEX_PATTERN.test(value)) fail('is not PostgreSQL hex bytea (\\x followed by hex pairs)', value);
    return new Uint8Array(Buffer.from(value.slice(2), 'hex'));
  }
  if (!BASE64_PATTERN.test(value)) fail('is not base64', value);
  return new Uint8Array(Buffer.from(value, 'base64'));
}

function fixedCoercer(length: number): Coercer {
  return (value) => {
    const bytes = coerceBinary(value) as Uint8Array;
    if (bytes.length !== length) fail(`has ${bytes.length} bytes, not ${length}`, value);
    return bytes;
  };
}

function isArrayRecord(value: unknown): value is { nestedArray: unknown; elementValue?: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'nestedArray' in value;
}

/** One level of Datastream's array record: a nested array (→ JS array) or a leaf (→ its element value). */
export function fromArrayRecord(value: unknown): unknown {
  if (!isArrayRecord(value)) return value;
  const nested = value.nestedArray;
  if (Array.isArray(nested)) return nested.map(fromArrayRecord);
  return value.elementValue ?? null;
}

/** Elements of a JSON array, or of Datastream's {nestedArray, elementValue} array record. */
function arrayElements(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (isArrayRecord(value)) {
    const nested = value.nestedArray;
    if (nested === null || nested === undefined) return [];
    if (Array.isArray(nested)) return nested.map(fromArrayRecord);
  }
  return undefined;
}

function listCoercer(
  element: IcebergType,
  elementRequired: boolean,
  elementPgType: string | undefined,
): Coercer {
  const coerceElement = makeCoercer(element, elementPgType);
  return (value) => {
    const items = arrayElements(value);
    if (!items) return wrongType(value);
    const out: IcebergValue[] = new Array<IcebergValue>(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item === null || item === undefined) {
        if (elementRequired) fail(`has a null element at index ${i}`, value);
        out[i] = null;
        continue;
      }
      try {
        out[i] = coerceElement(item);
      } catch (error) {
        if (error instanceof CoercionFailure) fail(`element ${i} ${error.reason}`, item);
        throw error;
      }
    }
    return out;
  };
}

function structCoercer(fields: { name: string; type: IcebergType; required: boolean }[]): Coercer {
  const plans = fields.map((f) => ({ ...f, coerce: makeCoercer(f.type, undefined) }));
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
      return wrongType(value);
    }
    const source = value as Record<string, unknown>;
    const out: Record<string, IcebergValue> = {};
    for (const plan of plans) {
      const item = source[plan.name];
      if (item === null || item === undefined) {
        if (plan.required) fail(`has no value for required field "${plan.name}"`, value);
        out[plan.name] = null;
      } else {
        out[plan.name] = plan.coerce(item);
      }
    }
    return out;
  };
}

function mapCoercer(key: IcebergType, valueType: IcebergType, valueRequired: boolean): Coercer {
  const coerceKey = makeCoercer(key, undefined);
  const coerceValue = makeCoercer(valueType, undefined);
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
      return wrongType(value);
    }
    const out: Array<[IcebergValue, IcebergValue]> = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === null && valueRequired) fail(`has a null value for key "${k}"`, value);
      out.push([coerceKey(k), v === null ? null : coerceValue(v)]);
    }
    return out;
  };
}

function pgBase(pgType: string | undefined): string | undefined {
  if (pgType === undefined) return undefined;
  return pgType
    .trim()
    .toLowerCase()
    .replace(/\s*\(.*$/, '')
    .trim();
}

/** The n of `varchar(n)`, `character varying(n)`, `char(n)`, `character(n)` or `bpchar(n)`, else undefined. */
function declaredLength(pgType: string | undefined): number | undefined {
  const match = /^(?:varchar|character varying|char|character|bpchar)\s*\(\s*(\d+)\s*\)$/i.exec(
    pgType?.trim() ?? '',
  );
  return match ? Number(match[1]) : undefined;
}

/**
 * Text of at most `length` characters, as PostgreSQL counts them (code points). A longer value cannot
 * come from the declared column: the declaration or the file is wrong, and the file fails. The UTF-16
 * length is an upper bound of the code points, so a value within it costs no count.
 */
function lengthCoercer(length: number, pgType: string): Coercer {
  return (value) => {
    if (typeof value !== 'string') return wrongType(value);
    if (value.length > length) {
      const characters = Array.from(value).length;
      if (characters > length) fail(`is ${characters} characters, longer than ${pgType} allows`, value);
    }
    return value;
  };
}

/** The coercer for a column of this Iceberg type; `pgType` refines text columns (json, uuid, numeric). */
export function makeCoercer(type: IcebergType, pgType: string | undefined): Coercer {
  if (typeof type !== 'string') {
    switch (type.type) {
      case 'list': {
        const element = pgType?.trim().toLowerCase().replace(/\[\]$/, '');
        return listCoercer(type.element, type['element-required'], element);
      }
      case 'struct':
        return structCoercer(type.fields);
      case 'map':
        return mapCoercer(type.key, type.value, type['value-required']);
    }
  }
  switch (type) {
    case 'boolean':
      return coerceBoolean;
    case 'int': {
      const base = pgBase(pgType);
      return base === 'smallint' || base === 'int2' || base === 'smallserial' ? coerceSmallint : coerceInt;
    }
    case 'long':
      return coerceLong;
    case 'float':
      return coerceFloat;
    case 'double':
      return coerceDouble;
    case 'date':
      return coerceDate;
    case 'time':
      return coerceTime;
    case 'timestamp':
    case 'timestamptz':
      return coerceTimestamp;
    case 'uuid':
      return coerceUuid;
    case 'binary':
      return coerceBinary;
    case 'string': {
      const base = pgBase(pgType);
      if (base === 'json' || base === 'jsonb') return coerceJson;
      if (base === 'uuid') return coerceUuid;
      if (base === 'numeric' || base === 'decimal') return coerceNumericText;
      if (base === 'unknown') return coerceAnyAsText;
      if (base === undefined) return coerceString;
      const length = declaredLength(pgType);
      if (length !== undefined) return lengthCoercer(length, pgType!.trim());
      return (value) => (typeof value === 'string' ? value : wrongType(value));
    }
  }
  const decimal = parseDecimal(type);
  if (decimal) return decimalCoercer(decimal.precision, decimal.scale);
  const fixed = parseFixed(type);
  if (fixed !== undefined) return fixedCoercer(fixed);
  throw new Error(`no coercion for Iceberg type ${JSON.stringify(type)}`);
}

/** A readable name of the expected type for error messages: `numeric(10,2) (decimal(10, 2))`. */
export function expectedTypeName(type: IcebergType, pgType: string | undefined): string {
  const iceberg =
    typeof type === 'string'
      ? type
      : type.type === 'list'
        ? `list<${expectedTypeName(type.element, undefined)}>`
        : type.type;
  return pgType ? `${pgType} (Iceberg ${iceberg})` : `Iceberg ${iceberg}`;
}
