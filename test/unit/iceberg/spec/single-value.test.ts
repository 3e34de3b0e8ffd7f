// Appendix D single-value serialization, byte for byte against the spec's definitions, and the bound
// truncation Java applies (a truncated upper bound must stay above every value it stands for).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decimalToBytes,
  fromSingleValueBytes,
  stringBoundBytes,
  toSingleValueBytes,
  truncateBinaryUpper,
  truncateStringLower,
  truncateStringUpper,
  uuidToBytes,
  writeUuidBytes,
} from '../../../../shared/iceberg/spec/single-value.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('Appendix D encodings', () => {
  assert.equal(hex(toSingleValueBytes('boolean', true)), '01');
  assert.equal(hex(toSingleValueBytes('int', 9999)), '0f270000');
  assert.equal(hex(toSingleValueBytes('int', -1)), 'ffffffff');
  assert.equal(hex(toSingleValueBytes('long', 9007199254740993n)), '0100000000002000');
  assert.equal(hex(toSingleValueBytes('double', 1)), '000000000000f03f');
  assert.equal(hex(toSingleValueBytes('float', 1)), '0000803f');
  assert.equal(hex(toSingleValueBytes('date', -719162)), 'c606f5ff'); // 0001-01-01 = -719162 = 0xfff506c6
  assert.equal(hex(toSingleValueBytes('string', 'ñ€')), 'c3b1e282ac');
  assert.equal(
    hex(toSingleValueBytes('uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7')),
    'f79c3e09677c4bbda4793f349cb785e7',
  );
  // decimals: two's complement big-endian, minimum bytes
  assert.equal(hex(decimalToBytes(-1000000n)), 'f0bdc0');
  assert.equal(hex(decimalToBytes(12345678n)), '00bc614e');
  assert.equal(hex(decimalToBytes(127n)), '7f');
  assert.equal(hex(decimalToBytes(128n)), '0080');
  assert.equal(hex(decimalToBytes(-128n)), '80');
  assert.equal(hex(decimalToBytes(-129n)), 'ff7f');
  assert.equal(hex(decimalToBytes(0n)), '00');
  for (const v of [0n, -1n, 127n, -128n, 10n ** 37n, -(10n ** 37n), 999999999999999999n]) {
    assert.equal(fromSingleValueBytes('decimal(38, 0)', decimalToBytes(v)), v);
  }
  assert.throws(() => toSingleValueBytes('long', 1), /does not fit Iceberg type "long"/);
});

test('string bounds truncate to 16 code points; the upper bound is incremented past the prefix', () => {
  const long = 'abcdefghijklmnopqrstuvwxyz';
  assert.equal(truncateStringLower(long), 'abcdefghijklmnop');
  assert.equal(truncateStringUpper(long), 'abcdefghijklmnoq');
  assert.equal(truncateStringUpper('short'), 'short');
  // surrogate pairs count as one code point and are never split
  const emoji = '😀'.repeat(20);
  assert.equal(Array.from(truncateStringLower(emoji)).length, 16);
  assert.equal(truncateStringUpper(emoji), '😀'.repeat(15) + '😁');
  // U+10FFFF cannot be incremented: the previous code point is
  assert.equal(truncateStringUpper('a'.repeat(15) + '\u{10FFFF}' + 'zz'), 'a'.repeat(14) + 'b');
  // U+D7FF + 1 skips the surrogate range
  assert.equal(truncateStringUpper('a'.repeat(15) + '\uD7FF' + 'z'), 'a'.repeat(15) + '\uE000');
  assert.equal(truncateStringUpper('\u{10FFFF}'.repeat(17)), undefined);
});

test('bounds of a string longer than an array can be: the first 16 code points only', () => {
  // 2^27 characters: more than V8 lets an array hold, so splitting the value into characters fails.
  const huge = Buffer.alloc(2 ** 27, 0x61);
  huge.write('€', 5);
  const bounds = stringBoundBytes(huge, huge);
  assert.equal(Buffer.from(bounds.lower).toString(), 'aaaaa€aaaaaaaaaa');
  assert.equal(Buffer.from(bounds.upper!).toString(), 'aaaaa€aaaaaaaaab');
});

test('binary upper bounds increment the last byte that can be', () => {
  const v = new Uint8Array(20).fill(7);
  v[15] = 0xff;
  assert.equal(hex(truncateBinaryUpper(v)!), '07'.repeat(14) + '08');
  assert.equal(truncateBinaryUpper(new Uint8Array(17).fill(0xff)), undefined);
});

test('uuid bytes: 32 hex digits in either case, dashes anywhere ignored; anything else refused', () => {
  const bytes = uuidToBytes('DE305D54-75b4-431b-adb2-eb6b9e546014');
  assert.equal(Buffer.from(bytes).toString('hex'), 'de305d5475b4431badb2eb6b9e546014');
  assert.deepEqual(uuidToBytes('de305d5475b4431badb2eb6b9e546014'), bytes);
  assert.deepEqual(uuidToBytes('d-e305d5475b4431badb2eb6b9e546014-'), bytes);
  const into = new Uint8Array(20);
  writeUuidBytes('de305d54-75b4-431b-adb2-eb6b9e546014', into, 4);
  assert.deepEqual(into.subarray(4), bytes);
  for (const bad of [
    'de305d54-75b4-431b-adb2-eb6b9e54601',
    'de305d54-75b4-431b-adb2-eb6b9e5460140',
    'ge305d54-75b4-431b-adb2-eb6b9e546014',
    'de305d54 75b4-431b-adb2-eb6b9e546014',
    '',
  ]) {
    assert.throws(() => uuidToBytes(bad), /not a UUID/, bad);
  }
});
