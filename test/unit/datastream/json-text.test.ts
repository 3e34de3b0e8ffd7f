// The json/jsonb writer gives exactly JSON.stringify's text (and canonicalJsonText's, which writes a
// JsonNumber as its exact digits) for random documents, and hands everything that is not a plain JSON
// tree back to the general path instead of deciding it itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCoercer } from '../../../shared/datastream/coerce.js';
import { CoercionFailure } from '../../../shared/datastream/errors.js';
import { plainJsonText } from '../../../shared/datastream/json-text.js';
import {
  canonicalJsonText,
  JsonNumber,
  parseJsonLossless,
  type JsonValue,
} from '../../../shared/datastream/lossless-json.js';
import { seeded } from '../../support/random.js';

function holdsJsonNumber(value: unknown): boolean {
  if (value instanceof JsonNumber) return true;
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).some(holdsJsonNumber);
}

test('random documents: the same text as JSON.stringify and canonicalJsonText', () => {
  const random = seeded(2028);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const numbers = ['0', '-0', '1.5', '-2.25e-7', '1e21', '123e-20', '5e-324', '1.7976931348623157e308', '42'];
  const exact = ['12345678901234567890', '99999999999999.9999', '1e400', '0.10000000000000001'];
  // JSON texts of strings: escapes JSON.stringify writes differently, controls, surrogates (paired and
  // lone), line separators, non-ASCII, quotes and backslashes.
  const strings = [
    '""',
    '"plain"',
    '"가나다"',
    '"\\u00e9"',
    '"\\/"',
    '"a\\"b"',
    '"back\\\\slash"',
    '"\\u0001\\u001f\\b\\f\\n\\r\\t"',
    '"\\u007f"',
    '"\\u2028\\u2029"',
    '"\\ud83d\\ude00"',
    '"\\ud800"',
    '"x\\udc00y"',
    '"\\u0000"',
  ];
  const keys = [
    '"a"',
    '"b"',
    '"__proto__"',
    '"toJSON"',
    '"0"',
    '"1"',
    '"01"',
    '"-1"',
    '"4294967294"',
    '"4294967295"',
    '"1.5"',
    ...strings,
  ];
  const value = (depth: number): string => {
    const r = random();
    if (depth > 4 || r < 0.3) return random() < 0.1 ? pick(exact) : pick(numbers);
    if (r < 0.5) return pick(strings);
    if (r < 0.55) return pick(['true', 'false', 'null']);
    const length = Math.floor(random() * 4);
    if (r < 0.75) return `[${Array.from({ length }, () => value(depth + 1)).join(',')}]`;
    return `{${Array.from({ length }, () => `${pick(keys)}:${value(depth + 1)}`).join(',')}}`;
  };
  const jsonb = makeCoercer('string', 'jsonb');
  let withExact = 0;
  for (let i = 0; i < 5000; i++) {
    const text = value(0);
    const parsed = parseJsonLossless(text);
    const written = plainJsonText(parsed);
    assert.equal(written, canonicalJsonText(parsed), text);
    if (holdsJsonNumber(parsed)) withExact++;
    else assert.equal(written, JSON.stringify(parsed), text);
    assert.equal(jsonb(parsed), written, text);
  }
  assert.ok(withExact > 200 && withExact < 4000, `documents with exact numbers: ${withExact}`);
});

test('anything but a plain JSON tree goes back to the general path', () => {
  const deep = JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`) as JsonValue;
  for (const value of [
    NaN,
    Infinity,
    undefined,
    10n,
    [1, undefined],
    { a: undefined },
    { a: 1n },
    new Date(0),
    new Uint8Array(1),
    new (class Point {
      x = 1;
    })(),
    () => 1,
    Symbol('s'),
    deep,
  ]) {
    assert.equal(plainJsonText(value), undefined, String(value));
  }
  // A null-prototype object is plain, as JSON.stringify treats it.
  const bare = Object.create(null) as Record<string, unknown>;
  bare['k'] = [1, 'v'];
  assert.equal(plainJsonText(bare), JSON.stringify(bare));
  // The general path still decides those: the deep tree is written, a bigint is refused by name.
  const jsonb = makeCoercer('string', 'jsonb');
  assert.equal(jsonb(deep), JSON.stringify(deep));
  assert.throws(
    () => jsonb({ a: 1n }),
    (error: unknown) => error instanceof CoercionFailure && /not valid JSON/.test(error.reason),
  );
});
