// Partition transforms of the Iceberg spec: identity, year, month, day, hour, bucket[N], truncate[W], void.
// Inputs and outputs are in the values.ts representation; the result type follows the spec's table
// (year/month/hour/bucket → int, day → date, identity/truncate → the source type).

import { murmur3_32 } from './murmur3.js';
import { decimalToBytes, uuidToBytes } from './single-value.js';
import { parseDecimal, parseFixed, type IcebergType } from './types.js';
import type { IcebergValue } from './values.js';

export type Transform =
  | { kind: 'identity' }
  | { kind: 'year' }
  | { kind: 'month' }
  | { kind: 'day' }
  | { kind: 'hour' }
  | { kind: 'void' }
  | { kind: 'bucket'; n: number }
  | { kind: 'truncate'; width: number };

export function parseTransform(text: string): Transform {
  const t = text.trim();
  if (t === 'identity' || t === 'year' || t === 'month' || t === 'day' || t === 'hour' || t === 'void') {
    return { kind: t };
  }
  const m = /^(bucket|truncate)\[\s*(\d+)\s*\]$/.exec(t);
  if (m) {
    const n = Number(m[2]);
    if (n <= 0) throw new Error(`transform "${text}": the parameter must be positive`);
    return m[1] === 'bucket' ? { kind: 'bucket', n } : { kind: 'truncate', width: n };
  }
  throw new Error(`unknown partition transform "${text}"`);
}

export function transformToString(t: Transform): string {
  if (t.kind === 'bucket') return `bucket[${t.n}]`;
  if (t.kind === 'truncate') return `truncate[${t.width}]`;
  return t.kind;
}

const MICROS_PER_HOUR = 3_600_000_000n;
const MICROS_PER_DAY = 86_400_000_000n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function daysOf(type: IcebergType, value: IcebergValue): number {
  if (type === 'date' && typeof value === 'number') return value;
  if ((type === 'timestamp' || type === 'timestamptz') && typeof value === 'bigint') {
    return Number(floorDiv(value, MICROS_PER_DAY));
  }
  throw new Error(
    `a date transform needs a date or timestamp value, got ${String(value)} for ${JSON.stringify(type)}`,
  );
}

/** Calendar (year, month 1-12) of days since the epoch (proleptic Gregorian, as Iceberg). */
function civil(days: number): { year: number; month: number } {
  const d = new Date(days * 86_400_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 };
}

/** Hash of a value for bucket[N], per the spec's hash definitions (ints hashed as longs). */
export function bucketHash(type: IcebergType, value: IcebergValue): number {
  const longBytes = (v: bigint): Uint8Array => {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigInt64(0, v, true);
    return out;
  };
  switch (type) {
    case 'int':
    case 'date':
      return murmur3_32(longBytes(BigInt(value as number)));
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return murmur3_32(longBytes(value as bigint));
    case 'string':
      return murmur3_32(new Uint8Array(Buffer.from(value as string, 'utf8')));
    case 'uuid':
      return murmur3_32(uuidToBytes(value as string));
    case 'binary':
      return murmur3_32(value as Uint8Array);
  }
  if (parseDecimal(type)) return murmur3_32(decimalToBytes(value as bigint));
  if (parseFixed(type) !== undefined) return murmur3_32(value as Uint8Array);
  throw new Error(`bucket transform does not apply to ${JSON.stringify(type)}`);
}

/** Apply a transform to a source value; null stays null. */
export function applyTransform(t: Transform, type: IcebergType, value: IcebergValue): IcebergValue {
  if (value === null || t.kind === 'void') return null;
  switch (t.kind) {
    case 'identity':
      return value;
    case 'bucket':
      return (bucketHash(type, value) & 0x7fffffff) % t.n;
    case 'day':
      return daysOf(type, value);
    case 'year':
      return civil(daysOf(type, value)).year - 1970;
    case 'month': {
      const c = civil(daysOf(type, value));
      return (c.year - 1970) * 12 + (c.month - 1);
    }
    case 'hour':
      if ((type === 'timestamp' || type === 'timestamptz') && typeof value === 'bigint') {
        return Number(floorDiv(value, MICROS_PER_HOUR));
      }
      throw new Error(`hour transform needs a timestamp, got ${JSON.stringify(type)}`);
    case 'truncate': {
      const w = t.width;
      if (type === 'int' && typeof value === 'number') return value - (((value % w) + w) % w);
      if (typeof value === 'bigint' && (type === 'long' || parseDecimal(type))) {
        const W = BigInt(w);
        return value - (((value % W) + W) % W);
      }
      if (type === 'string' && typeof value === 'string') return Array.from(value).slice(0, w).join('');
      if (type === 'binary' && value instanceof Uint8Array) return value.subarray(0, w);
      throw new Error(`truncate transform does not apply to ${JSON.stringify(type)}`);
    }
  }
}

/** The type of a transform's result. */
export function transformResultType(t: Transform, source: IcebergType): IcebergType {
  switch (t.kind) {
    case 'identity':
    case 'truncate':
      return source;
    case 'day':
      return 'date';
    default:
      return 'int';
  }
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The human-readable form Iceberg uses in partition paths (`day=2026-11-24`, `bucket=3`). */
export function partitionValueToPath(t: Transform, source: IcebergType, value: IcebergValue): string {
  if (value === null) return 'null';
  const ym = (months: number): string => {
    const y = 1970 + Math.floor(months / 12);
    return `${y}-${pad((((months % 12) + 12) % 12) + 1)}`;
  };
  const resultType = transformResultType(t, source);
  if (t.kind === 'year') return String(1970 + (value as number));
  if (t.kind === 'month') return ym(value as number);
  if (t.kind === 'hour') {
    const d = new Date((value as number) * 3_600_000);
    return `${d.toISOString().slice(0, 10)}-${pad(d.getUTCHours())}`;
  }
  if (resultType === 'date') return new Date((value as number) * 86_400_000).toISOString().slice(0, 10);
  const dec = parseDecimal(resultType);
  if (dec && typeof value === 'bigint') return formatDecimal(value, dec.scale);
  if (value instanceof Uint8Array) return pathSafe(Buffer.from(value).toString('base64url'));
  return pathSafe(String(value));
}

/**
 * Keep letters, digits and `.-_~` and hex-escape every other UTF-8 byte as `_XX`. Not `%XX`: a `file://`
 * location is percent-decoded by some readers and taken literally by others (PyIceberg, DuckDB), so a
 * `%` in a path would name two different files. The path is cosmetic (readers take partition values from
 * the manifests), it only has to be unique per partition and safe everywhere.
 */
function pathSafe(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%/g, '_');
}

/** Unscaled decimal → plain text with exactly `scale` digits after the point. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}
