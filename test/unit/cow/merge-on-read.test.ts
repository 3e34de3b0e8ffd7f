// Merge-on-read and auto tables through the real commit engine, commit after commit: updates, partial
// updates (absent columns keep the stored values), deletes, re-inserts after a delete, stale changes
// losing against the stored row and against a tombstone, keys updated in several successive commits
// (their older versions stay in older files, deleted, and are never found again), composite keys,
// partitioned tables, insert-only tables; switching a table to copy-on-write rewrites the files and drops
// their delete files; maintenance folds the delete files away. After every commit our reader equals a model of the merge rules, and so does the
// engine's next commit; PyIceberg and DuckDB read the same rows.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeEvent } from '../../../shared/changes/change-event.js';
import type { Row } from '../../../shared/iceberg/spec/values.js';
import { readLiveDataFiles } from '../../../shared/iceberg/table-files.js';
import {
  AUTO_REWRITE_FRACTION_PROPERTY,
  writeModeProperties,
  type WriteMode,
} from '../../../shared/iceberg/table-properties.js';
import { maintainTable } from '../../../shared/maintenance/maintain-table.js';
import { seeded } from '../../support/random.js';
import { canonical, morTable, removeMorTables, type MorTable } from './support/mor-table.js';

after(removeMorTables);

/** The merge rules applied to a model: key → row, and key → newest order applied (row or tombstone). */
class Model {
  readonly rows = new Map<string, Row>();
  readonly orders = new Map<string, number>();

  constructor(private readonly keyOf: (row: Row) => string) {}

  apply(events: readonly ChangeEvent[]): void {
    // within one commit a key's changes apply oldest first
    const sorted = [...events].sort((a, b) => a.order.sourceTsMs - b.order.sourceTsMs);
    for (const e of sorted) {
      const k = this.keyOf(e.row);
      if (e.order.sourceTsMs <= (this.orders.get(k) ?? -1)) continue; // stale
      this.orders.set(k, e.order.sourceTsMs);
      if (e.op === 'delete') {
        this.rows.delete(k);
        continue;
      }
      const stored = this.rows.get(k);
      const next: Row = { region: null, id: null, qty: null, name: null };
      for (const c of ['region', 'id', 'qty', 'name']) {
        next[c] = e.row[c] !== undefined ? e.row[c]! : stored ? (stored[c] ?? null) : null;
      }
      this.rows.set(k, next);
    }
  }

  expected(): string[] {
    return canonical([...this.rows.values()]);
  }
}

/** A random batch over `keys` keys: full and partial upserts, deletes, stale changes of known keys. */
function randomBatch(t: MorTable, model: Model, random: () => number, keys: number, size: number) {
  const regions = ['eu', 'us'];
  const events: ChangeEvent[] = [];
  for (let i = 0; i < size; i++) {
    const id = Math.floor(random() * keys);
    const region = regions[id % 2]!;
    const k = `${region}/${id}`;
    const roll = random();
    const known = model.orders.get(k);
    if (roll < 0.1 && known !== undefined) {
      // stale: older than what the table holds for the key (row or tombstone)
      events.push(t.upsert({ region, id, qty: -1, name: 'stale' }, known - 1 - Math.floor(random() * 5)));
    } else if (roll < 0.3) {
      events.push(t.remove({ region, id }));
    } else if (roll < 0.5) {
      events.push(t.upsert({ region, id, qty: Math.floor(random() * 1000) })); // partial: no name
    } else {
      events.push(t.upsert({ region, id, qty: Math.floor(random() * 1000), name: `v${t.nextTs()}` }));
    }
  }
  return events;
}

async function randomWorkload(
  t: MorTable,
  options: { keys: number; commits: number; size: number; seed: number },
): Promise<{ model: Model; deleteFiles: number }> {
  const model = new Model((r) => `${String(r.region)}/${String(r.id)}`);
  const random = seeded(options.seed);
  let deleteFiles = 0;
  // first the table is filled, then changed commit after commit
  const fill = Array.from({ length: options.keys }, (_, id) =>
    t.upsert({ region: id % 2 === 0 ? 'eu' : 'us', id, qty: id, name: `n${id}` }),
  );
  await t.commit(fill);
  model.apply(fill);
  for (let c = 0; c < options.commits; c++) {
    const events = randomBatch(t, model, random, options.keys, options.size);
    const result = await t.commit(events);
    deleteFiles += result.counts.deleteFiles;
    model.apply(events);
    assert.deepEqual(await t.rows(), model.expected(), `rows after commit ${c + 1}`);
  }
  return { model, deleteFiles };
}

