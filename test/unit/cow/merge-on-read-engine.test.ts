// The merge-on-read engine up to what it hands the snapshot (AppliedBatch): per data file with changed
// rows one file-scoped position delete file holding exactly the positions of the rows updated or deleted,
// new versions (partial updates folded onto the stored row) written with the inserts sorted by key, the
// data file itself untouched; the rows that remain plus the new files are the merge's result. Auto
// rewrites a file whose changed share reaches its bound and merges one below it on read. A key live in
// two files is corruption and fails loudly.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyBatch, type AppliedBatch } from '../../../shared/cow/apply-batch.js';
import { writeDataFiles } from '../../../shared/iceberg/data-file-writer.js';
import { writeSnapshot } from '../../../shared/iceberg/snapshot-producer.js';
import { readPositionDeletes } from '../../../shared/iceberg/io/position-delete-file.js';
import { readRowsDataFile } from '../../../shared/iceberg/io/parquet-data-file.js';
import { currentSchema } from '../../../shared/iceberg/spec/metadata-access.js';
import type { TableMetadata } from '../../../shared/iceberg/spec/metadata-types.js';
import type { Row } from '../../../shared/iceberg/spec/values.js';
import { readLiveDataFiles } from '../../../shared/iceberg/table-files.js';
import { AUTO_REWRITE_FRACTION_PROPERTY } from '../../../shared/iceberg/table-properties.js';
import { canonical, morTable, removeMorTables, type MorTable } from './support/mor-table.js';

after(removeMorTables);

/** The rows a snapshot of `applied` on top of `metadata` would hold (position deletes applied). */
async function rowsAfter(t: MorTable, metadata: TableMetadata, applied: AppliedBatch): Promise<Row[]> {
  const fields = currentSchema(metadata).fields;
  const out: Row[] = [];
  for (const f of await readLiveDataFiles(metadata, t.objects)) {
    const path = f.dataFile.filePath;
    if (applied.removed.includes(path)) continue;
    const deleted = new Set<number>();
    for (const d of applied.addedDeletes) {
      for (const p of readPositionDeletes(await t.objects.get(d.filePath), path)) deleted.add(Number(p));
    }
    readRowsDataFile(await t.objects.get(path), fields).forEach((r, i) => {
      if (!deleted.has(i)) out.push(r);
    });
  }
  for (const f of applied.added) out.push(...readRowsDataFile(await t.objects.get(f.filePath), fields));
  return out;
}

const row = (id: number, qty: number | null, name: string | null = `n${id}`): Row => ({
  region: 'eu',
  id,
  qty,
  name,
});

test('merge-on-read: one position delete file per changed data file, new versions sorted with the inserts', async () => {
  const t = await morTable({ mode: 'merge-on-read', rowGroupRows: 4 });
  await t.commit(Array.from({ length: 20 }, (_, i) => t.upsert(row(i * 2, i))));
  const metadata = await t.load();
  const [file] = await readLiveDataFiles(metadata, t.objects);
  const applied = await applyBatch(
    metadata,
    t.objects,
    ['id'],
    [
      t.upsert({ region: 'eu', id: 6, qty: 60 }), // partial: the name stays
      t.upsert(row(14, 140, 'fourteen')),
      t.remove({ region: 'eu', id: 30 }),
      t.upsert(row(31, 1)), // a new key between stored ones
      t.upsert(row(8, 0, 'older'), 500), // older than the stored row: loses
    ],
  );
  assert.equal(applied.removed.length, 0, 'the data file is not rewritten');
  assert.equal(applied.addedDeletes.length, 1);
  const deletes = applied.addedDeletes[0]!;
  assert.equal(deletes.content, 1);
  const positions = readPositionDeletes(await t.objects.get(deletes.filePath), file!.dataFile.filePath);
  assert.deepEqual([...positions], [3n, 7n, 15n], 'the stored rows of ids 6, 14 and 30');
  assert.equal(applied.counts.positionDeletes, 3);
  assert.equal(applied.counts.deleteFiles, 1);
  assert.equal(applied.counts.updated, 2);
  assert.equal(applied.counts.deleted, 1);
  assert.equal(applied.counts.inserted, 1);
  assert.equal(applied.counts.stale, 1);
  assert.equal(applied.counts.rewrittenFiles, 0);
  // the new versions and the insert, in one file sorted by key
  assert.equal(applied.added.length, 1);
  const added = readRowsDataFile(
    await t.objects.get(applied.added[0]!.filePath),
    currentSchema(metadata).fields,
  );
  assert.deepEqual(
    added.map((r) => r.id),
    [6, 14, 31],
  );
  const expected = new Map<number, Row>(Array.from({ length: 20 }, (_, i) => [i * 2, row(i * 2, i)]));
  expected
    .set(6, row(6, 60, 'n6'))
    .set(14, row(14, 140, 'fourteen'))
    .set(31, row(31, 1));
  expected.delete(30);
  assert.deepEqual(canonical(await rowsAfter(t, metadata, applied)), canonical([...expected.values()]));
  assert.ok(applied.tombstonesLocation, 'the delete leaves a tombstone');
  t.db.close();
});

