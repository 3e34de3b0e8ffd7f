// The one string form of a table reference (schema, table), for the places that need a single string:
// state-store fields and columns, lease ids, task bodies, map keys, log fields and the CLI's arguments.
// It is PostgreSQL's qualified-name syntax: each part bare when it is a plain lower-case identifier
// ([a-z_][a-z0-9_]*), else in double quotes with `"` doubled. So `public.orders`, `"a.b".c`, `a."b.c"`
// and `public."Orders"` are four different tables, and parseTableKey(tableKey(ref)) is ref for every
// pair of strings. Only this module writes or reads the form; nothing splits it at a '.'.
//
// parseTableKey also takes what a user types: a bare part is taken as written (no folding to lower
// case, unlike PostgreSQL, so `public.Orders` keeps naming the table Orders) and may hold anything but
// '.', '"' and white space.

import { checkTableNames, InvalidNameError } from './identifier.js';

/** A table as (schema, table): the shape of changes' TableRef, declared here so names sits below it. */
export interface TableRef {
  schema: string;
  name: string;
}

const BARE = /^[a-z_][a-z0-9_]*$/;

/** One part in the key form: bare when plain, else quoted. */
export function quoteIdentifier(name: string): string {
  return BARE.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** The canonical string of a table reference; parseTableKey reverses it exactly. */
export function tableKey(table: TableRef): string {
  return `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
}

export class TableKeySyntaxError extends Error {
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(`${JSON.stringify(text)} is not schema.table (${reason}; quote a name holding '.' like "a.b".c)`);
    this.name = 'TableKeySyntaxError';
  }
}

/** `schema.table`, with either part optionally double-quoted, to its parts. */
export function parseTableKey(text: string): TableRef {
  const first = readPart(text, 0);
  if (text[first.end] !== '.') throw new TableKeySyntaxError(text, 'no "." after the schema');
  const second = readPart(text, first.end + 1);
  if (second.end !== text.length)
    throw new TableKeySyntaxError(
      text,
      `unexpected ${JSON.stringify(text.slice(second.end))} after the table`,
    );
  return { schema: first.name, name: second.name };
}

function readPart(text: string, start: number): { name: string; end: number } {
  if (text[start] === '"') {
    let name = '';
    let i = start + 1;
    for (;;) {
      const close = text.indexOf('"', i);
      if (close < 0) throw new TableKeySyntaxError(text, 'unclosed quote');
      name += text.slice(i, close);
      if (text[close + 1] === '"') {
        name += '"';
        i = close + 2;
        continue;
      }
      if (name === '') throw new TableKeySyntaxError(text, 'empty quoted name');
      return { name, end: close + 1 };
    }
  }
  let end = start;
  while (end < text.length && text[end] !== '.') {
    if (text[end] === '"' || /\s/.test(text[end]!))
      throw new TableKeySyntaxError(text, `${JSON.stringify(text[end])} in an unquoted name`);
    end++;
  }
  if (end === start) throw new TableKeySyntaxError(text, 'empty name');
  return { name: text.slice(start, end), end };
}

/** Why `text` is not a table key, or undefined when it is one (a parsable pair of valid names). */
export function tableKeyProblem(text: string): string | undefined {
  try {
    checkTableNames(parseTableKey(text));
    return undefined;
  } catch (error) {
    if (error instanceof TableKeySyntaxError || error instanceof InvalidNameError) return error.message;
    throw error;
  }
}

/** The catalog identifier of a table: its schema is a one-level namespace, its name the table name. */
export function catalogIdentifier(table: TableRef): { namespace: string[]; name: string } {
  return { namespace: [table.schema], name: table.name };
}