async function assertWitnesses(t: MorTable, model: Model): Promise<void> {
  const read = await t.witnesses();
  assert.deepEqual(read.pyiceberg, model.expected(), 'PyIceberg');
  assert.deepEqual(read.duckdb, model.expected(), 'DuckDB');
}

for (const mode of ['merge-on-read', 'auto'] as const) {
  test(`${mode}: random updates, partial updates, deletes, re-inserts and stale changes over many commits`, async () => {
    const t = await morTable({
      mode,
      primaryKeys: ['region', 'id'],
      rowGroupRows: 4,
      ...(mode === 'auto' ? { properties: { [AUTO_REWRITE_FRACTION_PROPERTY]: '0.4' } } : {}),
    });
    const { model, deleteFiles } = await randomWorkload(t, { keys: 40, commits: 8, size: 14, seed: 7 });
    assert.ok(deleteFiles > 0, 'position delete files were written');
    const metadata = await t.load();
    assert.equal(metadata.properties?.['write.update.mode'], 'merge-on-read');
    await assertWitnesses(t, model);
    // maintenance folds the delete files into their data files; the rows stay, and commits go on
    await maintainTable(t.deps, 'shop.items', { expire: false, removeOrphans: false });
    const folded = await readLiveDataFiles(await t.load(), t.objects);
    assert.ok(
      folded.every((f) => f.deletes.length === 0),
      'no delete file left after maintain',
    );
    assert.deepEqual(await t.rows(), model.expected());
    const events = randomBatch(t, model, seeded(99), 40, 14);
    await t.commit(events);
    model.apply(events);
    await assertWitnesses(t, model);
    t.db.close();
  });
}

test('merge-on-read: a key updated in several successive commits is found live in the newest file only', async () => {
  const t = await morTable({ mode: 'merge-on-read' });
  const model = new Model((r) => String(r.id));
  const fill = Array.from({ length: 10 }, (_, id) => t.upsert({ region: 'eu', id, qty: id, name: `n${id}` }));
  await t.commit(fill);
  model.apply(fill);
  for (let round = 1; round <= 5; round++) {
    const events = [t.upsert({ region: 'eu', id: 3, qty: 100 + round })];
    if (round % 2 === 0) events.push(t.upsert({ region: 'eu', id: 4, qty: round, name: `r${round}` }));
    const result = await t.commit(events);
    model.apply(events);
    assert.equal(result.counts.updated, events.length, `round ${round}: every change found its live row`);
    assert.equal(result.counts.inserted, 0, `round ${round}: no key taken for new`);
    assert.deepEqual(await t.rows(), model.expected());
  }
  // a stale change of the key loses against its newest version, wherever the older ones are stored
  const stale = t.upsert({ region: 'eu', id: 3, qty: -1, name: 'stale' }, 1_005);
  const result = await t.commit([stale]);
  assert.equal(result.counts.stale, 1);
  assert.deepEqual(await t.rows(), model.expected());
  const files = await readLiveDataFiles(await t.load(), t.objects);
  assert.ok(files.filter((f) => f.deletes.length > 0).length >= 2, 'older versions stay, deleted');
  await assertWitnesses(t, model);
  t.db.close();
});

test('merge-on-read: a delete then a re-insert, and a stale change losing against the tombstone', async () => {
  const t = await morTable({ mode: 'merge-on-read' });
  const model = new Model((r) => String(r.id));
  const steps: ChangeEvent[][] = [
    [1, 2, 3].map((id) => t.upsert({ region: 'eu', id, qty: id, name: `n${id}` })),
    [t.remove({ region: 'eu', id: 2 })],
  ];
  const deletedAt = t.nextTs() - 1;
  steps.push(
    // older than the delete: the tombstone wins
    [t.upsert({ region: 'eu', id: 2, qty: 20, name: 'late' }, deletedAt - 1)],
    // a re-insert, partial: nothing stored, so the name is null
    [t.upsert({ region: 'eu', id: 2, qty: 22 })],
    [t.upsert({ region: 'eu', id: 2, qty: 23, name: 'back' })],
  );
  for (const events of steps) {
    await t.commit(events);
    model.apply(events);
    assert.deepEqual(await t.rows(), model.expected());
  }
  assert.deepEqual(
    await t.rows(),
    canonical([
      { region: 'eu', id: 1, qty: 1, name: 'n1' },
      { region: 'eu', id: 2, qty: 23, name: 'back' },
      { region: 'eu', id: 3, qty: 3, name: 'n3' },
    ]),
  );
  await assertWitnesses(t, model);
  t.db.close();
});

