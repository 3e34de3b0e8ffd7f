// The `types` scenario's public.orders as inference makes it when nobody declares it, and the check that
// the rows a reader sees equal expected/: exactly for the columns whose inferred type renders the
// declared canonical form, by value for the columns that differ in form only (numbers inferred as exact
// numeric text, a time of day kept as the text Datastream wrote).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sortedJsonText } from '../../shared/datastream/canonical-form.js';
import { parseExactDecimal, plainDecimalText } from '../../shared/datastream/exact-number.js';
import { JsonNumber, parseJsonLossless, type JsonValue } from '../../shared/datastream/lossless-json.js';
import { parseTime } from '../../shared/datastream/temporal.js';
import { runPython } from './python.js';
import { loadScenario } from './scenarios.js';

/** [Iceberg type, PostgreSQL type] of each source column of the inferred public.orders. */
export const INFERRED_ORDERS_COLUMNS: Record<string, [string, string]> = {
  order_id: ['long', 'bigint'],
  customer_id: ['string', 'text'],
  amount: ['string', 'numeric'],
  big_counter: ['string', 'numeric'],
  status: ['string', 'text'],
  is_paid: ['boolean', 'boolean'],
  ratio: ['string', 'numeric'],
  attrs: ['string', 'jsonb'],
  tags: ['string', 'jsonb'],
  created_on: ['string', 'text'],
  pickup_time: ['string', 'text'],
  created_at: ['string', 'text'],
  note: ['string', 'text'],
  blob: ['string', 'text'],
};

const READ_ROWS = `
import json, sys
from pyiceberg.catalog import load_catalog
catalog = load_catalog("default", **json.loads(sys.argv[1]))
rows = catalog.load_table(sys.argv[2]).scan().to_arrow().to_pylist()
print(json.dumps([json.dumps(r, default=str) for r in rows]))
`;

/** A table's rows as PyIceberg reads them (JSON-parsed losslessly, the engine's order columns dropped). */
export async function pyicebergRows(
  catalog: Record<string, string>,
  table: string,
): Promise<Record<string, JsonValue>[]> {
  const lines = await runPython<string[]>(READ_ROWS, [JSON.stringify(catalog), table]);
  return lines.map((line) => {
    const row = parseJsonLossless(line) as Record<string, JsonValue>;
    delete row._cdc_source_ts_ms;
    delete row._cdc_lsn;
    return row;
  });
}

/** A number's value as plain decimal text, scale aside: 0.0000 and 0 are the same number. */
export function decimalValue(value: JsonValue): string {
  const text = value instanceof JsonNumber ? value.text : String(value as string | number);
  const parsed = parseExactDecimal(text);
  assert.ok(parsed, `a number: ${text}`);
  const plain = plainDecimalText(parsed);
  const trimmed = plain.includes('.') ? plain.replace(/0+$/, '').replace(/\.$/, '') : plain;
  return trimmed === '-0' ? '0' : trimmed;
}

// Rendered as declared: equal as they are (jsonb parsed; text[] inferred as jsonb is the same JSON array;
// dates, timestamps, uuids and base64 bytea are the text Datastream wrote, which is their canonical form).
const SAME = ['order_id', 'customer_id', 'status', 'is_paid', 'note', 'created_on', 'created_at', 'blob'];
const JSON_TEXT = ['attrs', 'tags'];
// Different in form only: numeric(18,4) "1.2300" is "1.23", bigint 9007199254740993 is
// "9007199254740993", double 3.0 is "3": equal as decimals.
const NUMERIC_TEXT = ['amount', 'big_counter', 'ratio'];

/** Rows of the inferred public.orders (as pyicebergRows gives them) equal the types scenario's expected/. */
export function assertInferredOrdersEqualExpected(rows: Record<string, JsonValue>[]): void {
  const scenario = loadScenario('types');
  const expected = new Map(
    readFileSync(join(scenario.root, 'expected', 'public.orders.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => parseJsonLossless(line) as Record<string, JsonValue>)
      .map((row) => [sortedJsonText(row.order_id as JsonValue), row]),
  );
  assert.equal(rows.length, expected.size);
  for (const row of rows) {
    const id = sortedJsonText(row.order_id as JsonValue);
    const want = expected.get(id);
    assert.ok(want, `order ${id} expected`);
    for (const c of SAME)
      assert.equal(sortedJsonText(row[c] ?? null), sortedJsonText(want[c] ?? null), `${id} ${c}`);
    for (const c of JSON_TEXT) {
      const value = row[c] === null ? null : parseJsonLossless(row[c] as string);
      assert.equal(sortedJsonText(value), sortedJsonText(want[c] ?? null), `${id} ${c}`);
    }
    for (const c of NUMERIC_TEXT) {
      if (want[c] === null) assert.equal(row[c], null, `${id} ${c}`);
      else assert.equal(decimalValue(row[c] as string), decimalValue(want[c] as JsonValue), `${id} ${c}`);
    }
    // the time of day as written ("00:00:00" for "00:00:00.000000"): equal as a time
    assert.equal(
      row.pickup_time === null ? null : parseTime(row.pickup_time as string),
      want.pickup_time === null ? null : parseTime(want.pickup_time as string),
      `${id} pickup_time`,
    );
  }
}
