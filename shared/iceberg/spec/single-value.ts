// Iceberg's single-value binary serialization (spec Appendix D), used for manifest lower/upper bounds and
// manifest-list partition summaries, plus the bound truncation Iceberg Java applies by default
// (metrics mode truncate(16)): a truncated lower bound is a prefix, a truncated upper bound is the prefix
// with its last character (or byte) incremented, so both still bracket every value in the file.

import type { IcebergValue } from './values.js';
import { parseDecimal, parseFixed, type IcebergType } from './types.js';

/** Two's-complement big-endian bytes of the unscaled decimal, as few as hold the value (Appendix D). */
export function decimalToBytes(unscaled: bigint): Uint8Array {
  let n = 1;
  while (unscaled < -(1n << BigInt(8 * n - 1)) || unscaled >= 1n << BigInt(8 * n - 1)) n++;
  const out = new Uint8Array(n);
  let x = BigInt.asUintN(8 * n, unscaled);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export function bytesToDecimal(bytes: Uint8Array): bigint {
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  return bytes.length === 0 ? 0n : BigInt.asIntN(8 * bytes.length, x);
}

/** Hex digit value of a UTF-16 code unit, or -1. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x57;
  return -1;
}

/**
 * Write the 16 bytes of a UUID string (32 hex digits, dashes anywhere ignored), big-endian, at `at`.
 * A plain loop, no intermediate string: the change-set builder calls it once per uuid value.
 */
export function writeUuidBytes(uuid: string, target: Uint8Array, at: number): void {
  let nibbles = 0;
  let high = 0;
  for (let j = 0; j < uuid.length; j++) {
    const c = uuid.charCodeAt(j);
    if (c === 0x2d) continue; // a dash
    const digit = hexDigit(c);
    if (digit < 0 || nibbles === 32) throw new Error(`not a UUID: "${uuid}"`);
    if ((nibbles & 1) === 0) high = digit;
    else target[at + (nibbles >> 1)] = (high << 4) | digit;
    nibbles++;
  }
  if (nibbles !== 32) throw new Error(`not a UUID: "${uuid}"`);
}

/** The 16 bytes of a UUID string, big-endian (the order it is written in). */
export function uuidToBytes(uuid: string): Uint8Array {
  const bytes = new Uint8Array(16);
  writeUuidBytes(uuid, bytes, 0);
  return bytes;
}

export function bytesToUuid(bytes: Uint8Array): string {
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function fixedWidth(width: number, write: (view: DataView) => void): Uint8Array {
  const out = new Uint8Array(width);
  write(new DataView(out.buffer));
  return out;
}

function mismatch(type: IcebergType, value: unknown): Error {
  return new TypeError(
    `value ${String(value)} (${typeof value}) does not fit Iceberg type ${JSON.stringify(type)}`,
  );
}

/** Appendix D bytes of one non-null primitive value held as in values.ts. */
export function toSingleValueBytes(type: IcebergType, value: IcebergValue): Uint8Array {
  if (typeof type !== 'string') throw new Error(`no single-value form for nested type ${type.type}`);
  switch (type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw mismatch(type, value);
      return Uint8Array.of(value ? 1 : 0);
    case 'int':
    case 'date':
      if (typeof value !== 'number') throw mismatch(type, value);
      return fixedWidth(4, (v) => v.setInt32(0, value, true));
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      if (typeof value !== 'bigint') throw mismatch(type, value);
      return fixedWidth(8, (v) => v.setBigInt64(0, value, true));
    case 'float':
      if (typeof value !== 'number') throw mismatch(type, value);
      return fixedWidth(4, (v) => v.setFloat32(0, value, true));
    case 'double':
      if (typeof value !== 'number') throw mismatch(type, value);
      return fixedWidth(8, (v) => v.setFloat64(0, value, true));
    case 'string':
      if (typeof value !== 'string') throw mismatch(type, value);
      return new Uint8Array(Buffer.from(value, 'utf8'));
    case 'uuid':
      if (typeof value !== 'string') throw mismatch(type, value);
      return uuidToBytes(value);
    case 'binary':
      if (!(value instanceof Uint8Array)) throw mismatch(type, value);
      return value;
  }
  if (parseDecimal(type)) {
    if (typeof value !== 'bigint') throw mismatch(type, value);
    return decimalToBytes(value);
  }
  if (parseFixed(type) !== undefined) {
    if (!(value instanceof Uint8Array)) throw mismatch(type, value);
    return value;
  }
  throw new Error(`unknown Iceberg primitive type "${type}"`);
}

/** The value (values.ts form) of Appendix D bytes. */
export function fromSingleValueBytes(type: IcebergType, bytes: Uint8Array): IcebergValue {
  if (typeof type !== 'string') throw new Error(`no single-value form for nested type ${type.type}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (type) {
    case 'boolean':
      return bytes[0] !== 0;
    case 'int':
    case 'date':
      return view.getInt32(0, true);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return view.getBigInt64(0, true);
    case 'float':
      return view.getFloat32(0, true);
    case 'double':
      return view.getFloat64(0, true);
    case 'string':
      return Buffer.from(bytes).toString('utf8');
    case 'uuid':
      return bytesToUuid(bytes);
    case 'binary':
      return Uint8Array.from(bytes);
  }
  if (parseDecimal(type)) return bytesToDecimal(bytes);
  if (parseFixed(type) !== undefined) return Uint8Array.from(bytes);
  throw new Error(`unknown Iceberg primitive type "${type}"`);
}

/** Iceberg Java's default metrics mode keeps bounds of strings and binaries to 16 characters / bytes. */
export const DEFAULT_TRUNCATE_LENGTH = 16;

/** Prefix of `length` Unicode code points (a lower bound of every string it prefixes). */
export function truncateStringLower(value: string, length = DEFAULT_TRUNCATE_LENGTH): string {
  const points = leadingCodePoints(value, length + 1);
  return points.length <= length ? value : String.fromCodePoint(...points.slice(0, length));
}

/**
 * The first `count` code points of a string (fewer if it is shorter), without walking the rest: a
 * value of hundreds of MB must not become an array of all its characters (V8 refuses arrays that long).
 */
function leadingCodePoints(value: string, count: number): number[] {
  const points: number[] = [];
  for (let i = 0; i < value.length && points.length < count;) {
    const point = value.codePointAt(i)!;
    points.push(point);
    i += point > 0xffff ? 2 : 1;
  }
  return points;
}

/**
 * The smallest string of at most `length` code points greater than every string with this prefix: the
 * prefix with its last incrementable code point incremented (surrogates skipped), as Java's
 * UnicodeUtil.truncateStringMax. undefined when no such string exists (all code points are U+10FFFF).
 */
export function truncateStringUpper(value: string, length = DEFAULT_TRUNCATE_LENGTH): string | undefined {
  const points = leadingCodePoints(value, length + 1);
  if (points.length <= length) return value;
  const prefix = points.slice(0, length);
  for (let i = prefix.length - 1; i >= 0; i--) {
    let next = prefix[i]! + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) {
      return String.fromCodePoint(...prefix.slice(0, i), next);
    }
  }
  return undefined;
}

export function truncateBinaryLower(value: Uint8Array, length = DEFAULT_TRUNCATE_LENGTH): Uint8Array {
  return value.length <= length ? value : value.subarray(0, length);
}

/** Prefix with its last non-0xFF byte incremented (Java's BinaryUtil.truncateBinaryMax); undefined if none. */
export function truncateBinaryUpper(
  value: Uint8Array,
  length = DEFAULT_TRUNCATE_LENGTH,
): Uint8Array | undefined {
  if (value.length <= length) return value;
  for (let i = length - 1; i >= 0; i--) {
    if (value[i]! !== 0xff) {
      const out = Uint8Array.from(value.subarray(0, i + 1));
      out[i] = out[i]! + 1;
      return out;
    }
  }
  return undefined;
}

/**
 * Lower and upper bound bytes of a string column from the UTF-8 bytes of its min and max (byte order is
 * code point order), truncated as Java does.
 */
export function stringBoundBytes(
  min: Uint8Array,
  max: Uint8Array,
  length = DEFAULT_TRUNCATE_LENGTH,
): { lower: Uint8Array; upper: Uint8Array | undefined } {
  // The first `length` code points take at most 4 bytes each: only that much is ever decoded, and a
  // longer value has more than `length` code points, so it is still seen to be truncated.
  const decode = (b: Uint8Array): string =>
    Buffer.from(b.buffer, b.byteOffset, Math.min(b.byteLength, 4 * length + 1)).toString('utf8');
  // Only decode when the value may exceed the limit: length in bytes ≥ length in code points.
  const lower =
    min.length <= length ? min : new Uint8Array(Buffer.from(truncateStringLower(decode(min), length)));
  let upper: Uint8Array | undefined = max;
  if (max.length > length) {
    const u = truncateStringUpper(decode(max), length);
    upper = u === undefined ? undefined : new Uint8Array(Buffer.from(u));
  }
  return { lower, upper };
}
