// Names are data: the rules for schema, table and column names from files and declarations, the one
// table key, the storage segments, and rows keyed by any column name. One test per way a name broke
// the pipeline before (table keys split at the first '.', raw names in paths, rows as plain objects).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { queueIdForTable } from '../../../shared/adapters/gcp/cloud-tasks-queue.js';
import { decodeChangeSet, encodeChangeSet } from '../../../shared/changes/change-set.js';
import { ConfigError, parseTableDefinitions } from '../../../shared/config.js';
import { compileTableDefinition } from '../../../shared/datastream/table.js';
import { newRow } from '../../../shared/iceberg/spec/values.js';
import { columnNameProblem, identifierProblem } from '../../../shared/names/identifier.js';
import { decodePathSegment, pathSegment, tableFolder } from '../../../shared/names/storage-path.js';
import { parseTableKey, tableKey, tableKeyProblem } from '../../../shared/names/table-key.js';
import { changesetLocation } from '../../../shared/pipeline/ingest-file.js';
import { tableIdentifier } from '../../../shared/table/table-identifier.js';
import { plain } from '../../support/plain-rows.js';

test('names with dots stay two different tables: distinct keys, identifiers, queues and folders', () => {
  const left = { schema: 'a.b', name: 'c' };
  const right = { schema: 'a', name: 'b.c' };
  assert.equal(tableKey(left), '"a.b".c');
  assert.equal(tableKey(right), 'a."b.c"');
  assert.deepEqual(tableIdentifier(tableKey(left)), { namespace: ['a.b'], name: 'c' });
  assert.deepEqual(tableIdentifier(tableKey(right)), { namespace: ['a'], name: 'b.c' });
  assert.notEqual(queueIdForTable(tableKey(left)), queueIdForTable(tableKey(right)));
  assert.notEqual(tableFolder('/w', left), tableFolder('/w', right));
});

test('the table key is PostgreSQL quoting: plain names bare, others quoted, "" for a quote', () => {
  assert.equal(tableKey({ schema: 'public', name: 'orders' }), 'public.orders');
  assert.equal(tableKey({ schema: 'public', name: 'Orders' }), 'public."Orders"');
  assert.equal(tableKey({ schema: 'we"ird', name: 'a b' }), '"we""ird"."a b"');
  for (const ref of [
    { schema: 'public', name: 'orders' },
    { schema: 'we"ird', name: 'a b' },
    { schema: '"', name: '.' },
    { schema: '..', name: '../../x' },
  ])
    assert.deepEqual(parseTableKey(tableKey(ref)), ref);
  // what a user types: bare parts are taken as written
  assert.deepEqual(parseTableKey('public.Orders'), { schema: 'public', name: 'Orders' });
  assert.deepEqual(parseTableKey('"a.b"."c"'), { schema: 'a.b', name: 'c' });
  for (const bad of ['orders', 'a.b.c', '"a.b', 'a.', '.b', 'a."', 'a b.c', '"".x'])
    assert.throws(() => parseTableKey(bad), /is not schema\.table/, bad);
});

test('a commit task naming a table that is not a key, or has an invalid name, is refused with the reason', () => {
  assert.equal(tableKeyProblem('"a.b".c'), undefined);
  assert.match(tableKeyProblem('a.b.c') ?? '', /is not schema\.table/);
  assert.match(tableKeyProblem(`public.${'x'.repeat(64)}`) ?? '', /64 bytes of UTF-8; .* at most 63/);
});

test('PostgreSQL identifier rules: any character but NUL, 1 to 63 bytes of UTF-8', () => {
  assert.equal(identifierProblem('x'.repeat(63)), undefined);
  assert.equal(identifierProblem('é'.repeat(31)), undefined); // 62 bytes
  assert.match(identifierProblem('é'.repeat(32)) ?? '', /64 bytes/);
  assert.match(identifierProblem('x'.repeat(300)) ?? '', /300 bytes/);
  assert.match(identifierProblem('') ?? '', /empty/);
  assert.match(identifierProblem('a\0b') ?? '', /NUL/);
  assert.match(identifierProblem('a\uD800b') ?? '', /lone surrogate/);
  for (const ok of ['..', '/', '%2F', '__proto__', 'constructor', ' ', '"', '😀'])
    assert.equal(identifierProblem(ok), undefined, ok);
});

test('source columns may not use the reserved _cdc_ prefix, in any case', () => {
  assert.match(columnNameProblem('_cdc_source_ts_ms') ?? '', /reserved/);
  assert.match(columnNameProblem('_CDC_lsn') ?? '', /reserved/);
  assert.equal(columnNameProblem('_cdc'), undefined);
  assert.equal(columnNameProblem('cdc_x'), undefined);
});

