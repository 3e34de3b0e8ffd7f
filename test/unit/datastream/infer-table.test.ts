// Conservative inference of an undeclared table from JSON payloads: each value shape gets the type the
// rules in shared/datastream/infer-table.ts give it, nulls give the most permissive type, conflicts
// widen to it; the inferred table accepts every value it was inferred from; the key comes from
// source_metadata.primary_keys, and an object that cannot define the table fails with its name.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatastreamValidationError } from '../../../shared/datastream/errors.js';
import { learnTable, PayloadInference } from '../../../shared/datastream/infer-table.js';
import { parseJsonLossless } from '../../../shared/datastream/lossless-json.js';
import { readChangeEvents } from '../../../shared/datastream/read-object.js';
import { compileTableDefinition } from '../../../shared/datastream/table.js';
import { plain } from '../../support/plain-rows.js';

function infer(payloads: string[], keys: string[] = [], deletes: boolean[] = []): Record<string, string> {
  const inference = new PayloadInference();
  payloads.forEach((text, i) =>
    inference.add(parseJsonLossless(text) as Record<string, unknown>, keys, deletes[i] === true),
  );
  return Object.fromEntries(inference.columns());
}

test('each JSON value shape becomes its type', () => {
  const types = infer([
    '{"flag": true, "n": 1, "x": 1.5, "s": "a", "o": {"k": 1}, "a": [1, "b"], "z": null}',
    '{"flag": false, "n": 12345678901234567890123, "x": 1e+300, "s": "2026-11-24", "o": [], "a": null}',
  ]);
  assert.deepEqual(types, {
    flag: 'boolean',
    n: 'numeric', // whole numbers outside a key: exact text (a later file may hold 0.5)
    x: 'numeric',
    s: 'text', // ISO dates stay text: a later value of a text column need not be one
    o: 'jsonb',
    a: 'jsonb',
    z: 'unknown', // only null: the most permissive type
  });
});

test('key columns: whole numbers become bigint, anything else as outside a key', () => {
  assert.deepEqual(infer(['{"id": 1}', '{"id": 9223372036854775807}'], ['id']), { id: 'bigint' });
  assert.deepEqual(infer(['{"id": 1}', '{"id": 9223372036854775808}'], ['id']), { id: 'numeric' });
  assert.deepEqual(infer(['{"id": 1}', '{"id": 2.5}'], ['id']), { id: 'numeric' });
  assert.deepEqual(infer(['{"id": "a-1"}'], ['id']), { id: 'text' });
  assert.deepEqual(infer(['{"k": 1, "v": 2}'], ['k']), { k: 'bigint', v: 'numeric' });
});

test('mixed shapes widen to the permissive type; NaN with numbers stays numeric', () => {
  assert.deepEqual(infer(['{"c": "a"}', '{"c": 1}']), { c: 'unknown' });
  assert.deepEqual(infer(['{"c": true}', '{"c": "yes"}']), { c: 'unknown' });
  assert.deepEqual(infer(['{"c": true}', '{"c": {"a": 1}}']), { c: 'jsonb' });
  assert.deepEqual(infer(['{"c": 1.5}', '{"c": "NaN"}', '{"c": "-Infinity"}']), { c: 'numeric' });
  assert.deepEqual(infer(['{"c": "NaN"}', '{"c": "x"}']), { c: 'text' });
  assert.deepEqual(infer(['{"c": "NaN"}']), { c: 'text' });
});

test('a column absent from some payloads is still a column; a delete counts for its key only', () => {
  assert.deepEqual(infer(['{"id": 1}', '{"id": 2, "later": "x"}'], ['id']), { id: 'bigint', later: 'text' });
  // the delete's placeholder 0 does not make "name" a mix of text and numbers
  assert.deepEqual(infer(['{"id": 1, "name": "a"}', '{"id": 2, "name": 0}'], ['id'], [false, true]), {
    id: 'bigint',
    name: 'text',
  });
});

