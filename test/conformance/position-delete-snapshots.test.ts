// Position deletes committed through the table writer (TableTransaction → the snapshot producer), read by
// PyIceberg, DuckDB, Iceberg Java and our readTableRows: a table written by our writer; a snapshot adding
// a new data file and a delete file for some rows of the eu file (overwrite); one adding deletes only
// (delete); one replacing the eu file copy-on-write, which takes its delete file with it (overwrite). At
// every snapshot the four readers must return exactly the rows left, and the summary keys must be Iceberg
// Java's names with exact counts: a wrong manifest content, sequence number, count or removal would show
// as deleted rows coming back, rows lost, or a refused table.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalObjectStore } from '../../shared/adapters/embedded/local-object-store.js';
import { writeDataFiles, writePositionDeletes } from '../../shared/iceberg/data-file-writer.js';
import type { DataFile } from '../../shared/iceberg/io/parquet-data-file.js';
import { readManifestList } from '../../shared/iceberg/manifests/manifest-list.js';
import type { SnapshotWriteInput } from '../../shared/iceberg/snapshot-producer.js';
import type { TableMetadata } from '../../shared/iceberg/spec/metadata-types.js';
import { buildPartitionSpec } from '../../shared/iceberg/spec/partitioning.js';
import { buildSchema } from '../../shared/iceberg/spec/schema.js';
import { currentSnapshot } from '../../shared/iceberg/spec/snapshot.js';
import type { Row } from '../../shared/iceberg/spec/values.js';
import { readLiveDataFiles, readLiveRows, readTableRows } from '../../shared/iceberg/table-files.js';
import { foldDataFile } from '../../shared/table/fold-deletes.js';
import { TableTransaction } from '../../shared/table/transaction.js';
import { applyCommit, newTableMetadata, writeMetadataFile } from './support/metadata-file.js';
import { readWithDuckDb, readWithPyIceberg, type CanonicalRow } from './support/readers.js';
import { readWithJava } from '../support/java-reader.js';

const store = new LocalObjectStore();
let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'iceberg-delete-snapshots-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const schema = buildSchema([
  { name: 'id', type: 'long', required: true },
  { name: 'region', type: 'string', required: true },
  { name: 'note', type: 'string' },
]);
const spec = buildPartitionSpec(schema, [{ source: 'region', transform: 'identity' }]);

const rowsOf = (region: string, ids: number[]): Row[] =>
  ids.map((id) => ({ id: BigInt(id), region, note: id % 3 === 0 ? null : `row ${id}` }));
const canonical = (rows: readonly Row[]): CanonicalRow[] =>
  rows
    .map((r) => ({ id: String(r.id), region: r.region as string, note: r.note as string | null }))
    .sort((a, b) => Number(a.id) - Number(b.id));
const sorted = (rows: CanonicalRow[]): CanonicalRow[] =>
  [...rows].sort((a, b) => Number(a.id) - Number(b.id));
const size = (files: readonly DataFile[]): number => files.reduce((a, f) => a + f.fileSizeInBytes, 0);

/** Commit one snapshot through a TableTransaction; returns the new metadata and its metadata file. */
async function commit(metadata: TableMetadata, input: SnapshotWriteInput) {
  const tx = new TableTransaction({ namespace: ['s'], name: 'orders' }, metadata, store);
  await tx.addSnapshot(input);
  const { requirements, updates } = tx.request();
  const next = applyCommit(metadata, requirements, updates);
  return { metadata: next, location: await writeMetadataFile(store, next) };
}

/** Every reader returns `expected` at `location`. */
async function assertReaders(metadata: TableMetadata, location: string, expected: readonly Row[]) {
  const want = canonical(expected);
  assert.deepEqual(canonical(await readTableRows(metadata, store)), want, 'readTableRows');
  assert.deepEqual(sorted((await readWithPyIceberg(location)).rows), want, 'PyIceberg');
  assert.deepEqual(sorted(await readWithDuckDb(location)), want, 'DuckDB');
  assert.deepEqual(sorted(await readWithJava<CanonicalRow>({ metadata: location })), want, 'Iceberg Java');
}

