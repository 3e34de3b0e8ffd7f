// Exact arithmetic on decimal number text (JSON number tokens, numeric strings, shortest double text):
// a value is held as digits × 10^exponent with the digits in a bigint, so nothing passes through a
// double. Exponents are bounded before any power of ten is built, so "1e999999999" is refused quickly
// instead of allocating a gigantic bigint.

import { CoercionFailure } from './errors.js';

export interface ExactDecimal {
  /** Signed integer digits (trailing zeros of the token kept). */
  digits: bigint;
  /** Power of ten: value = digits × 10^exponent. */
  exponent: number;
  /** Number of significant digits in `digits` (0 for zero). */
  precision: number;
}

const NUMBER_TEXT = /^([+-]?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$|^([+-]?)\.(\d+)(?:[eE]([+-]?\d+))?$/;

/** Exponents beyond this are outside anything an Iceberg decimal, long or string column can hold. */
const EXPONENT_LIMIT = 10_000;

const POW10: bigint[] = [];
export function pow10(n: number): bigint {
  if (n < 64) {
    let p = POW10[n];
    if (p === undefined) {
      p = 10n ** BigInt(n);
      POW10[n] = p;
    }
    return p;
  }
  return 10n ** BigInt(n);
}

/** Parse decimal text (optional sign, digits, fraction, exponent); undefined when it is not a number. */
export function parseExactDecimal(text: string): ExactDecimal | undefined {
  const match = NUMBER_TEXT.exec(text);
  if (!match) return undefined;
  const sign = match[1] ?? match[5] ?? '';
  const intPart = match[2] ?? '';
  const fraction = match[3] ?? match[6] ?? '';
  const exponentText = match[4] ?? match[7];
  const exponentValue = exponentText === undefined ? 0 : Number(exponentText);
  if (!Number.isSafeInteger(exponentValue) || Math.abs(exponentValue) > EXPONENT_LIMIT) return undefined;
  let all = intPart + fraction;
  // Strip leading zeros so `precision` counts significant digits only.
  let i = 0;
  while (i < all.length - 1 && all.charCodeAt(i) === 0x30) i++;
  all = all.slice(i);
  const magnitude = BigInt(all);
  return {
    digits: sign === '-' ? -magnitude : magnitude,
    exponent: exponentValue - fraction.length,
    precision: magnitude === 0n ? 0 : all.length,
  };
}

/** Exact decimal value of a JS number, via its shortest round-trip text (what the JSON token said). */
export function exactFromNumber(value: number): ExactDecimal {
  if (!Number.isFinite(value)) throw new CoercionFailure('not a finite number', value);
  const parsed = parseExactDecimal(String(value));
  if (!parsed) throw new CoercionFailure('not a number', value);
  return parsed;
}

/**
 * The unscaled value at `scale` (12.3 at scale 2 → 1230n). No rounding: extra fractional digits are
 * accepted only when they are zeros. Throws CoercionFailure when the value needs more than
 * `precision` digits.
 */
export function toUnscaled(value: ExactDecimal, precision: number, scale: number): bigint {
  if (value.digits === 0n) return 0n;
  // Digits before the decimal point, ignoring trailing fractional zeros.
  const integerDigits = value.precision + value.exponent;
  if (integerDigits > precision - scale) {
    throw new CoercionFailure(
      `is out of range: ${integerDigits} integer digits where numeric(${precision},${scale}) allows ${precision - scale}`,
      value,
    );
  }
  const shift = value.exponent + scale;
  let unscaled: bigint;
  if (shift >= 0) {
    unscaled = value.digits * pow10(shift);
  } else {
    const divisor = pow10(-shift);
    if (-shift > value.precision + 1 || value.digits % divisor !== 0n) {
      throw new CoercionFailure(`has more than ${scale} fractional digits (no rounding)`, value);
    }
    unscaled = value.digits / divisor;
  }
  const limit = pow10(precision);
  if (unscaled >= limit || unscaled <= -limit) {
    throw new CoercionFailure(`needs more than ${precision} digits`, value);
  }
  return unscaled;
}

/** The exact integer a decimal denotes, or a CoercionFailure if it has a fractional part. */
export function toExactInteger(value: ExactDecimal): bigint {
  if (value.digits === 0n) return 0n;
  if (value.exponent >= 0) {
    if (value.precision + value.exponent > 40) throw new CoercionFailure('is far beyond 64 bits', value);
    return value.digits * pow10(value.exponent);
  }
  const divisor = pow10(-value.exponent);
  if (-value.exponent > value.precision + 1 || value.digits % divisor !== 0n) {
    throw new CoercionFailure('is not an integer', value);
  }
  return value.digits / divisor;
}

/** Plain (no exponent) decimal text of an exact decimal: 1.5e3 → "1500", -2.50 → "-2.50". */
export function plainDecimalText(value: ExactDecimal): string {
  const negative = value.digits < 0n;
  let digits = (negative ? -value.digits : value.digits).toString();
  if (value.exponent > 0) {
    digits = value.digits === 0n ? '0' : digits + '0'.repeat(value.exponent);
  } else if (value.exponent < 0) {
    const places = -value.exponent;
    if (digits.length <= places) digits = '0'.repeat(places - digits.length + 1) + digits;
    digits = `${digits.slice(0, digits.length - places)}.${digits.slice(digits.length - places)}`;
  }
  return negative ? `-${digits}` : digits;
}

/** Text of an unscaled decimal at a scale, with exactly `scale` fractional digits: (8880n, 2) → "88.80". */
export function formatUnscaled(unscaled: bigint, scale: number): string {
  return plainDecimalText({ digits: unscaled, exponent: -scale, precision: 0 });
}
