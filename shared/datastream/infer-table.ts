// Conservative type inference for a table nobody declared, from the payload values of one JSON object's
// events. A type is chosen only where no later file of the same source column can contradict it in a
// way Iceberg schema evolution could not absorb (Iceberg widens int→long, float→double and decimal
// precision, and adds optional columns; nothing else). So, per column, over its non-null values:
//
//   values seen                                      PostgreSQL type   Iceberg
//   JSON objects or arrays (alone or with anything)  jsonb             string (JSON text)
//   only true/false                                  boolean           boolean
//   only numbers (and "NaN"/"±Infinity" strings)     numeric           string (exact decimal text)
//     … only whole numbers, in a primary-key column  bigint            long
//   only strings                                     text              string
//   none (only nulls, or absent)                     unknown           string (any value as text)
//   any other mix (strings and numbers, …)           unknown           string (any value as text)
//
// Numbers become exact text, not long or decimal: a numeric(p,s) column writes whole values as JSON
// integers ("amount": 0), a float writes 3.0 or 1e+300, so an integer column now may hold a fraction in
// the next file, and a decimal's scale can never change. A primary-key column is the one exception:
// whole numbers there become bigint (keys are compared and sorted as numbers, and PostgreSQL keys of a
// fractional type are not seen in practice); a key value outside that later fails its file with the
// column, line and value. Every column is optional except the primary key's.

import type { ReadLimits } from './read-limits.js';
import type { TableRef } from '../changes/change-event.js';
import { avroPayloadColumns } from './avro-table.js';
import { DatastreamValidationError } from './errors.js';
import { JsonNumber } from './lossless-json.js';
import { scanDatastreamObject } from './read-object.js';

/** Where a table's definition came from when nobody declared it. */
export type LearntSource = 'avro-schema' | 'json-values';

/** A table definition learnt from one object, in the form the config uses. */
export interface LearntTable {
  columns: Array<[name: string, pgType: string]>;
  primaryKeys: string[];
  source: LearntSource;
}

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const NUMERIC_WORD = /^(?:NaN|[+-]?Infinity)$/;

/** What shapes one column's values had. */
interface Shapes {
  json: boolean;
  boolean: boolean;
  /** Whole numbers within the 64-bit range. */
  integer: boolean;
  /** Numbers with a fraction or exponent, or whole numbers beyond 64 bits. */
  otherNumber: boolean;
  /** Strings PostgreSQL numeric/float could hold (NaN, ±Infinity). */
  numericWord: boolean;
  string: boolean;
}

function noShapes(): Shapes {
  return {
    json: false,
    boolean: false,
    integer: false,
    otherNumber: false,
    numericWord: false,
    string: false,
  };
}

function isWholeLong(text: string): boolean {
  if (!/^-?\d+$/.test(text)) return false;
  const n = BigInt(text);
  return n >= LONG_MIN && n <= LONG_MAX;
}

function observe(shapes: Shapes, value: unknown): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'boolean') shapes.boolean = true;
  else if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) shapes.integer = true;
    else shapes.otherNumber = true;
  } else if (value instanceof JsonNumber) {
    if (isWholeLong(value.text)) shapes.integer = true;
    else shapes.otherNumber = true;
  } else if (typeof value === 'bigint') {
    if (value >= LONG_MIN && value <= LONG_MAX) shapes.integer = true;
    else shapes.otherNumber = true;
  } else if (typeof value === 'string') {
    if (NUMERIC_WORD.test(value)) shapes.numericWord = true;
    else shapes.string = true;
  } else shapes.json = true; // objects and arrays
}

/** The PostgreSQL type a column's observed shapes stand for (the table above). */
function inferredType(shapes: Shapes, isKey: boolean): string {
  if (shapes.json) return 'jsonb';
  const numbers = shapes.integer || shapes.otherNumber;
  if (!shapes.boolean && !numbers && !shapes.numericWord && !shapes.string) return 'unknown';
  if (shapes.boolean) return numbers || shapes.numericWord || shapes.string ? 'unknown' : 'boolean';
  // Strings only ("NaN" among other strings is just text).
  if (!numbers) return 'text';
  if (shapes.string) return 'unknown';
  // Numbers, perhaps with "NaN"/"Infinity", the special values of a numeric or float column.
  if (isKey && !shapes.otherNumber && !shapes.numericWord) return 'bigint';
  return 'numeric';
}

