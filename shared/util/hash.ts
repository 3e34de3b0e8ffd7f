// Short, stable, URL- and id-safe digests for deterministic names (file ids, change-set ids, task ids).

import { createHash } from 'node:crypto';

/** Hex SHA-256 of the parts joined by a separator that cannot occur in them, cut to `length` characters. */
export function stableId(parts: string[], length = 32): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, length);
}