test('merge-on-read: a partitioned table keeps each delete file in its data file partition', async () => {
  const t = await morTable({
    mode: 'merge-on-read',
    primaryKeys: ['region', 'id'],
    partition: { source: 'region', transform: 'identity' },
  });
  const { model } = await randomWorkload(t, { keys: 24, commits: 5, size: 10, seed: 11 });
  for (const f of await readLiveDataFiles(await t.load(), t.objects)) {
    for (const d of f.deletes) assert.deepEqual(d.dataFile.partition, f.dataFile.partition);
  }
  await assertWitnesses(t, model);
  t.db.close();
});

test('merge-on-read: an insert-only table (no primary key) adds each event once and writes no delete file', async () => {
  const t = await morTable({ mode: 'merge-on-read', primaryKeys: [] });
  const events = [1, 2, 3].map((id) => t.upsert({ region: 'eu', id, qty: id, name: `n${id}` }));
  await t.commit(events);
  const again = await t.commit([...events, t.upsert({ region: 'eu', id: 4, qty: 4, name: 'n4' })]);
  assert.equal(again.counts.inserted, 1);
  assert.equal(again.counts.stale, 3);
  assert.equal(again.counts.deleteFiles, 0);
  const expected = canonical([1, 2, 3, 4].map((id) => ({ region: 'eu', id, qty: id, name: `n${id}` })));
  assert.deepEqual(await t.rows(), expected);
  const read = await t.witnesses();
  assert.deepEqual(read.pyiceberg, expected);
  t.db.close();
});

test('switching a merge-on-read table to copy-on-write rewrites the files it changes and drops their deletes', async () => {
  const t = await morTable({ mode: 'merge-on-read', rowGroupRows: 4 });
  const { model } = await randomWorkload(t, { keys: 30, commits: 4, size: 12, seed: 3 });
  const before = await readLiveDataFiles(await t.load(), t.objects);
  const masked = before.filter((f) => f.deletes.length > 0);
  assert.ok(masked.length > 0);
  await setMode(t, 'copy-on-write');
  // change one row of every masked file: each is rewritten without its deleted rows
  const events: ChangeEvent[] = [];
  for (const f of masked) {
    const live = [...model.rows.values()].find((r) => fileHolds(f, Number(r.id)));
    if (live) events.push(t.upsert({ region: live.region ?? null, id: live.id ?? null, qty: 7777 }));
  }
  const result = await t.commit(events);
  model.apply(events);
  assert.equal(result.counts.deleteFiles, 0);
  assert.ok(result.counts.rewrittenFiles > 0);
  assert.deepEqual(await t.rows(), model.expected());
  const after = await readLiveDataFiles(await t.load(), t.objects);
  for (const f of after) {
    if (f.deletes.length > 0)
      assert.ok(
        before.some((b) => b.dataFile.filePath === f.dataFile.filePath),
        'only files the commit did not rewrite keep delete files',
      );
  }
  const rewritten = masked.filter((m) => !after.some((a) => a.dataFile.filePath === m.dataFile.filePath));
  assert.ok(rewritten.length > 0, 'masked files were rewritten');
  for (const f of after) {
    if (before.some((b) => b.dataFile.filePath === f.dataFile.filePath)) continue;
    assert.equal(f.deletes.length, 0, `${f.dataFile.filePath}: a rewritten file has no delete files`);
  }
  await assertWitnesses(t, model);
  t.db.close();
});

function fileHolds(
  f: { dataFile: { lowerBounds: Map<number, Uint8Array>; upperBounds: Map<number, Uint8Array> } },
  id: number,
): boolean {
  const int = (b: Uint8Array | undefined) =>
    b === undefined ? undefined : new DataView(b.buffer, b.byteOffset).getInt32(0, true);
  const lower = int(f.dataFile.lowerBounds.get(2));
  const upper = int(f.dataFile.upperBounds.get(2));
  return lower !== undefined && upper !== undefined && id >= lower && id <= upper;
}

async function setMode(t: MorTable, mode: WriteMode): Promise<void> {
  await t.catalog.commitTable(
    { namespace: ['shop'], name: 'items' },
    [],
    [{ action: 'set-properties', updates: writeModeProperties(mode) }],
  );
}