test('deletes committed by the table writer: PyIceberg, DuckDB, Iceberg Java and readTableRows agree, summaries exact', async () => {
  const location = pathToFileURL(join(root, 'orders')).href;
  const eu = rowsOf(
    'eu',
    Array.from({ length: 20 }, (_, i) => i),
  );
  const us = rowsOf(
    'us',
    Array.from({ length: 10 }, (_, i) => 100 + i),
  );
  const empty = newTableMetadata(location, schema, spec);
  const initial = await writeDataFiles(empty, store, [...eu, ...us]);
  const first = await commit(empty, { added: initial });
  const euFile = initial.find((f) => f.partition.region === 'eu')!;
  const usFile = initial.find((f) => f.partition.region === 'us')!;

  // 2: a new eu data file and deletes of rows 0, 5, 19 of the first eu file: overwrite
  const euMore = rowsOf('eu', [200, 201]);
  const moreFiles = await writeDataFiles(first.metadata, store, euMore);
  const euDeletes = await writePositionDeletes(first.metadata, store, {
    dataFilePath: euFile.filePath,
    partition: euFile.partition,
    positions: [19, 0, 5],
  });
  const second = await commit(first.metadata, { added: moreFiles, addedDeletes: [euDeletes] });
  const s2 = currentSnapshot(second.metadata)!;
  assert.deepEqual(s2.summary, {
    operation: 'overwrite',
    'added-data-files': '1',
    'added-records': '2',
    'added-delete-files': '1',
    'added-position-delete-files': '1',
    'added-position-deletes': '3',
    'added-files-size': String(size(moreFiles) + euDeletes.fileSizeInBytes),
    'changed-partition-count': '1',
    'total-records': '32',
    'total-files-size': String(size(initial) + size(moreFiles) + euDeletes.fileSizeInBytes),
    'total-data-files': '3',
    'total-delete-files': '1',
    'total-position-deletes': '3',
    'total-equality-deletes': '0',
  });
  const list = readManifestList(await store.get(s2['manifest-list'])).manifests;
  assert.deepEqual(
    list.map((m) => [m.content, m.sequenceNumber, m.addedFilesCount, m.existingFilesCount, m.addedRowsCount]),
    [
      [0, 2, 1, 0, 2],
      [1, 2, 1, 0, 3],
      [0, 1, 2, 0, 30],
    ],
  );
  const afterSecond = [...eu.filter((_, i) => ![0, 5, 19].includes(i)), ...us, ...euMore];
  await assertReaders(second.metadata, second.location, afterSecond);

  // 3: deletes only (row 1 of the us file): delete
  const usDeletes = await writePositionDeletes(second.metadata, store, {
    dataFilePath: usFile.filePath,
    partition: usFile.partition,
    positions: [1],
  });
  const third = await commit(second.metadata, { added: [], addedDeletes: [usDeletes] });
  assert.equal(currentSnapshot(third.metadata)!.summary.operation, 'delete');
  assert.equal(currentSnapshot(third.metadata)!.summary['total-delete-files'], '2');
  assert.equal(currentSnapshot(third.metadata)!.summary['total-position-deletes'], '4');
  const afterThird = afterSecond.filter((r) => r.id !== 101n);
  await assertReaders(third.metadata, third.location, afterThird);

  // 4: the eu file rewritten without its deleted rows (copy-on-write): its delete file goes with it
  const live = (await readLiveDataFiles(third.metadata, store)).find(
    (f) => f.dataFile.filePath === euFile.filePath,
  )!;
  assert.deepEqual(
    live.deletes.map((d) => d.dataFile.filePath),
    [euDeletes.filePath],
  );
  const rewritten = await writeDataFiles(
    third.metadata,
    store,
    await readLiveRows(store, live, schema.fields),
  );
  const tx = new TableTransaction({ namespace: ['s'], name: 'orders' }, third.metadata, store);
  const written = await tx.addSnapshot({ added: rewritten, removed: [euFile.filePath] });
  assert.deepEqual(written.impliedRemovedDeletes, [euDeletes.filePath]);
  const fourthMetadata = applyCommit(third.metadata, tx.request().requirements, tx.request().updates);
  const fourth = { metadata: fourthMetadata, location: await writeMetadataFile(store, fourthMetadata) };
  const s4 = currentSnapshot(fourth.metadata)!;
  assert.deepEqual(s4.summary, {
    operation: 'overwrite',
    'added-data-files': '1',
    'deleted-data-files': '1',
    'added-records': '17',
    'deleted-records': '20',
    'removed-delete-files': '1',
    'removed-position-delete-files': '1',
    'removed-position-deletes': '3',
    'added-files-size': String(size(rewritten)),
    'removed-files-size': String(euFile.fileSizeInBytes + euDeletes.fileSizeInBytes),
    'changed-partition-count': '1',
    'total-records': '29',
    'total-files-size': String(
      size(initial) - euFile.fileSizeInBytes + size(moreFiles) + usDeletes.fileSizeInBytes + size(rewritten),
    ),
    'total-data-files': '3',
    'total-delete-files': '1',
    'total-position-deletes': '1',
    'total-equality-deletes': '0',
  });
  await assertReaders(fourth.metadata, fourth.location, afterThird);
  // rewrite-touched: the us delete manifest (snapshot 3) is reused by path, the eu one rewritten
  const manifestsOf = async (m: TableMetadata) =>
    readManifestList(await store.get(currentSnapshot(m)!['manifest-list'])).manifests;
  const usDeleteManifest = (await manifestsOf(third.metadata)).find((m) => m.sequenceNumber === 3)!;
  const fourthManifests = await manifestsOf(fourth.metadata);
  assert.ok(fourthManifests.some((m) => m.manifestPath === usDeleteManifest.manifestPath));
  assert.deepEqual(
    fourthManifests
      .filter((m) => m.content === 1)
      .map((m) => [m.sequenceNumber, m.existingFilesCount, m.deletedFilesCount]),
    [
      [3, 0, 0],
      [4, 0, 1],
    ],
  );
  const py = await readWithPyIceberg(fourth.location);
  assert.deepEqual(
    py.snapshots.map((s) => s.operation),
    ['append', 'overwrite', 'delete', 'overwrite'],
  );
  assert.deepEqual(Object.values(py.snapshot_rows), [30, 29, 28, 28]);

  // 5: deletes for row 0 of the second eu file; 6: compaction folds the us file, merging the manifests
  const moreFile = moreFiles[0]!;
  const moreDeletes = await writePositionDeletes(fourth.metadata, store, {
    dataFilePath: moreFile.filePath,
    partition: moreFile.partition,
    positions: [0],
  });
  const fifth = await commit(fourth.metadata, { added: [], addedDeletes: [moreDeletes] });
  const afterFifth = afterThird.filter((r) => r.id !== 200n);
  const usLive = (await readLiveDataFiles(fifth.metadata, store)).find(
    (f) => f.dataFile.filePath === usFile.filePath,
  )!;
  const folded = await foldDataFile(fifth.metadata, store, usLive);
  assert.deepEqual(folded.removedDeletes, [usDeletes.filePath]);
  const compaction = new TableTransaction({ namespace: ['s'], name: 'orders' }, fifth.metadata, store);
  await compaction.addSnapshot(
    { added: folded.added, removed: folded.removed, removedDeletes: folded.removedDeletes },
    'merge-per-spec',
  );
  const sixthMetadata = applyCommit(
    fifth.metadata,
    compaction.request().requirements,
    compaction.request().updates,
  );
  const sixth = { metadata: sixthMetadata, location: await writeMetadataFile(store, sixthMetadata) };
  const s6 = currentSnapshot(sixth.metadata)!;
  assert.equal(s6.summary.operation, 'replace');
  assert.equal(s6.summary['removed-delete-files'], '1');
  assert.equal(s6.summary['total-delete-files'], '1');
  assert.equal(s6.summary['total-position-deletes'], '1');
  assert.deepEqual(
    readManifestList(await store.get(s6['manifest-list'])).manifests.map((m) => [
      m.content,
      m.addedFilesCount,
      m.existingFilesCount,
      m.deletedFilesCount,
    ]),
    [
      [0, 1, 0, 0],
      [0, 0, 2, 1],
      [1, 0, 1, 1],
    ],
  );
  await assertReaders(sixth.metadata, sixth.location, afterFifth);
});