test('the inferred table accepts every value it was inferred from, exactly', async () => {
  const lines = [
    '{"id": 9007199254740993, "amount": 0, "ratio": 3.0, "big": 123456789012345678901234567890.123, "note": null, "tags": ["x", null], "meta": {"n": 12345678901234567890}, "mixed": "a", "ok": true}',
    '{"id": 2, "amount": -12.5, "ratio": 1e+300, "big": "NaN", "note": null, "tags": null, "meta": "scalar", "mixed": 7, "ok": false}',
    '{"id": 3, "amount": 1.2300, "ratio": -2.5e-10, "big": 1, "note": null, "tags": [], "meta": [1, 2], "mixed": false, "ok": null}',
  ];
  const events = lines.map((payload, i) =>
    JSON.stringify({
      uuid: `u${i}`,
      source_timestamp: 1795510800000 + i,
      read_method: 'postgresql-cdc',
      source_metadata: {
        schema: 'public',
        table: 't',
        change_type: 'INSERT',
        lsn: `1/${i}`,
        primary_keys: ['id'],
      },
      payload: 'PAYLOAD',
    }).replace('"PAYLOAD"', payload),
  );
  const text = events.join('\n') + '\n';
  const learnt = await learnTable('t.jsonl', chunks(text), { schema: 'public', name: 't' });
  assert.equal(learnt.source, 'json-values');
  assert.deepEqual(learnt.primaryKeys, ['id']);
  assert.deepEqual(Object.fromEntries(learnt.columns), {
    id: 'bigint',
    amount: 'numeric',
    ratio: 'numeric',
    big: 'numeric',
    note: 'unknown',
    tags: 'jsonb',
    meta: 'jsonb',
    mixed: 'unknown',
    ok: 'boolean',
  });
  const table = compileTableDefinition({ schema: 'public', name: 't' }, learnt);
  const read = await readChangeEvents('t.jsonl', chunks(text), { resolveTable: () => table });
  assert.equal(read.length, 3);
  assert.equal(table.schema.fields.find((f) => f.name === 'id')?.required, true);
  assert.ok(
    table.schema.fields.filter((f) => f.name !== 'id').every((f) => !f.required),
    'others optional',
  );
  assert.deepEqual(plain(read[0]!.row), {
    id: 9007199254740993n,
    amount: '0',
    ratio: '3',
    big: '123456789012345678901234567890.123',
    note: null,
    tags: '["x",null]',
    meta: '{"n":12345678901234567890}',
    mixed: 'a',
    ok: true,
  });
  assert.deepEqual(
    read.map((e) => [e.row.amount, e.row.ratio, e.row.big, e.row.meta, e.row.mixed]),
    [
      ['0', '3', '123456789012345678901234567890.123', '{"n":12345678901234567890}', 'a'],
      ['-12.5', `1${'0'.repeat(300)}`, 'NaN', '"scalar"', '7'],
      ['1.23', '-0.00000000025', '1', '[1,2]', 'false'],
    ],
  );
});

test('an object that cannot define the table fails, naming the object and what is missing', async () => {
  const event = (payload: string, keys: string) =>
    `{"uuid":"u","source_timestamp":1,"read_method":"postgresql-cdc","source_metadata":{"schema":"public","table":"t","change_type":"INSERT","primary_keys":${keys}},"payload":${payload}}\n`;
  await assert.rejects(
    learnTable('k.jsonl', chunks(event('{"a": 1}', '["id"]')), { schema: 'public', name: 't' }),
    (error: unknown) =>
      error instanceof DatastreamValidationError &&
      /k\.jsonl:1: column "source_metadata.primary_keys": names the key column "id"/.test(error.message),
  );
  await assert.rejects(
    learnTable('o.jsonl', chunks(event('{"a": 1}', '[]')), { schema: 'public', name: 'other' }),
    /o\.jsonl: column "source_metadata.table": holds no event of public.other/,
  );
  // primary_keys [] (or absent): an insert-only table
  const insertOnly = await learnTable('n.jsonl', chunks(event('{"a": 1}', '[]')), {
    schema: 'public',
    name: 't',
  });
  assert.deepEqual(insertOnly.primaryKeys, []);
});

async function* chunks(text: string): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += 11) yield bytes.subarray(i, i + 11);
}
