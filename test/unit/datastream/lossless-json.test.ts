// Lossless JSON: numbers a double would change are kept as their exact text, everything else is what
// JSON.parse returns; invalid JSON is refused exactly where JSON.parse refuses it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seeded } from '../../support/random.js';
import {
  canonicalJsonText,
  JsonNumber,
  JsonSyntaxError,
  mayLosePrecision,
  parseJsonWithOwnParser,
  parseJsonLossless,
} from '../../../shared/datastream/lossless-json.js';

test('numbers with more than 15 significant digits or extreme exponents stay exact', () => {
  const value = parseJsonLossless(
    '{"a":99999999999999.9999,"b":9007199254740993,"c":-0.10000000000000001,"d":1e400,"e":[12345678901234567890]}',
  ) as Record<string, unknown>;
  assert.deepEqual(value.a, new JsonNumber('99999999999999.9999'));
  assert.deepEqual(value.b, new JsonNumber('9007199254740993'));
  assert.deepEqual(value.c, new JsonNumber('-0.10000000000000001'));
  assert.deepEqual(value.d, new JsonNumber('1e400'));
  assert.deepEqual(value.e, [new JsonNumber('12345678901234567890')]);
});

test('digits inside strings do not change the result, only (at most) the path', () => {
  const line = '{"id":"12345678901234567890","n":1.5,"s":"x:12345678901234567"}';
  assert.deepEqual(parseJsonLossless(line), JSON.parse(line));
  assert.equal(mayLosePrecision('{"uuid":"e9183522-60a2-4a11-abf6-7234f19a2000","n":12}'), false);
  assert.equal(mayLosePrecision('{"n": 12345678901234567}'), true, 'whitespace before a number');
  assert.equal(mayLosePrecision('[-1.0000000000000001]'), true);
  assert.equal(mayLosePrecision('{"n":1e-400}'), true);
});

test('the slow path returns what JSON.parse returns for safe numbers, escapes and __proto__', () => {
  const samples = [
    '{"a":[1,-0,0.5,1e21,-2.5e-7,true,false,null],"b":"\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t","c":{}}',
    '{"__proto__":{"x":1},"k":"v","k":"w"}',
    '[ 1 , { "x" : [ ] } , "가나다 🚚" ]',
    '"just a string"',
  ];
  for (const sample of samples) {
    // Force the slow path with a long number somewhere.
    const forced = `[${sample},12345678901234567890]`;
    const value = parseJsonLossless(forced) as unknown[];
    assert.deepEqual(value[0], JSON.parse(sample), sample);
    assert.equal(Object.getPrototypeOf(value[0]), Object.getPrototypeOf(JSON.parse(sample)));
  }
});

