// Every Datastream scenario parses to exactly the events its files hold, and folding those events by
// the documented semantics (newest order key per primary key wins, deletes remove, a uuid counts
// once, absent columns keep the previous value) gives exactly the expected rows, compared in the
// canonical forms of the fixtures README. Expectations come from the files, never from constants.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { compareOrder, tableKey, type ChangeEvent } from '../../../shared/changes/change-event.js';
import {
  DatastreamReadError,
  DatastreamValidationError,
  DatastreamError,
} from '../../../shared/datastream/errors.js';
import { parseJsonLossless, type JsonValue } from '../../../shared/datastream/lossless-json.js';
import { isDatastreamObject, readChangeEvents } from '../../../shared/datastream/read-object.js';
import type { CompiledTable } from '../../../shared/datastream/table.js';
import type { Row } from '../../../shared/iceberg/spec/values.js';
import { canonicalText, sortedJsonText } from '../../../shared/datastream/canonical-form.js';
import {
  expectedLines,
  loadScenario,
  objectPath,
  objectStream,
  scenarioNames,
  type Scenario,
} from './scenario-fixtures.js';

const VALID_SCENARIOS = scenarioNames().filter((name) => name !== 'bad-input');

function rawLines(path: string): string[] {
  let bytes = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

/** LSN "HI/LO" as a number, computed independently of the reader (via parseInt, then BigInt). */
function lsnOf(text: unknown): bigint {
  if (typeof text !== 'string' || text === '') return 0n;
  const [hi, lo] = text.split('/');
  return BigInt(parseInt(hi as string, 16)) * 2n ** 32n + BigInt(parseInt(lo as string, 16));
}

async function readScenario(scenario: Scenario): Promise<Array<{ file: string; events: ChangeEvent[] }>> {
  const out = [];
  for (const file of scenario.files) {
    out.push({
      file,
      events: await readChangeEvents(file, objectStream(objectPath(scenario, file)), scenario.options),
    });
  }
  return out;
}

/** Apply events by the fixtures' semantics; returns the final rows per table. */
function fold(table: CompiledTable, events: ChangeEvent[]): Row[] {
  const seen = new Set<string>();
  const unique = events.filter((e) => (seen.has(e.uuid) ? false : (seen.add(e.uuid), true)));
  if (table.primaryKeys.length === 0) return unique.map((e) => e.row);
  // Stable sort by order key: equal keys keep arrival order, so the later arrival wins a tie.
  const ordered = unique
    .map((e, i) => ({ e, i }))
    .sort((a, b) => compareOrder(a.e.order, b.e.order) || a.i - b.i);
  const rows = new Map<string, Row>();
  for (const { e } of ordered) {
    const key = sortedJsonText(e.key.map((k) => (typeof k === 'bigint' ? k.toString() : k)) as JsonValue);
    if (e.op === 'delete') rows.delete(key);
    else rows.set(key, { ...(rows.get(key) ?? {}), ...e.row });
  }
  return [...rows.values()];
}

function canonicalRow(table: CompiledTable, row: Row): string {
  return table.columns.map((c) => `${c.name}=${canonicalText(c, row[c.name] ?? null)}`).join(' | ');
}

function expectedRow(table: CompiledTable, line: string): string {
  const value = parseJsonLossless(line) as Record<string, JsonValue>;
  assert.deepEqual(
    Object.keys(value).sort(),
    table.columns.map((c) => c.name).sort(),
    'expected row has every column',
  );
  return table.columns.map((c) => `${c.name}=${sortedJsonText(value[c.name] as JsonValue)}`).join(' | ');
}

for (const name of VALID_SCENARIOS) {
  test(`scenario ${name}: each file yields one event per line, with the line's identity and order key`, async () => {
    const scenario = loadScenario(name);
    for (const { file, events } of await readScenario(scenario)) {
      const lines = rawLines(objectPath(scenario, file));
      assert.equal(events.length, lines.length, `${file}: event count`);
      lines.forEach((line, i) => {
        const raw = JSON.parse(line) as {
          uuid: string;
          sort_keys: [number, string];
          source_metadata: { schema: string; table: string; lsn: string | null; is_deleted: boolean };
        };
        const event = events[i] as ChangeEvent;
        assert.equal(event.uuid, raw.uuid);
        assert.equal(event.source.line, i + 1);
        assert.deepEqual(event.table, {
          schema: raw.source_metadata.schema,
          name: raw.source_metadata.table,
        });
        assert.equal(event.order.sourceTsMs, raw.sort_keys[0], `${file}:${i + 1} source ms = sort_keys[0]`);
        assert.equal(event.order.lsn, lsnOf(raw.source_metadata.lsn), `${file}:${i + 1} lsn`);
        assert.equal(event.op, raw.source_metadata.is_deleted ? 'delete' : 'upsert');
      });
    }
  });

  test(`scenario ${name}: folding the coerced events gives exactly the expected rows`, async () => {
    const scenario = loadScenario(name);
    const byTable = new Map<string, ChangeEvent[]>();
    for (const { events } of await readScenario(scenario)) {
      for (const event of events) {
        const key = tableKey(event.table);
        byTable.set(key, [...(byTable.get(key) ?? []), ...[event]]);
      }
    }
    assert.deepEqual([...byTable.keys()].sort(), [...scenario.tables.keys()].sort(), 'tables with changes');
    for (const [key, table] of scenario.tables) {
      const actual = fold(table, byTable.get(key) ?? []).map((row) => canonicalRow(table, row));
      const expected = expectedLines(scenario, key).map((line) => expectedRow(table, line));
      assert.deepEqual(actual.sort(), expected.sort(), `${name} ${key}`);
    }
  });
}

test('the types scenario keeps digits a double would lose (numeric(18,4) maximum, int8 beyond 2^53)', async () => {
  const scenario = loadScenario('types');
  const events = (await readScenario(scenario)).flatMap((f) => f.events);
  const amounts = new Set(events.map((e) => e.row.amount));
  const counters = new Set(events.map((e) => e.row.big_counter));
  // Derived from the raw text of the files, not from JSON.parse (which would round them).
  for (const file of scenario.files) {
    for (const line of rawLines(objectPath(scenario, file))) {
      const amount = /"amount":(-?[0-9.]+)/.exec(line)?.[1];
      if (amount && amount.replace(/[-.]/g, '').length > 15) {
        const [whole, fraction = ''] = amount.split('.');
        assert.ok(amounts.has(BigInt(`${whole}${fraction.padEnd(4, '0')}`)), `amount ${amount} kept exactly`);
      }
      const counter = /"big_counter":(-?[0-9]+)/.exec(line)?.[1];
      if (counter && counter.replace('-', '').length > 15)
        assert.ok(counters.has(BigInt(counter)), `big_counter ${counter}`);
    }
  }
});

const BAD_DIR = 'cdc-staging/public_products/2026/11/24/09/00/';

async function rejection(file: string): Promise<DatastreamError> {
  const scenario = loadScenario('bad-input');
  try {
    await readChangeEvents(file, objectStream(objectPath(scenario, file)), scenario.options);
  } catch (error) {
    assert.ok(error instanceof DatastreamError, `typed error, got ${String(error)}`);
    assert.ok(error.message.includes(file), `message names the object: ${error.message}`);
    return error;
  }
  assert.fail(`${file} was accepted`);
}

test('bad input: a malformed line is a read error naming line 2', async () => {
  const error = await rejection(`${BAD_DIR}malformed_line.jsonl`);
  assert.ok(error instanceof DatastreamReadError);
  assert.equal(error.line, 2);
  assert.match(error.message, /not valid JSON/);
});

test('bad input: binary garbage is a read error on line 1', async () => {
  const error = await rejection(`${BAD_DIR}not_json_at_all.jsonl`);
  assert.ok(error instanceof DatastreamReadError);
  assert.equal(error.line, 1);
});

test('bad input: an event without source_metadata is a validation error naming the field', async () => {
  const error = await rejection(`${BAD_DIR}no_source_metadata.jsonl`);
  assert.ok(error instanceof DatastreamValidationError);
  assert.equal(error.line, 1);
  assert.equal(error.column, 'source_metadata');
  assert.match(error.message, /missing/);
});

test('bad input: a price beyond numeric(10,2) names the column, value and type', async () => {
  const error = await rejection(`${BAD_DIR}price_out_of_range.jsonl`);
  assert.ok(error instanceof DatastreamValidationError);
  assert.equal(error.column, 'price');
  assert.equal(error.value, '123456789012.345');
  assert.match(error.message, /out of range/);
  assert.match(error.message, /numeric\(10,2\)/);
});

test('bad input: a truncated gzip file is a read error about gzip', async () => {
  const error = await rejection(`${BAD_DIR}truncated.jsonl.gz`);
  assert.ok(error instanceof DatastreamReadError);
  assert.match(error.message, /gzip/);
});

test('bad input: an unknown change type names the field and the value', async () => {
  const error = await rejection(`${BAD_DIR}unknown_change_type.jsonl`);
  assert.ok(error instanceof DatastreamValidationError);
  assert.equal(error.column, 'source_metadata.change_type');
  assert.equal(error.value, '"TRUNCATE"');
});

test('bad input: every file under the Datastream prefix is rejected, the unrelated object is ignored', async () => {
  const scenario = loadScenario('bad-input');
  const datastream = scenario.files.filter(isDatastreamObject);
  assert.deepEqual(
    scenario.files.filter((f) => !isDatastreamObject(f)),
    ['unrelated/report.csv'],
  );
  for (const file of datastream) await rejection(file);
  assert.equal(isDatastreamObject('a/b/public_t/2026/01/01/00/00/x_postgresql-cdc_1_2_3.jsonl.gz'), true);
  assert.equal(isDatastreamObject('a/b/x_postgresql-backfill_1_2_3.avro'), true);
  assert.equal(isDatastreamObject('a/b/schema.avsc'), false);
  assert.equal(isDatastreamObject('a/b/'), false);
});
