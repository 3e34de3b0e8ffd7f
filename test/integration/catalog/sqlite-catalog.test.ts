// The embedded catalog against PyIceberg's SqlCatalog, which opens the same SQLite file as its own:
// it must find our tables, read our metadata (ids beyond 2^53 included), and its commits must be ours.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runPython } from '../../support/python.js';
import Database from 'better-sqlite3';
import { SqliteCatalog } from '../../../shared/adapters/embedded/sqlite-catalog.js';
import { LocalObjectStore } from '../../../shared/adapters/embedded/local-object-store.js';
import {
  CommitConflictError,
  NoSuchTableError,
  TableAlreadyExistsError,
  type CreateTableRequest,
} from '../../../shared/ports/catalog.js';
import type { Snapshot } from '../../../shared/iceberg/spec/metadata-types.js';

let dir: string;
let dbPath: string;
let warehouse: string;
let catalog: SqliteCatalog;
const namespace = ['db'];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sqlite-catalog-'));
  dbPath = join(dir, 'catalog.db');
  warehouse = pathToFileURL(join(dir, 'warehouse')).href;
  catalog = new SqliteCatalog({ database: dbPath, warehouse, objectStore: new LocalObjectStore() });
  await catalog.createNamespace(namespace);
});

after(async () => {
  catalog?.close();
  await rm(dir, { recursive: true, force: true });
});

function request(name: string): CreateTableRequest {
  return {
    name,
    schema: {
      type: 'struct',
      'schema-id': 0,
      'identifier-field-ids': [1],
      fields: [
        { id: 1, name: 'id', required: true, type: 'long' },
        { id: 2, name: 'name', required: false, type: 'string' },
        { id: 3, name: 'amount', required: false, type: 'decimal(12, 2)' },
      ],
    },
    properties: { 'cdc.source': 'tests' },
  };
}

function snapshot(id: bigint | number, parent: bigint | number | null, sequence: number): Snapshot {
  return {
    'snapshot-id': id,
    ...(parent === null ? {} : { 'parent-snapshot-id': parent }),
    'sequence-number': sequence,
    'timestamp-ms': Date.now(),
    'manifest-list': `${warehouse}/db/nowhere/snap-${id}.avro`,
    summary: { operation: 'append', 'cdc.batch-id': `b-${id}` },
    'schema-id': 0,
  };
}

// Loads the table with PyIceberg's SqlCatalog on our file and reports what it sees (ids as strings).
const PY_LOAD = `
import json, sys
from pyiceberg.catalog.sql import SqlCatalog
catalog = SqlCatalog("default", uri="sqlite:///" + sys.argv[1], warehouse=sys.argv[2])
t = catalog.load_table(sys.argv[3])
m = t.metadata
print(json.dumps({
  "tables": [".".join(i) for i in catalog.list_tables("db")],
  "namespaces": [".".join(n) for n in catalog.list_namespaces()],
  "metadata_location": t.metadata_location,
  "uuid": str(m.table_uuid),
  "format_version": m.format_version,
  "field_ids": [f.field_id for f in t.schema().fields],
  "identifier_field_ids": list(t.schema().identifier_field_ids),
  "properties": m.properties,
  "current_snapshot_id": None if m.current_snapshot_id is None else str(m.current_snapshot_id),
  "snapshot_ids": [str(s.snapshot_id) for s in m.snapshots],
  "parents": [None if s.parent_snapshot_id is None else str(s.parent_snapshot_id) for s in m.snapshots],
  "last_sequence_number": m.last_sequence_number,
  "metadata_log": [e.metadata_file for e in m.metadata_log],
}))
`;

interface PyView {
  tables: string[];
  namespaces: string[];
  metadata_location: string;
  uuid: string;
  format_version: number;
  field_ids: number[];
  identifier_field_ids: number[];
  properties: Record<string, string>;
  current_snapshot_id: string | null;
  snapshot_ids: string[];
  parents: (string | null)[];
  last_sequence_number: number;
  metadata_log: string[];
}