test('merge-on-read: deleting every row of a data file removes it instead of masking it', async () => {
  const t = await morTable({ mode: 'merge-on-read' });
  await t.commit([t.upsert(row(1, 1)), t.upsert(row(2, 2))]);
  const metadata = await t.load();
  const [file] = await readLiveDataFiles(metadata, t.objects);
  const applied = await applyBatch(
    metadata,
    t.objects,
    ['id'],
    [t.remove({ region: 'eu', id: 1 }), t.upsert(row(2, 20))],
  );
  assert.deepEqual(applied.removed, [file!.dataFile.filePath]);
  assert.equal(applied.addedDeletes.length, 0);
  assert.equal(applied.counts.removedFiles, 1);
  assert.deepEqual(canonical(await rowsAfter(t, metadata, applied)), canonical([row(2, 20)]));
  t.db.close();
});

test('auto: a file whose changed share reaches the bound is rewritten, one below it merged on read', async () => {
  const t = await morTable({
    mode: 'auto',
    properties: { [AUTO_REWRITE_FRACTION_PROPERTY]: '0.5' },
  });
  // two files: ids 0..9 and ids 100..109
  await t.commit(Array.from({ length: 10 }, (_, i) => t.upsert(row(i, i))));
  await t.commit(Array.from({ length: 10 }, (_, i) => t.upsert(row(100 + i, i))));
  const metadata = await t.load();
  const files = await readLiveDataFiles(metadata, t.objects);
  const low = files.find((f) => f.dataFile.recordCount === 10 && readsId(f, 0))!;
  const applied = await applyBatch(
    metadata,
    t.objects,
    ['id'],
    [
      ...Array.from({ length: 6 }, (_, i) => t.upsert(row(i, 1000 + i))), // 6 of 10: rewritten
      t.upsert(row(105, 5000)), // 1 of 10: merged on read
    ],
  );
  assert.deepEqual(applied.removed, [low.dataFile.filePath]);
  assert.equal(applied.counts.rewrittenFiles, 1);
  assert.equal(applied.addedDeletes.length, 1);
  assert.equal(applied.counts.positionDeletes, 1);
  const expected = [
    ...Array.from({ length: 10 }, (_, i) => row(i, i < 6 ? 1000 + i : i)),
    ...Array.from({ length: 10 }, (_, i) => row(100 + i, i === 5 ? 5000 : i)),
  ];
  assert.deepEqual(canonical(await rowsAfter(t, metadata, applied)), canonical(expected));
  t.db.close();
});

function readsId(file: { dataFile: { lowerBounds: Map<number, Uint8Array> } }, id: number): boolean {
  const lower = file.dataFile.lowerBounds.get(2);
  return lower !== undefined && new DataView(lower.buffer, lower.byteOffset).getInt32(0, true) === id;
}

test('an invalid write mode or auto bound fails the merge naming the table, the property and the value', async () => {
  const t = await morTable({ mode: 'auto', properties: { [AUTO_REWRITE_FRACTION_PROPERTY]: 'half' } });
  await assert.rejects(
    applyBatch(await t.load(), t.objects, ['id'], [t.upsert(row(1, 1))], { table: 'shop.items' }),
    /table shop\.items: table property datastream-iceberg\.auto\.rewrite-fraction="half"/,
  );
  t.db.close();
});

test('a key stored live in two data files fails the merge naming both files', async () => {
  const t = await morTable({ mode: 'merge-on-read' });
  await t.commit([t.upsert(row(1, 1)), t.upsert(row(2, 2))]);
  // a second live copy of key 1, as no writer of this engine leaves one
  const metadata = await t.load();
  const [copy] = await writeDataFiles(metadata, t.objects, [
    { ...row(1, 9), _cdc_source_ts_ms: 5n, _cdc_lsn: 5n },
  ]);
  const written = await writeSnapshot(metadata, t.objects, { added: [copy!] });
  await t.catalog.commitTable({ namespace: ['shop'], name: 'items' }, written.requirements, written.updates);
  const [first, second] = (await readLiveDataFiles(await t.load(), t.objects)).map(
    (f) => f.dataFile.filePath,
  );
  await assert.rejects(
    applyBatch(await t.load(), t.objects, ['id'], [t.upsert(row(1, 10))]),
    (error: Error) =>
      /key .* is stored live in two data files/.test(error.message) &&
      error.message.includes(first!) &&
      error.message.includes(second!),
  );
  t.db.close();
});
