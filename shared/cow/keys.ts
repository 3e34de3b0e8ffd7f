// Primary-key values as map keys and as a sort order. Key columns are primitives (values.ts form):
// numbers, bigints, strings, booleans, byte arrays. The string form is exact (bigints keep every digit)
// and tagged by kind so 1 and 1n and "1" never collide.

import type { IcebergValue } from '../iceberg/spec/values.js';

export function keyString(key: readonly IcebergValue[]): string {
  let out = '';
  for (const v of key) out += `${tag(v)}\u0001`;
  return out;
}

function tag(v: IcebergValue): string {
  if (v === null) return 'n';
  switch (typeof v) {
    case 'number':
      return `d${v}`;
    case 'bigint':
      return `l${v}`;
    case 'string':
      return `s${JSON.stringify(v)}`; // escaped: a separator inside a string cannot forge a boundary
    case 'boolean':
      return v ? 'T' : 'F';
    default:
      if (v instanceof Uint8Array) return `b${Buffer.from(v).toString('base64')}`;
      throw new Error(`a primary-key value must be a primitive, got ${JSON.stringify(v)}`);
  }
}

/** Compare two primitive values of the same column (nulls first, as the declared sort order). */
export function compareValue(a: IcebergValue, b: IcebergValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  if (typeof a === 'string' && typeof b === 'string') {
    // Iceberg orders strings by their UTF-8 bytes, which is code point order, not UTF-16 order.
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  }
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return a ? 1 : -1;
  throw new Error(`cannot compare key values ${String(a)} and ${String(b)}`);
}

export function compareKey(a: readonly IcebergValue[], b: readonly IcebergValue[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareValue(a[i] ?? null, b[i] ?? null);
    if (c !== 0) return c;
  }
  return 0;
}
