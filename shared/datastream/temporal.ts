// Dates, times and timestamps as Datastream writes them, to the engine's exact integer forms (values.ts):
// date → days since 1970-01-01, time → µs since midnight (bigint), timestamp → µs since the epoch
// (bigint). Parsed by hand (no Date object: it rounds to ms and misreads years below 100), proleptic
// Gregorian calendar, years 0001..9999.

import { CoercionFailure } from './errors.js';

/** Days from 1970-01-01 to a civil date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Civil date of a day number (inverse of daysFromCivil). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function digitsAt(text: string, pos: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const c = text.charCodeAt(pos + i) - 0x30;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

const INFINITY_REASON =
  'is an infinite date/time, which Iceberg cannot store (PostgreSQL infinity has no Iceberg equivalent)';

function checkInfinity(text: string): void {
  const lower = text.trim().toLowerCase();
  if (lower === 'infinity' || lower === '-infinity' || lower === '+infinity') {
    throw new CoercionFailure(INFINITY_REASON, text);
  }
}

/** Parse `YYYY-MM-DD` at pos; returns days or throws. */
function dateAt(text: string, pos: number): number {
  const year = digitsAt(text, pos, 4);
  const month = digitsAt(text, pos + 5, 2);
  const day = digitsAt(text, pos + 8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || text[pos + 4] !== '-' || text[pos + 7] !== '-') {
    throw new CoercionFailure('is not a date YYYY-MM-DD', text);
  }
  if (day > daysInMonth(year, month)) throw new CoercionFailure('is not a valid calendar date', text);
  return daysFromCivil(year, month, day);
}

/** `YYYY-MM-DD` → days since 1970-01-01. */
export function parseDate(text: string): number {
  if (text.length !== 10) {
    checkInfinity(text);
    throw new CoercionFailure('is not a date YYYY-MM-DD', text);
  }
  return dateAt(text, 0);
}

/** Parse `HH:MM:SS[.f…]` at pos; returns µs (a safe number: < 8.64e10) and the position after it. */
function timeAt(text: string, pos: number): { micros: number; end: number } {
  const hour = digitsAt(text, pos, 2);
  const minute = digitsAt(text, pos + 3, 2);
  const second = digitsAt(text, pos + 6, 2);
  if (
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    text[pos + 2] !== ':' ||
    text[pos + 5] !== ':'
  ) {
    throw new CoercionFailure('is not a time HH:MM:SS[.ffffff] within 00:00:00..23:59:59.999999', text);
  }
  let end = pos + 8;
  let fraction = 0;
  if (text.charCodeAt(end) === 0x2e) {
    end++;
    let places = 0;
    while (end < text.length) {
      const c = text.charCodeAt(end) - 0x30;
      if (c < 0 || c > 9) break;
      if (places < 6) fraction = fraction * 10 + c;
      else if (c !== 0) throw new CoercionFailure('has sub-microsecond digits (no rounding)', text);
      places++;
      end++;
    }
    if (places === 0) throw new CoercionFailure('has an empty fraction of a second', text);
    for (let p = Math.min(places, 6); p < 6; p++) fraction *= 10;
  }
  const micros = (hour * 3600 + minute * 60 + second) * 1_000_000 + fraction;
  return { micros, end };
}

/** `HH:MM:SS[.ffffff]` → µs since midnight. */
export function parseTime(text: string): bigint {
  const { micros, end } = timeAt(text, 0);
  if (end !== text.length) throw new CoercionFailure('is not a time HH:MM:SS[.ffffff]', text);
  return BigInt(micros);
}

/** Zone suffix at pos: Z, ±HH, ±HHMM, ±HH:MM (optionally :SS). Returns the offset in seconds. */
function zoneAt(text: string, pos: number): number {
  const c = text[pos];
  if ((c === 'Z' || c === 'z') && pos + 1 === text.length) return 0;
  if (c !== '+' && c !== '-') throw new CoercionFailure('has an unreadable time zone', text);
  const sign = c === '-' ? -1 : 1;
  const rest = text.slice(pos + 1);
  const m = /^(\d{2})(?::?(\d{2})(?::?(\d{2}))?)?$/.exec(rest);
  if (!m) throw new CoercionFailure('has an unreadable time zone offset', text);
  const hours = Number(m[1]);
  const minutes = m[2] === undefined ? 0 : Number(m[2]);
  const seconds = m[3] === undefined ? 0 : Number(m[3]);
  if (hours > 18 || minutes > 59 || seconds > 59)
    throw new CoercionFailure('has an out-of-range time zone offset', text);
  return sign * (hours * 3600 + minutes * 60 + seconds);
}

const MICROS_PER_DAY = 86_400_000_000n;
/** Within this many seconds of the epoch (≈ ±285 years) a double holds the µs count exactly. */
const SAFE_SECONDS = 9_000_000_000;

interface TimestampParts {
  days: number;
  /** µs since midnight, before the offset. */
  micros: number;
  offsetSeconds: number;
}

function timestampParts(text: string): TimestampParts {
  if (text.length < 19) {
    checkInfinity(text);
    throw new CoercionFailure('is not a timestamp YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM]', text);
  }
  const sep = text[10];
  if (sep !== 'T' && sep !== ' ' && sep !== 't') {
    throw new CoercionFailure('is not a timestamp YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM]', text);
  }
  const days = dateAt(text, 0);
  const { micros, end } = timeAt(text, 11);
  let offsetSeconds = 0;
  if (end < text.length) {
    // PostgreSQL text output puts no space before the offset, but some writers do; accept one.
    offsetSeconds = zoneAt(text, text[end] === ' ' ? end + 1 : end);
  }
  return { days, micros, offsetSeconds };
}

/**
 * `YYYY-MM-DD[T| ]HH:MM:SS[.f…][Z|±HH[:MM]]` → µs since the epoch, UTC. A string without a zone is
 * read as UTC (Datastream's convention for metadata and for timestamp without time zone); a zone
 * offset is applied, so timestamptz values are normalized to UTC.
 */
export function parseTimestamp(text: string): bigint {
  const { days, micros, offsetSeconds } = timestampParts(text);
  // One bigint conversion when the count fits a double exactly (years ≈ 1685..2255), else exact bigint math.
  const seconds = days * 86_400 - offsetSeconds;
  if (seconds < SAFE_SECONDS && seconds > -SAFE_SECONDS) return BigInt(seconds * 1_000_000 + micros);
  return BigInt(days) * MICROS_PER_DAY + BigInt(micros) - BigInt(offsetSeconds) * 1_000_000n;
}

/** Metadata timestamps (read/source): ISO text with or without zone → ms since the epoch (floored). */
export function timestampTextToMillis(text: string): number {
  const { days, micros, offsetSeconds } = timestampParts(text);
  // Milliseconds of years 0001..9999 are safe integers; floor so a change never rounds up a millisecond.
  return (days * 86_400 - offsetSeconds) * 1000 + Math.floor(micros / 1000);
}

function pad(value: number | bigint, width: number): string {
  return value.toString().padStart(width, '0');
}

/** Canonical `YYYY-MM-DD` of a day number. */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** Canonical `HH:MM:SS.ffffff` of µs since midnight. */
export function formatTime(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  return `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}.${pad(fraction, 6)}`;
}

/** Canonical `YYYY-MM-DDTHH:MM:SS.ffffff` (no zone) of µs since the epoch. */
export function formatTimestamp(micros: bigint): string {
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  return `${formatDate(Number(days))}T${formatTime(rest)}`;
}
