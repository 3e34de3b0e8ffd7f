// A json/jsonb value as PostgreSQL prints a jsonb (`value::jsonb::text`), with every number reduced to
// its plain decimal text without trailing fractional zeros. The pipeline stores a jsonb column as JSON
// text whose numbers went through a parse (12.50 arrives as 12.5, 0.0000001 as 1e-7), while PostgreSQL
// keeps each number's scale; both sides agree once numbers are reduced this way. Object keys are in
// jsonb's order (shorter keys first, then by their UTF-8 bytes), ", " between items and ": " after a key.

import { JsonNumber, parseJsonLossless, type JsonValue } from '../datastream/lossless-json.js';
import { parseExactDecimal, plainDecimalText } from '../datastream/exact-number.js';

/** Plain decimal text of a JSON number without trailing fractional zeros: 12.50 → 12.5, 1e2 → 100. */
export function reducedNumberText(text: string): string {
  const exact = parseExactDecimal(text);
  if (!exact) return text;
  return stripFractionZeros(plainDecimalText(exact));
}

/** "12.500" → "12.5", "3.000" → "3", "-0.0" → "0"; text without a fraction stays. */
export function stripFractionZeros(text: string): string {
  if (!text.includes('.')) return text === '-0' ? '0' : text;
  const stripped = text.replace(/0+$/, '').replace(/\.$/, '');
  return stripped === '-0' ? '0' : stripped;
}

function byteLength(key: string): number {
  return Buffer.byteLength(key, 'utf8');
}

const NON_ASCII = /[\u0080-\uffff]/;

function jsonbKeyOrder(a: string, b: string): number {
  // ASCII keys (nearly all): bytes are UTF-16 code units, compared without encoding them
  if (!NON_ASCII.test(a) && !NON_ASCII.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  const length = byteLength(a) - byteLength(b);
  return length !== 0 ? length : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function render(value: JsonValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // an integer a double prints without exponent is its own reduced text
      return Number.isInteger(value) && Math.abs(value) < 1e21
        ? String(value === 0 ? 0 : value)
        : reducedNumberText(String(value));
    case 'string':
      return JSON.stringify(value);
  }
  if (value instanceof JsonNumber) return reducedNumberText(value.text);
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  const keys = Object.keys(value).sort(jsonbKeyOrder);
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${render(value[k] as JsonValue)}`).join(', ')}}`;
}

/** The reduced jsonb text of a JSON document (the text a json/jsonb column holds in the table). */
export function reducedJsonbText(json: string): string {
  return render(parseJsonLossless(json));
}

// A JSON string token in jsonb's output (quotes inside are escaped), matched first so digits inside
// strings are never taken for numbers.
const STRING_TOKEN = '("(?:[^"\\\\]|\\\\.)*")';

/**
 * SQL giving the same text from a json/jsonb expression: its jsonb text, then trailing fractional zeros
 * of numbers removed (12.50 → 12.5) and a fraction of only zeros dropped (3.00 → 3). jsonb prints
 * numbers without exponents, so these two rewrites are all the reduction it needs.
 */
export function reducedJsonbSql(expression: string): string {
  const text = `(${expression})::jsonb::text`;
  const trailing = `'${STRING_TOKEN}|(\\.[0-9]*[1-9])0+(?![0-9])'`;
  const zeros = `'${STRING_TOKEN}|\\.0+(?![0-9])'`;
  // most documents hold no '.' at all: they skip the two rewrites
  const reduced = `regexp_replace(regexp_replace(${text}, ${trailing}, '\\1\\2', 'g'), ${zeros}, '\\1', 'g')`;
  return `CASE WHEN strpos(${text}, '.') = 0 THEN ${text} ELSE ${reduced} END`;
}
