// A JSONL line's numbers are scanned for exactness only from its first number-bearing field
// (sort_keys, source_metadata, payload): whatever the key order or the strings before it, the event
// equals the one built from a parse that scans the whole line, and so do the refusals.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seeded } from '../../support/random.js';
import { toChangeEvent } from '../../../shared/datastream/event.js';
import { parseJsonLossless } from '../../../shared/datastream/lossless-json.js';
import { parseJsonLine } from '../../../shared/datastream/read-object.js';
import { compileTableDefinition } from '../../../shared/datastream/table.js';

const ledger = compileTableDefinition(
  { schema: 'public', name: 'ledger' },
  {
    columns: [
      ['id', 'bigint'],
      ['amount', 'numeric'],
      ['doc', 'jsonb'],
    ],
    primaryKeys: ['id'],
  },
);
const options = { resolveTable: () => ledger };

/** The event (or the refusal's message) from the line parser and from a whole-line exact parse. */
function bothWays(line: string): { fast: unknown; whole: unknown } {
  const outcome = (run: () => unknown): unknown => {
    try {
      return run();
    } catch (error) {
      return { refused: error instanceof Error ? error.message : String(error) };
    }
  };
  return {
    fast: outcome(() => parseJsonLine('obj.jsonl', 1, line, options)),
    whole: outcome(() => toChangeEvent({ object: 'obj.jsonl', line: 1 }, parseJsonLossless(line), options)),
  };
}

const FIELDS: Record<string, string> = {
  uuid: '"u-1"',
  read_timestamp: '"2026-11-24T09:00:03.000Z"',
  source_timestamp: '"2026-11-24T09:00:00.813Z"',
  object: '"public_ledger"',
  read_method: '"postgresql-cdc"',
  stream_name: '"projects/p/locations/l/streams/s"',
  schema_key: '"k"',
  sort_keys: '[1795510800813,"16/CB003023"]',
  source_metadata:
    '{"schema":"public","table":"ledger","is_deleted":false,"change_type":"UPDATE","tx_id":7,"lsn":"16/CB003023","primary_keys":["id"]}',
  payload: '{"id":9007199254740993,"amount":0.10000000000000001,"doc":{"n":12345678901234567890}}',
};

function lineOf(fields: Record<string, string>, order = Object.keys(fields)): string {
  return `{${order.map((k) => `${JSON.stringify(k)}:${fields[k]}`).join(',')}}`;
}

test('payload numbers stay exact in Datastream key order and with the payload first', () => {
  for (const order of [
    Object.keys(FIELDS),
    ['payload', ...Object.keys(FIELDS).filter((k) => k !== 'payload')],
  ]) {
    const event = parseJsonLine('obj.jsonl', 1, lineOf(FIELDS, order), options);
    assert.equal(event.row.id, 9007199254740993n);
    assert.equal(event.row.amount, '0.10000000000000001');
    assert.equal(event.row.doc, '{"n":12345678901234567890}');
  }
});

test('a field name inside an earlier string only widens the scan', () => {
  const fields = { ...FIELDS, object: '"a \\"payload\\":1 \\"sort_keys\\" \\"source_metadata\\""' };
  const { fast, whole } = bothWays(lineOf(fields));
  assert.deepEqual(fast, whole);
  assert.equal((fast as { row: { amount: unknown } }).row.amount, '0.10000000000000001');
});

test('timestamps given as numbers before the scanned part are judged exactly', () => {
  for (const ts of ['1795510800813.0000000000000001', '12345678901234567890', '-1e-500', '1795510800813']) {
    const { fast, whole } = bothWays(lineOf({ ...FIELDS, source_timestamp: ts, read_timestamp: ts }));
    assert.deepEqual(fast, whole, ts);
  }
  const refused = bothWays(lineOf({ ...FIELDS, source_timestamp: '1795510800813.0000000000000001' })).fast;
  // refused, naming the exact value (a double would have made it a whole 1795510800813)
  assert.match((refused as { refused: string }).refused, /source_timestamp.*1795510800813\.0000000000000001/);
});

test('random key orders, look-alike strings and risky numbers: the same events and refusals', () => {
  const random = seeded(11);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const risky = ['9007199254740993', '0.10000000000000001', '1e400', '-1e-400', '12', '1.5', '"7"'];
  for (let i = 0; i < 500; i++) {
    const fields: Record<string, string> = { ...FIELDS };
    fields.payload = `{"id":${pick(['1', '9007199254740993', '12345678901234567890'])},"amount":${pick(risky)},"doc":{"x":[${pick(risky)}]}}`;
    fields.source_timestamp = pick([FIELDS.source_timestamp!, '1795510800813', pick(risky)]);
    fields.uuid = pick(['"u"', '"sort_keys:12345678901234567"', '"\\"payload\\":123456789012345678"']);
    if (random() < 0.3) fields.extra = pick(risky);
    const order = Object.keys(fields).sort(() => random() - 0.5);
    const { fast, whole } = bothWays(lineOf(fields, order));
    assert.deepEqual(fast, whole, lineOf(fields, order));
  }
});