test('a declared _cdc_ column or an invalid declared name fails the declaration, naming it', () => {
  const declare = (key: string, column: string) =>
    parseTableDefinitions(JSON.stringify({ [key]: { columns: [[column, 'int']] } }), 'tables.json');
  assert.throws(
    () => declare('public.t', '_cdc_source_ts_ms'),
    (e: unknown) =>
      e instanceof ConfigError && /tables\.json: public\.t: column "_cdc_source_ts_ms"/.test(e.message),
  );
  assert.throws(() => declare(`public.${'x'.repeat(64)}`, 'id'), /at most 63/);
  assert.throws(() => declare('a.b.c', 'id'), /is not schema\.table/);
  assert.throws(
    () =>
      parseTableDefinitions(
        JSON.stringify({
          'public.t': {
            columns: [
              ['id', 'integer'],
              ['id', 'text'],
            ],
          },
        }),
        'tables.json',
      ),
    (e: unknown) => e instanceof ConfigError && /public\.t: column "id" is declared twice/.test(e.message),
  );
  // a type the engine cannot map, or a numeric beyond Iceberg's precision, fails the declaration
  assert.throws(
    () =>
      parseTableDefinitions(
        JSON.stringify({ 'public.t': { columns: [['x', 'frobnicate']] } }),
        'tables.json',
      ),
    (e: unknown) => e instanceof ConfigError && /public\.t: column "x": .*frobnicate/.test(e.message),
  );
  assert.throws(
    () =>
      parseTableDefinitions(
        JSON.stringify({ 'public.t': { columns: [['x', 'numeric(0,0)']] } }),
        'tables.json',
      ),
    (e: unknown) => e instanceof ConfigError && /public\.t: column "x": /.test(e.message),
  );
  // a quoted key is stored under the canonical key
  assert.deepEqual(Object.keys(declare('"public"."Orders"', 'id')), ['public."Orders"']);
  assert.throws(
    () =>
      parseTableDefinitions(
        JSON.stringify({ 'public.t': { columns: [] }, '"public".t': { columns: [] } }),
        'f',
      ),
    /a second time/,
  );
});

test('a name is one path segment: percent-encoded, never ".", "..", empty or holding "/"; decoded exactly', () => {
  assert.equal(pathSegment('orders_2-x'), 'orders_2-x');
  assert.equal(pathSegment('..'), '%2E%2E');
  assert.equal(pathSegment('a/data'), 'a%2Fdata');
  assert.equal(pathSegment('100%'), '100%25');
  assert.equal(pathSegment('é'), '%C3%A9');
  for (const name of ['..', 'a/data', '100%', 'é😀', ' ', '%2E'])
    assert.equal(decodePathSegment(pathSegment(name)), name);
  assert.equal(pathSegment('é'.repeat(31)).length, 31 * 6);
});

test('table folders and change-set locations stay under their root', () => {
  assert.equal(tableFolder('/w/', { schema: '..', name: '../../x' }), '/w/%2E%2E/%2E%2E%2F%2E%2E%2Fx');
  assert.equal(
    changesetLocation('gs://b/work', { schema: '../../..', name: 't' }, 'id1'),
    'gs://b/work/changesets/%2E%2E%2F%2E%2E%2F%2E%2E/t/id1.arrows',
  );
  // table "a/data" is a sibling of table "a", not inside it
  assert.ok(
    !tableFolder('/w', { schema: 'public', name: 'a/data' }).startsWith(
      `${tableFolder('/w', { schema: 'public', name: 'a' })}/`,
    ),
  );
  assert.throws(() => tableFolder('/w', { schema: 'public', name: 'x'.repeat(64) }), /at most 63/);
  assert.throws(() => tableFolder('/w', { schema: '', name: 'x' }), /empty/);
});

test('a row holds columns named __proto__ and constructor as plain values; absent ones read as undefined', () => {
  const row = newRow();
  row['__proto__'] = 1;
  assert.equal(Object.keys(row).join(), '__proto__');
  assert.equal(row['__proto__'], 1);
  assert.equal(row['constructor'], undefined);
  assert.equal(row['toString'], undefined);
});

test('a table with columns __proto__, constructor and toString coerces and survives a change-set', () => {
  const table = compileTableDefinition(
    { schema: 'public', name: 'p' },
    {
      columns: [
        ['id', 'integer'],
        ['__proto__', 'integer'],
        ['constructor', 'text'],
        ['toString', 'text'],
      ],
      primaryKeys: ['id'],
    },
  );
  const state = { column: 0, present: 0 };
  const payload = JSON.parse('{"id": 1, "__proto__": 7, "toString": "t"}') as Record<string, unknown>;
  const row = table.coerceRow(payload, state);
  assert.equal(state.present, 3);
  assert.deepEqual(plain(row), JSON.parse('{"id": 1, "__proto__": 7, "toString": "t"}'));
  assert.ok(!Object.hasOwn(row, 'constructor'), 'an absent column stays absent');
  const header = {
    table: table.ref,
    source: { bucket: 'b', name: 'f.jsonl', generation: '1' },
    schema: table.schema,
    primaryKeys: table.primaryKeys,
  };
  const event = {
    table: table.ref,
    op: 'upsert' as const,
    key: [1],
    order: { sourceTsMs: 1, lsn: 1n },
    uuid: 'u',
    row,
    changeType: 'INSERT' as const,
    backfill: false,
    source: { object: 'f.jsonl', line: 1 },
  };
  const decoded = decodeChangeSet(encodeChangeSet(header, [event]));
  assert.equal(decoded.events[0]!.row['__proto__'], 7);
  assert.equal(decoded.events[0]!.row['toString'], 't');
  assert.ok(!Object.hasOwn(decoded.events[0]!.row, 'constructor'));
});