test('invalid JSON is refused by both paths, like JSON.parse', () => {
  const invalid = [
    '{"a":1,}',
    '{"a":01}',
    '[1,]',
    '{"a":"\u0001"}',
    '{"a":"\\x"}',
    '{"a":-}',
    '{"a":1.}',
    'nul',
    '{} x',
    '',
    '{"a":"\\ud8"}',
  ];
  for (const text of invalid) {
    assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse accepts ${text}`);
    assert.throws(() => parseJsonLossless(text), JsonSyntaxError, text);
    assert.throws(() => parseJsonLossless(`[${text},12345678901234567890]`), JsonSyntaxError, `slow ${text}`);
  }
});

test('deep nesting is refused with a syntax error instead of overflowing the stack', () => {
  const deep = `${'['.repeat(100000)}12345678901234567890${']'.repeat(100000)}`;
  assert.throws(() => parseJsonLossless(deep), JsonSyntaxError);
});

test('canonical JSON text keeps exact numbers and key order, compactly', () => {
  const value = parseJsonLossless('{ "b" : [1, 2.50, 99999999999999.9999], "a" : {"x": null} }');
  assert.equal(canonicalJsonText(value), '{"b":[1,2.5,99999999999999.9999],"a":{"x":null}}');
});

test('metadata numbers are checked as well as payload numbers', () => {
  assert.equal(mayLosePrecision('{"source_timestamp":-0.0000000000000000001,"payload":{"a":1}}'), true);
  assert.equal(mayLosePrecision('{"tx_id":12345678901234567,"payload":{"a":1}}'), true);
  assert.equal(mayLosePrecision('{"meta":1,"payload":{"a":12345678901234567,"doc":{"payload":1}}}'), true);
  assert.equal(mayLosePrecision('{"source_timestamp":1795510800813,"payload":{"a":1.5}}'), false);
});

test('risky numbers next to look-alikes in strings, keys, escapes and odd spacing: same value as the own parser', () => {
  const samples = [
    '{"a":12345678901234567890,"s":"x:12345678901234567890","t":"\\":12345678901234567"}',
    '{"s":"he said \\"x\\":12345678901234567","n":[1, 99999999999999.9999 ,-0.10000000000000001]}',
    '{"s":"ends with a backslash \\\\","n":12345678901234567}',
    '{"__proto__":12345678901234567890,"k":[{"__proto__":{"v":1e400}}]}',
    '{"a":{"b":[[[1e-400]]]},"c":"1e-400","d":-1e-400}',
    '{"a":1.0000000000000000001,"b":1.5,"c":0.000000000000000000000001}',
    '{"n":\t\n 12345678901234567}',
  ];
  for (const text of samples) {
    assert.deepEqual(parseJsonLossless(text), parseJsonWithOwnParser(text), text);
  }
});

test('a risky number where a key belongs, or next to an existing \\u0000, is still judged exactly', () => {
  assert.throws(() => parseJsonLossless('{"a":1,12345678901234567:2}'), JsonSyntaxError);
  assert.throws(() => parseJsonLossless('[012345678901234567]'), JsonSyntaxError);
  assert.throws(() => parseJsonLossless('[1.2345678901234567.5]'), JsonSyntaxError);
  const withMarkerLookalike = '{"s":"\\u0000123","n":12345678901234567890}';
  assert.deepEqual(parseJsonLossless(withMarkerLookalike), {
    s: '\u0000123',
    n: new JsonNumber('12345678901234567890'),
  });
});

test('random documents: parseJsonLossless equals the own parser, and JSON.parse where numbers are safe', () => {
  const random = seeded(7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const numbers = [
    '0',
    '-0',
    '1.5',
    '12345678901234567890',
    '99999999999999.9999',
    '1e400',
    '-1e-400',
    '9007199254740993',
    '0.10000000000000001',
    '123456789012345.6',
    '42',
  ];
  const strings = ['"x:12345678901234567"', '"\\":1e999"', '"[1234567890123456789"', '"plain"', '"\\\\"'];
  const value = (depth: number): string => {
    const r = random();
    if (depth > 3 || r < 0.4) return pick(numbers);
    if (r < 0.6) return pick(strings);
    if (r < 0.8)
      return `[${Array.from({ length: 1 + Math.floor(random() * 3) }, () => value(depth + 1)).join(pick([',', ' , ']))}]`;
    const keys = ['"a"', '"b"', '"__proto__"', '"1234567890123456789"'];
    return `{${Array.from({ length: 1 + Math.floor(random() * 3) }, () => `${pick(keys)}:${pick(['', ' '])}${value(depth + 1)}`).join(',')}}`;
  };
  for (let i = 0; i < 2000; i++) {
    const text = `{"k":${value(0)}}`;
    assert.deepEqual(parseJsonLossless(text), parseJsonWithOwnParser(text), text);
  }
});

test('the lines mayLosePrecision names: long digit runs and long exponents after ":", "," or "[", and nothing else', () => {
  const cases: Array<[string, boolean]> = [
    ['{"a":1234567890123456}', true],
    ['{"a":123456789012345}', false],
    ['{"a":12345678901234.5}', true], // 15 digits and a dot: a harmless false positive
    ['{"a":-0.10000000000000001}', true],
    ['{"a": \t 9007199254740993}', true],
    ['[9007199254740993]', true],
    ['{"a":[1,\r9007199254740993]}', true],
    ['{"a":1e400}', true],
    ['{"a":1E-400}', true],
    ['{"a":1.5e+308}', true],
    ['{"a":1.5e99}', false],
    ['{"a":-2e-99,"b":3}', false],
    ['{"a":"12345678901234567890"}', false], // digits inside a string
    ['{"uuid":"e9183522-60a2-4e31-abf6-7234f19a2000"}', false], // hex with e and digits
    ['{"k":"a4e318","h":"10e999"}', false],
    ['{"a":"x:12345678901234567"}', true], // inside a string after ":": a false positive
    ['{"a":--12345678901234567}', false],
    ['{"a":- 12345678901234567}', false],
    ['{"a":1}', false],
    ['12345678901234567', true], // a document that is a number
  ];
  for (const [line, risky] of cases) assert.equal(mayLosePrecision(line), risky, line);
});

test('random lines with numbers and strings: JSON.parse is exact on every line mayLosePrecision does not name', () => {
  const random = seeded(12);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const number = (): string => {
    const int = pick(['0', `${1 + Math.floor(random() * 9)}${digits(Math.floor(random() * 20))}`]);
    const frac = random() < 0.5 ? `.${digits(1 + Math.floor(random() * 18))}` : '';
    const exp =
      random() < 0.3
        ? `${pick(['e', 'E'])}${pick(['', '+', '-'])}${digits(1 + Math.floor(random() * 4))}`
        : '';
    return `${pick(['', '-'])}${int}${frac}${exp}`;
  };
  const text = (): string => {
    const parts = ['x', '가', 'é', '🚚', ':', ',', '[', ' ', '-', '.', 'e', 'E', '+', digits(3), digits(17)];
    return JSON.stringify(Array.from({ length: Math.floor(random() * 8) }, () => pick(parts)).join(''));
  };
  const space = () => pick(['', '', '', ' ', '\t', ' \r ']);
  const value = (depth: number): string => {
    const r = random();
    if (depth > 2 || r < 0.45) return number();
    if (r < 0.7) return text();
    if (r < 0.85)
      return `[${space()}${Array.from({ length: 1 + Math.floor(random() * 4) }, () => value(depth + 1)).join(`${space()},${space()}`)}]`;
    return `{${Array.from({ length: 1 + Math.floor(random() * 4) }, (_, i) => `"k${i}"${space()}:${space()}${value(depth + 1)}`).join(',')}}`;
  };
  let checked = 0;
  for (let i = 0; i < 20_000; i++) {
    const line = `{"payload":${value(0)},"n":${number()}}`;
    const exact = parseJsonWithOwnParser(line);
    assert.deepEqual(parseJsonLossless(line), exact, line);
    if (mayLosePrecision(line)) continue;
    assert.deepEqual(JSON.parse(line), exact, line);
    checked++;
  }
  assert.ok(checked > 2_000 && checked < 18_000, `a mix of both kinds: ${checked}`);
});
