// Where a table's objects live, derived from its names so that a location always stays under its root
// and two tables never share a folder. Each name becomes one path segment by percent-encoding every
// UTF-8 byte outside [A-Za-z0-9_-]: a segment then never holds '/', is never '.' or '..', and never
// empty (empty names are refused before, shared/names/identifier.ts). Decoding reverses it exactly, so
// distinct names give distinct segments, and a segment is a whole folder name: `a` and `a%2Fdata` are
// siblings, never one inside the other. A valid name (≤ 63 bytes) encodes to at most 189 bytes, under
// the 255-byte file-name limit of local file systems.

import type { TableRef } from './table-key.js';
import { checkTableNames } from './identifier.js';

const PLAIN = /^[A-Za-z0-9_-]$/;
const encoder = new TextEncoder();

/** A name as one path segment (reversible: decodePathSegment). */
export function pathSegment(name: string): string {
  let out = '';
  for (const char of name) {
    if (PLAIN.test(char)) out += char;
    else
      for (const byte of encoder.encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodePathSegment(segment: string): string {
  return decodeURIComponent(segment);
}

/** `root/<schema>/<table>`, each name one encoded segment; throws InvalidNameError for invalid names. */
export function tableFolder(root: string, table: TableRef): string {
  checkTableNames(table);
  return `${root.replace(/\/+$/, '')}/${pathSegment(table.schema)}/${pathSegment(table.name)}`;
}

/** `root/<namespace…>/<name>` for a catalog identifier, each part one encoded segment. */
export function identifierFolder(root: string, namespace: readonly string[], name: string): string {
  const parts = [...namespace, name].map(pathSegment);
  if (parts.some((p) => p === ''))
    throw new Error(`empty name in table identifier ${JSON.stringify([...namespace, name])}`);
  return `${root.replace(/\/+$/, '')}/${parts.join('/')}`;
}
