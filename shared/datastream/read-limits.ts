// Limits on what one Datastream object may make the reader hold, so a pathological file fails with a
// reason naming the limit instead of exhausting the function's memory or staging a value no commit can
// handle. Ingest is deployed with 1 GiB and up to 8 files at once: a line at its limit is held as bytes,
// as a string and as parsed values together (about four times its size), so a 32 MiB line costs about
// 128 MB and several such files still fit; an Avro block likewise as inflated bytes and decoded records.
// The inflated size of an object bounds time, not memory (it is streamed): 4 GiB stays well within the
// function's timeout. Datastream's own events are far below these sizes.

import { DatastreamReadError, DatastreamValidationError, type ErrorPosition } from './errors.js';

export interface ReadLimits {
  /** Longest JSONL line, in bytes (DSI_MAX_LINE_BYTES). */
  maxLineBytes: number;
  /** Largest single payload value (string, bytes, or a JSON value's text), in bytes (DSI_MAX_VALUE_BYTES). */
  maxValueBytes: number;
  /** Most bytes a gzip object inflates to (DSI_MAX_DECOMPRESSED_BYTES). */
  maxDecompressedBytes: number;
  /** Largest Avro block, compressed or inflated, in bytes (DSI_MAX_AVRO_BLOCK_BYTES). */
  maxAvroBlockBytes: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_READ_LIMITS: Readonly<ReadLimits> = {
  maxLineBytes: 32 * MIB,
  maxValueBytes: 16 * MIB,
  maxDecompressedBytes: 4 * 1024 * MIB,
  maxAvroBlockBytes: 32 * MIB,
};

/** The environment variable of each limit, named in the errors so an operator knows what to raise. */
export const READ_LIMIT_VARIABLES: Readonly<Record<keyof ReadLimits, string>> = {
  maxLineBytes: 'DSI_MAX_LINE_BYTES',
  maxValueBytes: 'DSI_MAX_VALUE_BYTES',
  maxDecompressedBytes: 'DSI_MAX_DECOMPRESSED_BYTES',
  maxAvroBlockBytes: 'DSI_MAX_AVRO_BLOCK_BYTES',
};

/** The defaults, with what `overrides` sets. */
export function readLimits(overrides: Partial<ReadLimits> = {}): ReadLimits {
  return { ...DEFAULT_READ_LIMITS, ...overrides };
}

/** "the limit of 67108864 bytes (DSI_MAX_LINE_BYTES)" */
function limitText(limits: ReadLimits, name: keyof ReadLimits): string {
  return `the limit of ${limits[name]} bytes (${READ_LIMIT_VARIABLES[name]})`;
}

/** The read error of an object, line or block beyond a limit. */
export function overLimit(
  position: ErrorPosition,
  what: string,
  limits: ReadLimits,
  name: keyof ReadLimits,
): DatastreamReadError {
  return new DatastreamReadError(position, `${what} is larger than ${limitText(limits, name)}`);
}

/** UTF-8 length of a value as the table will hold it (strings, bytes, JSON values as their text). */
function valueBytes(value: unknown, atLeast: number): number {
  if (typeof value === 'string') return value.length * 3 <= atLeast ? value.length : Buffer.byteLength(value);
  if (value instanceof Uint8Array) return value.length;
  if (value !== null && typeof value === 'object') {
    try {
      const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      return text === undefined ? 0 : Buffer.byteLength(text);
    } catch {
      return 0; // too deep to render: refused by the column's coercion instead
    }
  }
  return 0;
}

/**
 * Fails the event if a payload value is larger than maxValueBytes. Called only for lines and blocks
 * large enough to hold such a value, so ordinary events never pay for it.
 */
export function checkValueSizes(
  position: { object: string; line: number },
  payload: Record<string, unknown>,
  limits: ReadLimits,
): void {
  for (const column in payload) {
    const size = valueBytes(payload[column], limits.maxValueBytes);
    if (size > limits.maxValueBytes) {
      throw new DatastreamValidationError(
        { ...position, column, value: `<${size} bytes>` },
        `is larger than ${limitText(limits, 'maxValueBytes')}`,
      );
    }
  }
}
