// Compact JSON text of a plain JSON value tree (json/jsonb columns), written here rather than by
// JSON.stringify: for the small objects a jsonb column holds, the builtin's per-call setup outweighs
// the writing (this writer is faster than JSON.stringify and its JsonNumber check on the ingest
// benchmark's jsonb values: README.md, Measured), and a JsonNumber is written as
// its exact text in the same pass.

import { JsonNumber } from './lossless-json.js';

/** Deeper trees are left to the general path, which also words the depth error. */
const MAX_FAST_DEPTH = 64;

/** A character JSON.stringify escapes: quote, backslash, control characters, lone surrogate halves. */
// eslint-disable-next-line no-control-regex -- the control characters are what must be found
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quoted(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * The text JSON.stringify writes for a tree of null, booleans, strings, finite numbers, plain arrays
 * and plain objects — with each JsonNumber as its exact text — or undefined when the value holds
 * anything else (a non-finite number, undefined, a bigint, a class instance, a tree deeper than 64):
 * the caller then takes the general path, so this writer never decides an edge case on its own.
 */
export function plainJsonText(value: unknown, depth = 0): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quoted(value);
    case 'number':
      return Number.isFinite(value) ? `${value}` : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return undefined;
  }
  if (depth >= MAX_FAST_DEPTH) return undefined;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item = plainJsonText(value[i], depth + 1);
      if (item === undefined) return undefined;
      out += i === 0 ? item : `,${item}`;
    }
    return `${out}]`;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === JsonNumber.prototype) return (value as JsonNumber).text;
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  const record = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  // Object.keys: own enumerable string keys in JSON.stringify's order (integer-like keys first).
  for (const key of Object.keys(record)) {
    const item = plainJsonText(record[key], depth + 1);
    if (item === undefined) return undefined;
    out += `${first ? '' : ','}${quoted(key)}:${item}`;
    first = false;
  }
  return `${out}}`;
}
