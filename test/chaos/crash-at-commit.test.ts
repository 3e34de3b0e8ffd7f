// The one failure merge-on-read adds, made certain rather than left to the random histories: a commit run
// that has written its position delete files (and new data files and manifests) dies right before its
// catalog commit, or while sending it. The table must read exactly as before, no snapshot may reference
// any file the run wrote, and the next run must commit the same change-set, once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { SqliteCatalog } from '../../shared/adapters/embedded/sqlite-catalog.js';
import { SqliteStateStore } from '../../shared/adapters/embedded/sqlite-state-store.js';
import { currentSnapshot } from '../../shared/iceberg/spec/snapshot.js';
import type { Schema } from '../../shared/iceberg/spec/types.js';
import { readLiveFiles, readTableRows } from '../../shared/iceberg/table-files.js';
import { writeModeProperties } from '../../shared/iceberg/table-properties.js';
import { silentLogger } from '../../shared/log.js';
import { commitTable, type CommitHooks } from '../../shared/pipeline/commit-table.js';
import { plain } from '../support/plain-rows.js';
import { change, stageChangeset } from '../unit/cow/support/stage.js';
import { MemoryObjectStore } from './memory-object-store.js';
import { manifestReader, referencedFiles } from './referenced-files.js';
import { ChaosCatalog } from './run-history.js';

const T = { schema: 'shop', name: 'items' };
const ID = { namespace: ['shop'], name: 'items' };
const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  'identifier-field-ids': [1],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'v', required: false, type: 'long' },
  ],
};

class Died extends Error {}

async function crashBeforeCommit(where: 'before the catalog commit' | 'while sending the catalog commit') {
  const db = new Database(':memory:');
  const objects = new MemoryObjectStore();
  const catalog = new ChaosCatalog(
    new SqliteCatalog({ database: db, warehouse: '/crash/warehouse', objectStore: objects }),
    writeModeProperties('merge-on-read'),
  );
  const state = new SqliteStateStore(db);
  const clock = { t: 1_800_000_000_000 };
  const commit = (hooks?: CommitHooks) =>
    commitTable(
      { catalog, objects, state, log: silentLogger, now: () => clock.t, ...(hooks ? { hooks } : {}) },
      'shop.items',
    );
  const stage = (events: ReturnType<typeof change>[]) =>
    stageChangeset({ objects, state, workRoot: '/crash/work' }, T, SCHEMA, ['id'], events);
  const rows = async () => {
    const { metadata } = await catalog.loadTable(ID);
    const read = plain(await readTableRows(metadata, objects)) as { id: bigint; v: bigint }[];
    return {
      snapshot: currentSnapshot(metadata)?.['snapshot-id'],
      rows: read.sort((a, b) => Number(a.id) - Number(b.id)),
    };
  };

  await stage(
    Array.from({ length: 10 }, (_, i) => change(T, ['id'], 'upsert', { id: BigInt(i), v: 0n }, 1000 + i)),
  );
  assert.equal((await commit()).status, 'committed');
  const before = await rows();

  // updates and a delete of rows stored in the first commit's file: merge-on-read writes a delete file
  await stage([
    change(T, ['id'], 'upsert', { id: 2n, v: 2n }, 2000),
    change(T, ['id'], 'upsert', { id: 5n, v: 5n }, 2001),
    change(T, ['id'], 'delete', { id: 7n }, 2002),
  ]);
  const firstWritten = objects.written.length;
  const die = (): never => {
    throw new Died(where);
  };
  if (where === 'before the catalog commit') {
    await assert.rejects(commit({ beforeCatalogCommit: die }), Died);
  } else {
    catalog.dieAtCommit = die;
    await assert.rejects(commit(), Died);
  }
  const written = objects.written.slice(firstWritten);
  const deleteFiles = written.filter((p) => p.endsWith('-deletes.parquet'));
  assert.ok(
    deleteFiles.length > 0,
    `the run wrote a position delete file before it died: ${written.join(', ')}`,
  );
  assert.deepEqual(await rows(), before, 'the table reads exactly as before');
  const referenced = async () => {
    const { metadata } = await catalog.loadTable(ID);
    return (await referencedFiles(metadata.snapshots ?? [], manifestReader(objects))).all;
  };
  for (const path of await referenced())
    assert.ok(!written.includes(path), `${path} of the dead run is referenced`);

  // the next run (once the dead run's lease has run out) commits the change-set, and only its own files
  clock.t += 11 * 60_000;
  const next = await commit();
  assert.equal(next.status, 'committed');
  const after = await rows();
  assert.deepEqual(
    after.rows.map((r) => [String(r.id), String(r.v)]),
    [0, 1, 2, 3, 4, 5, 6, 8, 9].map((i) => [String(i), String(i === 2 || i === 5 ? i : 0)]),
  );
  const { metadata } = await catalog.loadTable(ID);
  assert.ok(
    (await readLiveFiles(metadata, objects)).deletes.length > 0,
    'the retried commit has its delete file',
  );
  for (const path of await referenced())
    assert.ok(!written.includes(path), `${path} of the dead run is referenced`);
  db.close();
}

test('merge-on-read: a run that dies after writing its delete files, before the catalog commit, leaves nothing visible', () =>
  crashBeforeCommit('before the catalog commit'));

test('merge-on-read: a run that dies while sending the catalog commit (not landed) leaves nothing visible', () =>
  crashBeforeCommit('while sending the catalog commit'));
