// An object whose lines interleave many tables: every event gets its own table, whether its lookup
// was remembered by the reader or not (more tables than the reader remembers), and a remembered
// table is looked up once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableKey, type TableRef } from '../../../shared/changes/change-event.js';
import { DatastreamReadError, DatastreamValidationError } from '../../../shared/datastream/errors.js';
import { readChangeEvents, readDatastreamObject } from '../../../shared/datastream/read-object.js';
import { compileTableDefinition, type CompiledTable } from '../../../shared/datastream/table.js';

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

test('interleaved tables: each event resolves to its own table', async () => {
  const tables = new Map<string, CompiledTable>();
  for (let t = 0; t < 12; t++) {
    // Two schemas with the same table names: the schema must count as much as the name.
    const ref = { schema: t % 2 === 0 ? 'public' : 'audit', name: `t${Math.floor(t / 2)}` };
    tables.set(
      tableKey(ref),
      compileTableDefinition(ref, { columns: [['id', 'integer']], primaryKeys: ['id'] }),
    );
  }
  const refs = [...tables.values()].map((table) => table.ref);
  const lines: string[] = [];
  const expected: TableRef[] = [];
  for (let i = 0; i < 300; i++) {
    const ref = refs[(i * 7) % refs.length] as TableRef;
    expected.push(ref);
    lines.push(
      JSON.stringify({
        uuid: `u-${i}`,
        source_timestamp: 1795510800000 + i,
        read_method: 'postgresql-cdc',
        source_metadata: { schema: ref.schema, table: ref.name, change_type: 'INSERT', lsn: '16/CB0000B4' },
        payload: { id: i },
      }),
    );
  }
  const lookups = new Map<string, number>();
  const events = await readChangeEvents('mixed.jsonl', once(Buffer.from(lines.join('\n'))), {
    resolveTable: (ref) => {
      const key = tableKey(ref);
      lookups.set(key, (lookups.get(key) ?? 0) + 1);
      return tables.get(key);
    },
  });
  assert.deepEqual(
    events.map((event) => tableKey(event.table)),
    expected.map(tableKey),
  );
  assert.deepEqual(
    events.map((event) => event.row['id']),
    expected.map((_, i) => i),
  );
  const counts = [...lookups.values()];
  assert.equal(lookups.size, 12);
  assert.ok(counts.filter((n) => n === 1).length >= 1, 'a remembered table is looked up once');
  assert.ok(
    counts.some((n) => n > 1),
    'tables beyond the remembered ones are looked up again',
  );
});

test('lines are read in steps, yet the first bad line is the one reported and every event before it is handed over', async () => {
  const table = compileTableDefinition(
    { schema: 'public', name: 't' },
    { columns: [['id', 'integer']], primaryKeys: ['id'] },
  );
  const line = (id: string) =>
    `{"uuid":"u","source_timestamp":1795510800000,"read_method":"postgresql-cdc","source_metadata":{"schema":"public","table":"t","change_type":"INSERT","lsn":"1/A"},"payload":{"id":${id}}}`;
  /** Read the lines; the lines of the events handed over, and the error the read ended with. */
  const read = async (lines: string[]) => {
    const seen: number[] = [];
    const bytes = Buffer.from(lines.join('\n'));
    const error = await readDatastreamObject('steps.jsonl', once(bytes), { resolveTable: () => table }, (e) =>
      seen.push(e.source.line),
    ).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    return { seen, error };
  };
  // A payload error at positions in the first and in later steps, followed by a line that is not JSON
  // or whose envelope is bad: the earlier line's error wins over the later one found in an earlier pass.
  const later = ['{"uuid": oops', line('1').replace('"uuid":"u",', '')];
  for (const bad of [3, 64, 65, 200]) {
    for (const next of later) {
      const lines = Array.from({ length: 300 }, (_, i) => line(String(i)));
      lines[bad - 1] = line('"not a number"');
      lines[bad] = next;
      const { seen, error } = await read(lines);
      assert.ok(error instanceof DatastreamValidationError, String(error));
      assert.ok(error.message.startsWith(`steps.jsonl:${bad}: column "id"`), error.message);
      assert.deepEqual(
        seen,
        Array.from({ length: bad - 1 }, (_, i) => i + 1),
        `bad line ${bad}`,
      );
    }
  }
  // A syntax error alone is reported with its own line, after the events before it.
  const lines = Array.from({ length: 100 }, (_, i) => line(String(i)));
  lines[70] = '{"uuid": oops';
  const { seen, error } = await read(lines);
  assert.ok(
    error instanceof DatastreamReadError && error.message.startsWith('steps.jsonl:71:'),
    String(error),
  );
  assert.equal(seen.length, 70);
});
