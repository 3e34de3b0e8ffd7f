// The row hash of `verify` on the stack's PostgreSQL: for every column type of the e2e workload (and the
// other types with an exact form), with the awkward values the workload draws (quotes, backslashes,
// newlines, emoji, empty strings and arrays, nulls inside arrays, jsonb with 12.50 and nested objects,
// bigints past 2^53, doubles like 1e300 and -1.5e-7, years 0001 and 9999, bytes of every value), the
// text PostgreSQL computes in SQL must be exactly the text we compute from the value the pipeline stores
// for it (the source row rendered as Datastream's payload and coerced by the pipeline's own coercion),
// and so must the row hashes. A type without an exact form is flagged, not silently compared.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { compileTableDefinition } from '../../../shared/datastream/table.js';
import { columnForm } from '../../../shared/verify/column-forms.js';
import { rowHash, rowHashSql, rowText, rowTextSql } from '../../../shared/verify/row-hash.js';
import { payloadRow } from '../../../shared/verify/verify-table.js';
import { reducedJsonbText, reducedJsonbSql } from '../../../shared/verify/jsonb-text.js';
import { isolate } from '../../support/isolation.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

const COLUMNS: Array<[string, string]> = [
  ['id', 'integer'],
  ['small', 'smallint'],
  ['big', 'bigint'],
  ['flag', 'boolean'],
  ['r4', 'real'],
  ['r8', 'double precision'],
  ['t', 'text'],
  ['v', 'varchar(40)'],
  ['u', 'uuid'],
  ['j', 'json'],
  ['jb', 'jsonb'],
  ['n', 'numeric(18,4)'],
  ['n_free', 'numeric'],
  ['d', 'date'],
  ['tm', 'time'],
  ['ts', 'timestamp'],
  ['tstz', 'timestamptz'],
  ['b', 'bytea'],
  ['ta', 'text[]'],
  ['ia', 'integer[]'],
  ['ba', 'bigint[]'],
];

const JSONS = [
  '{}',
  '[]',
  '42',
  '"text"',
  'null',
  '{"channel":"web","n":[1,2,{"deep":null}],"k7":123}',
  '{"price":12.50,"ok":true,"text":"a \\"quoted\\" ü"}',
  '[3,"x",null]',
  '{"bb":1,"a":2,"ccc":{"z":0.0000001,"y":1e3,"x":-0.0}}',
  '{"big":12345678901234567890.50,"neg":-1.10,"tab":"\\t\\n\\u0001","emoji":"🚀"}',
  '{"2":"two","10":"ten","b":"b","é":"e"}',
];
const TEXTS = [
  'NEW',
  '',
  'it\'s "quoted"',
  'back\\slash and {braces}',
  'tab\tand\nnewline',
  '취소됨',
  'ünïcødé 🚀',
  'null',
  ' spaces ',
];

