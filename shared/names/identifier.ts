// The rules a source name (schema, table or column, read from a file or a declaration) must pass before
// it becomes a catalog identifier, a storage path or a key. Names are data: they come from the objects,
// not from us, so anything PostgreSQL allows arrives here, and what cannot be carried losslessly fails
// its file with the reason instead of being cut, folded or guessed.
//
// PostgreSQL's rules: any character but NUL, at most 63 bytes of UTF-8 (NAMEDATALEN − 1). A longer name
// cannot come from PostgreSQL (it truncates), so it is refused rather than truncated into a collision.

/** PostgreSQL's longest identifier, in bytes of UTF-8. */
export const MAX_IDENTIFIER_BYTES = 63;

/** Columns this project adds to every table (the order key); a source column may not use the prefix. */
export const RESERVED_COLUMN_PREFIX = '_cdc_';

const encoder = new TextEncoder();

/** Why `name` cannot be a schema, table or column name, or undefined when it can. */
export function identifierProblem(name: string): string | undefined {
  if (typeof name !== 'string') return 'is not a string';
  if (name.length === 0) return 'is empty';
  if (name.includes('\0')) return 'contains NUL (U+0000), which PostgreSQL identifiers cannot hold';
  // A lone surrogate has no UTF-8 form: it would be stored as U+FFFD and two names would become one.
  if (/[\uD800-\uDFFF]/u.test(name)) return 'is not valid Unicode (it holds a lone surrogate)';
  const bytes = encoder.encode(name).length;
  if (bytes > MAX_IDENTIFIER_BYTES)
    return `is ${bytes} bytes of UTF-8; PostgreSQL identifiers are at most ${MAX_IDENTIFIER_BYTES}`;
  return undefined;
}

/** True for a name with the reserved prefix, in any case: several readers match columns without case. */
export function isReservedColumn(name: string): boolean {
  return name.slice(0, RESERVED_COLUMN_PREFIX.length).toLowerCase() === RESERVED_COLUMN_PREFIX;
}

/** Why `name` cannot be a source column, or undefined when it can: identifier rules plus the prefix. */
export function columnNameProblem(name: string): string | undefined {
  const problem = identifierProblem(name);
  if (problem) return problem;
  if (isReservedColumn(name))
    return `starts with ${RESERVED_COLUMN_PREFIX}, the prefix reserved for the columns this pipeline adds`;
  return undefined;
}

/** A name that cannot be carried losslessly; the message names the name and the rule. */
export class InvalidNameError extends Error {
  constructor(
    readonly kind: 'schema' | 'table' | 'column',
    readonly value: string,
    readonly problem: string,
  ) {
    super(`${kind} name ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)} ${problem}`);
    this.name = 'InvalidNameError';
  }
}

/** Throws InvalidNameError unless both parts of a table reference are valid identifiers. */
export function checkTableNames(ref: { schema: string; name: string }): void {
  const schema = identifierProblem(ref.schema);
  if (schema) throw new InvalidNameError('schema', ref.schema, schema);
  const table = identifierProblem(ref.name);
  if (table) throw new InvalidNameError('table', ref.name, table);
}

/** Throws InvalidNameError unless `name` may be a source column. */
export function checkColumnName(name: string): void {
  const problem = columnNameProblem(name);
  if (problem) throw new InvalidNameError('column', name, problem);
}