/** Collects the payloads of one table's events and infers its columns from them. */
export class PayloadInference {
  private readonly shapes = new Map<string, Shapes>();
  private keys: string[] | undefined;

  /** Primary keys as the first event that states them says ([] when none does). */
  get primaryKeys(): string[] {
    return this.keys ?? [];
  }

  add(payload: Record<string, unknown>, primaryKeys: string[] | undefined, isDelete: boolean): void {
    if (this.keys === undefined && primaryKeys !== undefined) this.keys = primaryKeys;
    for (const name in payload) {
      let shapes = this.shapes.get(name);
      if (!shapes) this.shapes.set(name, (shapes = noShapes()));
      // A delete's non-key values may be placeholders (pgoutput sends the old key alone): only its
      // key columns are read, so only they count here.
      if (isDelete && !(this.keys ?? []).includes(name)) continue;
      observe(shapes, payload[name]);
    }
  }

  columns(): Array<[string, string]> {
    const keys = new Set(this.primaryKeys);
    return [...this.shapes].map(([name, shapes]) => [name, inferredType(shapes, keys.has(name))]);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber)
  );
}

function keysOf(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || !value.every((k) => typeof k === 'string')) return undefined;
  return value as string[];
}

/**
 * Learn a table nobody declared from one object: from its Avro writer schema when it has one (exact
 * types), else by inference from the payloads of its events of that table. Primary keys come from
 * `source_metadata.primary_keys` (none: an insert-only table). Throws a DatastreamValidationError
 * naming the object when the object holds nothing to learn the table from.
 */
export async function learnTable(
  object: string,
  source: AsyncIterable<Uint8Array>,
  table: TableRef,
  limits: Partial<ReadLimits> = {},
): Promise<LearntTable> {
  let avroColumns: Array<[string, string]> | undefined;
  const inference = new PayloadInference();
  let events = 0;
  let firstLine: number | undefined;
  await scanDatastreamObject(
    object,
    source,
    {
      avroSchema: (schema) => {
        avroColumns = avroPayloadColumns(schema, object);
      },
      event: (event, line) => {
        if (!isRecord(event)) return;
        const meta = event.source_metadata;
        if (!isRecord(meta) || meta.schema !== table.schema || meta.table !== table.name) return;
        const payload = event.payload;
        if (!isRecord(payload)) return;
        events++;
        firstLine ??= line;
        const deleted =
          meta.is_deleted === true || meta.change_type === 'DELETE' || meta.change_type === 'UPDATE-DELETE';
        inference.add(payload, keysOf(meta.primary_keys), deleted);
        // An Avro schema gives the types; the first event gives the key.
        return avroColumns === undefined || keysOf(meta.primary_keys) === undefined;
      },
    },
    limits,
  );
  const name = `${table.schema}.${table.name}`;
  if (events === 0 && avroColumns === undefined) {
    throw new DatastreamValidationError(
      { object, column: 'source_metadata.table' },
      `holds no event of ${name} to learn the undeclared table from`,
    );
  }
  const columns = avroColumns ?? inference.columns();
  const primaryKeys = inference.primaryKeys;
  const names = new Set(columns.map(([column]) => column));
  for (const key of primaryKeys) {
    if (!names.has(key)) {
      throw new DatastreamValidationError(
        {
          object,
          line: firstLine,
          column: 'source_metadata.primary_keys',
          value: JSON.stringify(primaryKeys),
        },
        `names the key column "${key}", which no payload of ${name} has; declare the table`,
      );
    }
  }
  return { columns, primaryKeys, source: avroColumns ? 'avro-schema' : 'json-values' };
}