const pyLoad = (name: string) => runPython<PyView>(PY_LOAD, [dbPath, warehouse, `db.${name}`]);

test('PyIceberg SqlCatalog loads a table we created and committed, big snapshot ids exact', async () => {
  const name = `t_${randomUUID().slice(0, 8)}`;
  const created = await catalog.createTable(namespace, request(name));
  assert.match(
    created.metadataLocation,
    /\/db\/t_[0-9a-f]{8}\/metadata\/00000-[0-9a-f-]{36}\.metadata\.json$/,
  );
  await assert.rejects(catalog.createTable(namespace, request(name)), TableAlreadyExistsError);

  const table = { namespace, name };
  const big = 3051729675574597004n;
  const first = await catalog.commitTable(
    table,
    [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
    [
      { action: 'add-snapshot', snapshot: snapshot(big, null, 1) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': big },
      { action: 'set-properties', updates: { 'cdc.watermark': 'w1' } },
    ],
  );
  assert.match(first.metadataLocation, /\/metadata\/00001-/);
  await catalog.commitTable(
    table,
    [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': big }],
    [
      { action: 'add-snapshot', snapshot: snapshot(big + 1n, big, 2) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': big + 1n },
    ],
  );
  const ours = await catalog.loadTable(table);
  const py = await pyLoad(name);
  assert.ok(py.tables.includes(`db.${name}`));
  assert.ok(py.namespaces.includes('db'));
  assert.equal(py.metadata_location, ours.metadataLocation);
  assert.equal(py.uuid, ours.metadata['table-uuid']);
  assert.equal(py.format_version, 2);
  assert.deepEqual(py.field_ids, [1, 2, 3]);
  assert.deepEqual(py.identifier_field_ids, [1]);
  assert.equal(py.properties['cdc.watermark'], 'w1');
  assert.equal(py.current_snapshot_id, (big + 1n).toString());
  assert.deepEqual(py.snapshot_ids, [big.toString(), (big + 1n).toString()]);
  assert.deepEqual(py.parents, [null, big.toString()]);
  assert.equal(py.last_sequence_number, 2);
  assert.deepEqual(py.metadata_log, [created.metadataLocation, first.metadataLocation]);
});

test('a PyIceberg commit on our catalog is seen by us, and our commit on top of it by PyIceberg', async () => {
  const name = `t_${randomUUID().slice(0, 8)}`;
  await catalog.createTable(namespace, request(name));
  await runPython(
    `
import json, sys
from pyiceberg.catalog.sql import SqlCatalog
catalog = SqlCatalog("default", uri="sqlite:///" + sys.argv[1], warehouse=sys.argv[2])
t = catalog.load_table(sys.argv[3])
with t.transaction() as tx:
    tx.set_properties(written_by="pyiceberg")
print(json.dumps({"ok": True}))
`,
    [dbPath, warehouse, `db.${name}`],
  );
  const table = { namespace, name };
  const loaded = await catalog.loadTable(table);
  assert.equal(loaded.metadata.properties?.written_by, 'pyiceberg');
  await catalog.commitTable(
    table,
    [{ type: 'assert-table-uuid', uuid: loaded.metadata['table-uuid'] }],
    [{ action: 'remove-properties', removals: ['written_by'] }],
  );
  const py = await pyLoad(name);
  assert.equal(py.properties.written_by, undefined);
  assert.equal(py.metadata_log.length, 2);
});

test('two commits racing from the same base: exactly one wins the compare-and-swap', async () => {
  const name = `t_${randomUUID().slice(0, 8)}`;
  await catalog.createTable(namespace, request(name));
  const table = { namespace, name };
  const results = await Promise.allSettled([
    catalog.commitTable(table, [], [{ action: 'set-properties', updates: { writer: 'a' } }]),
    catalog.commitTable(table, [], [{ action: 'set-properties', updates: { writer: 'b' } }]),
  ]);
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(won.length, 1);
  assert.equal(lost.length, 1);
  assert.ok(lost[0]!.reason instanceof CommitConflictError, String(lost[0]!.reason));
  const winner = (won[0] as PromiseFulfilledResult<{ metadata: { properties?: Record<string, string> } }>)
    .value;
  const current = await catalog.loadTable(table);
  assert.equal(current.metadata.properties?.writer, winner.metadata.properties?.writer);
  // the loser's metadata file was removed: only the create and the winner's file remain
  const files = await readdir(join(new URL(warehouse).pathname, 'db', name, 'metadata'));
  assert.equal(files.filter((f) => f.endsWith('.metadata.json')).length, 2);
});

// One writer process: `commits` snapshots on top of main, each asserting the main it read, a conflict
// read again and retried. Prints how many conflicts it met.
const CAS_WRITER = `
const [catalogUrl, storeUrl, portsUrl, dbPath, warehouse, name, writer, commits] = process.argv.slice(1);
const { SqliteCatalog } = await import(catalogUrl);
const { LocalObjectStore } = await import(storeUrl);
const { CommitConflictError } = await import(portsUrl);
const catalog = new SqliteCatalog({ database: dbPath, warehouse, objectStore: new LocalObjectStore() });
const table = { namespace: ['db'], name };
let conflicts = 0;
for (let done = 0; done < Number(commits); ) {
  const { metadata } = await catalog.loadTable(table);
  const parent = metadata['current-snapshot-id'] ?? null;
  const id = Number(writer) * 1_000_000 + done + 1;
  const snapshot = {
    'snapshot-id': id,
    ...(parent === null || parent === -1 ? {} : { 'parent-snapshot-id': parent }),
    'sequence-number': metadata['last-sequence-number'] + 1,
    'timestamp-ms': Date.now(),
    'manifest-list': warehouse + '/db/nowhere/snap-' + id + '.avro',
    summary: { operation: 'append' },
    'schema-id': 0,
  };
  try {
    await catalog.commitTable(
      table,
      [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent === -1 ? null : parent }],
      [
        { action: 'add-snapshot', snapshot },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
      ],
    );
    done += 1;
  } catch (error) {
    if (!(error instanceof CommitConflictError)) throw error;
    conflicts += 1;
  }
}
catalog.close();
process.stdout.write(JSON.stringify({ conflicts }));
`;

test('four processes committing on one catalog file: no commit lost, none fails on a locked database', async () => {
  const name = `t_${randomUUID().slice(0, 8)}`;
  await catalog.createTable(namespace, request(name));
  const modules = [
    '../../../shared/adapters/embedded/sqlite-catalog.js',
    '../../../shared/adapters/embedded/local-object-store.js',
    '../../../shared/ports/catalog.js',
  ].map((path) => new URL(path, import.meta.url).href);
  const writers = 4;
  const commits = 15;
  const exits = await Promise.all(
    Array.from(
      { length: writers },
      (_, writer) =>
        new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
          const child = spawn(
            process.execPath,
            [
              '--input-type=module',
              '-e',
              CAS_WRITER,
              ...modules,
              dbPath,
              warehouse,
              name,
              String(writer + 1),
              String(commits),
            ],
            { stdio: ['ignore', 'pipe', 'pipe'] },
          );
          let out = '';
          let err = '';
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
          child.on('close', (code) => resolve({ code, out, err }));
        }),
    ),
  );
  for (const exit of exits) assert.equal(exit.code, 0, exit.err);
  const { metadata } = await catalog.loadTable({ namespace, name });
  assert.equal(metadata.snapshots?.length, writers * commits);
  // every snapshot is on main's single line of parents: no commit replaced another's
  const byId = new Map((metadata.snapshots ?? []).map((s) => [String(s['snapshot-id']), s]));
  let chain = 0;
  for (let id: string | undefined = String(metadata['current-snapshot-id']); id !== undefined; chain++) {
    const parent: unknown = byId.get(id)?.['parent-snapshot-id'];
    id = parent === undefined || parent === null ? undefined : String(parent);
  }
  assert.equal(chain, writers * commits);
  assert.equal(metadata['last-sequence-number'], writers * commits);
});

test('a commit whose requirement no longer holds is a conflict; missing tables are NoSuchTableError', async () => {
  const name = `t_${randomUUID().slice(0, 8)}`;
  await catalog.createTable(namespace, request(name));
  const table = { namespace, name };
  await catalog.commitTable(
    table,
    [],
    [
      { action: 'add-snapshot', snapshot: snapshot(11, null, 1) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 11 },
    ],
  );
  await assert.rejects(
    catalog.commitTable(
      table,
      [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
      [{ action: 'set-properties', updates: { stale: 'yes' } }],
    ),
    CommitConflictError,
  );
  await assert.rejects(catalog.loadTable({ namespace, name: 'absent' }), NoSuchTableError);
  await catalog.dropTable(table);
  await assert.rejects(catalog.loadTable(table), NoSuchTableError);
  assert.deepEqual(
    (await catalog.listTables(namespace)).some((t) => t.name === name),
    false,
  );
  assert.equal(await catalog.namespaceExists(['nope']), false);
});

test('a reader holding a read transaction open (as the JdbcCatalog pool does) does not block a commit', async () => {
  const name = `t_${randomUUID().slice(0, 8)}`;
  await catalog.createTable(namespace, request(name));
  const reader = new Database(dbPath);
  try {
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM iceberg_tables').get();
    const committed = await catalog.commitTable(
      { namespace, name },
      [],
      [{ action: 'set-properties', updates: { during: 'open read' } }],
    );
    assert.match(committed.metadataLocation, /\/00001-/);
    // the reader still sees its snapshot of the catalog; a new read sees the commit
    reader.exec('COMMIT');
    const row = reader
      .prepare('SELECT metadata_location FROM iceberg_tables WHERE table_name = ?')
      .get(name) as { metadata_location: string };
    assert.equal(row.metadata_location, committed.metadataLocation);
  } finally {
    reader.close();
  }
});

test('a catalog file in the older schema without iceberg_type is migrated and its tables stay visible', async () => {
  const oldDb = join(dir, 'v0.db');
  const raw = new Database(oldDb);
  raw.exec(`
    CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL,
      table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000),
      PRIMARY KEY (catalog_name, table_namespace, table_name));
    CREATE TABLE iceberg_namespace_properties (catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL,
      property_key VARCHAR(255) NOT NULL, property_value VARCHAR(1000) NOT NULL,
      PRIMARY KEY (catalog_name, namespace, property_key));`);
  // a table registered by an older writer: the metadata of one of ours, under another name
  const source = await catalog.createTable(namespace, request(`t_${randomUUID().slice(0, 8)}`));
  raw
    .prepare(`INSERT INTO iceberg_tables VALUES ('default', 'db', 'legacy', ?, NULL)`)
    .run(source.metadataLocation);
  raw.close();
  const migrated = new SqliteCatalog({ database: oldDb, warehouse, objectStore: new LocalObjectStore() });
  try {
    assert.deepEqual(await migrated.listTables(namespace), [{ namespace, name: 'legacy' }]);
    const loaded = await migrated.loadTable({ namespace, name: 'legacy' });
    assert.equal(loaded.metadata['table-uuid'], source.metadata['table-uuid']);
    const created = await migrated.createTable(namespace, request('fresh'));
    const py = await runPython<PyView>(PY_LOAD, [oldDb, warehouse, 'db.fresh']);
    assert.equal(py.metadata_location, created.metadataLocation);
    assert.deepEqual(py.tables.sort(), ['db.fresh', 'db.legacy']);
  } finally {
    migrated.close();
  }
});