/** Row i's values, as parameters (cast in the SQL). */
function values(i: number): unknown[] {
  const pick = <T>(list: readonly T[]) => list[i % list.length]!;
  return [
    i,
    pick([0, -32768, 32767, 12]),
    pick(['9007199254740993', '-9223372036854775808', '9223372036854775807', '0', '-42']),
    pick([true, false, null]),
    pick([0.1, -1.5e-7, 3.4e38, 0, 1.17549435e-38, -0, 'NaN', 'Infinity']),
    pick([0.1, -1.5e-7, 1e300, Math.PI, 0, -0, 5e-324, 'NaN', '-Infinity', null]),
    pick(TEXTS),
    pick(TEXTS).slice(0, 40),
    pick(['0b7e9e1e-2b7c-4f2a-9c1d-3a4b5c6d7e8f', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', null]),
    pick(JSONS),
    pick([...JSONS].reverse()),
    pick(['0', '99999999999999.9999', '-99999999999999.9999', '0.0001', '-0.5', '12.5', null]),
    pick(['12.50', '-0.000', '1e20', '123456789012345678901234567890.123456789', 'NaN', '7']),
    pick(['0001-01-01', '9999-12-31', '1970-01-01', '1969-12-31', '2026-02-28']),
    pick(['00:00:00', '23:59:59.999999', '12:34:56.000001', '07:08:09.5']),
    pick([
      '1969-12-31 23:59:59.999999',
      '1970-01-01 00:00:00',
      '2038-01-19 03:14:08',
      '0001-01-01 00:00:00',
      '9999-12-31 23:59:59.999999',
    ]),
    pick(['1969-12-31 23:59:59.999999+00', '2026-12-06 20:09:13.123456+00', '2000-01-01 00:00:00+05:30']),
    pick([
      Buffer.alloc(0),
      Buffer.from(Array.from({ length: 256 }, (_, k) => k)),
      Buffer.from('\n\\x00'),
      null,
    ]),
    pick([
      null,
      [],
      ['a', 'b'],
      ['x', null],
      ['with,comma', 'with "quote"', 'with space', '{}'],
      ['NULL'],
      ['back\\slash', 'ü🚀', ''],
    ]),
    pick([null, [], [1, 2, 3], [null, -7]]),
    pick([null, ['9007199254740993', '-1'], []]),
  ];
}

const ROWS = 60;
const names = isolate('verify forms');
let db: TestDatabase;
let client: pg.Client;
const compiled = compileTableDefinition(
  { schema: 'verify', name: 'types' },
  { columns: COLUMNS, primaryKeys: ['id'] },
);

before(async () => {
  db = await createTestDatabase(names.namespace);
  client = await db.connect();
  await client.query('CREATE SCHEMA verify');
  await client.query(
    `CREATE TABLE verify.types (${COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')}, PRIMARY KEY (id))`,
  );
  for (let i = 0; i < ROWS; i++) {
    await client.query(
      `INSERT INTO verify.types VALUES (${COLUMNS.map(([, t], k) => `$${k + 1}::${t}`).join(', ')})`,
      values(i),
    );
  }
});

after(async () => {
  await client?.end();
  await db?.drop();
});

const forms = () => compiled.columns.map((c) => columnForm(c, COLUMNS.find(([n]) => n === c.name)![1]));

test('every column of the workload types has an exact form', () => {
  assert.deepEqual(
    forms()
      .filter((f) => !f.exact)
      .map((f) => f.name),
    [],
  );
});

test("PostgreSQL's text of each value is ours, from the value the pipeline stores; so are row texts and hashes", async () => {
  const all = forms();
  const payload = `json_build_object(${all.map((f) => `'${f.name}', ${f.payloadSql}`).join(', ')})::text`;
  const result = await client.query({
    text: `SELECT ${all.map((f) => f.sql).join(', ')}, ${payload}, ${rowTextSql(all)}, ${rowHashSql(all)}::text FROM verify.types ORDER BY id`,
    rowMode: 'array',
  });
  assert.equal(result.rows.length, ROWS);
  for (const row of result.rows as unknown[][]) {
    const stored = payloadRow(compiled.columns, row[all.length] as string);
    all.forEach((form, k) => {
      const value = stored[form.name] ?? null;
      assert.equal(
        value === null ? null : form.text(value),
        row[k],
        `row ${String(stored.id)}, column ${form.name}`,
      );
    });
    assert.equal(rowText(all, stored), row[all.length + 1], `row ${String(stored.id)}: row text`);
    assert.equal(String(rowHash(all, stored)), row[all.length + 2], `row ${String(stored.id)}: row hash`);
  }
});

test('reduced jsonb text: PostgreSQL and ours agree on documents as the table stores them', async () => {
  for (const json of JSONS) {
    const result = await client.query<{ text: string }>(`SELECT ${reducedJsonbSql('$1::jsonb')} AS text`, [
      json,
    ]);
    assert.equal(reducedJsonbText(json), result.rows[0]!.text, json);
  }
});

test('types without an exact form are compared as PostgreSQL text, and say so', () => {
  const table = compileTableDefinition(
    { schema: 'verify', name: 'other' },
    {
      columns: [
        ['id', 'integer'],
        ['span', 'interval'],
        ['at', 'inet'],
        ['c', 'char(3)'],
        ['ds', 'date[]'],
      ],
      primaryKeys: ['id'],
    },
  );
  const types: Record<string, string> = {
    id: 'integer',
    span: 'interval',
    at: 'inet',
    c: 'character(3)',
    ds: 'date[]',
  };
  const inexact = table.columns.map((c) => columnForm(c, types[c.name]!)).filter((f) => !f.exact);
  assert.deepEqual(
    inexact.map((f) => f.name),
    ['span', 'at', 'c', 'ds'],
  );
});
