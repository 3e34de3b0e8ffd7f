// Position deletes written by our format code, read by PyIceberg (StaticTable), DuckDB (iceberg_scan) and
// Iceberg Java (IcebergGenerics on a static table):
// a v2 table partitioned by region with one data file per region; a second snapshot adds a position
// delete file for the `eu` file, a third another one deleting more rows of it (one position again). The
// readers must return exactly the remaining rows at every snapshot, the `us` file untouched: if our
// reserved field ids, delete manifest header, manifest-list content, sequence numbers or file_path bounds
// were wrong, they would return deleted rows, refuse the table or drop the wrong file's rows. Our own
// reader helper, fed from the manifests read back, must find the same positions.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalObjectStore } from '../../shared/adapters/embedded/local-object-store.js';
import { writeRowsDataFile, type DataFile } from '../../shared/iceberg/io/parquet-data-file.js';
import { writePositionDeleteFile } from '../../shared/iceberg/io/position-delete-file.js';
import { readManifestList } from '../../shared/iceberg/manifests/manifest-list.js';
import { readManifest } from '../../shared/iceberg/manifests/manifest.js';
import { deletedPositions, type PlannedFile } from '../../shared/iceberg/manifests/position-delete-index.js';
import type { TableMetadata } from '../../shared/iceberg/spec/metadata-types.js';
import { BoundPartitionSpec, buildPartitionSpec } from '../../shared/iceberg/spec/partitioning.js';
import { buildSchema } from '../../shared/iceberg/spec/schema.js';
import { currentSnapshot } from '../../shared/iceberg/spec/snapshot.js';
import type { Row } from '../../shared/iceberg/spec/values.js';
import { commitHandSnapshot } from './support/hand-snapshot.js';
import { newTableMetadata } from './support/metadata-file.js';
import { readWithDuckDb, readWithPyIceberg, type CanonicalRow } from './support/readers.js';
import { readWithJava } from '../support/java-reader.js';

const store = new LocalObjectStore();
let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'iceberg-position-deletes-'));
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
const bound = new BoundPartitionSpec(spec, schema);

const rowsOf = (region: string, ids: number[]): Row[] =>
  ids.map((id) => ({ id: BigInt(id), region, note: id % 3 === 0 ? null : `row ${id}` }));
const canonical = (rows: Row[]): CanonicalRow[] =>
  rows
    .map((r) => ({ id: String(r.id), region: r.region as string, note: r.note as string | null }))
    .sort((a, b) => Number(a.id) - Number(b.id));
const sorted = (rows: CanonicalRow[]): CanonicalRow[] =>
  [...rows].sort((a, b) => Number(a.id) - Number(b.id));

async function putDataFile(location: string, rows: Row[]): Promise<DataFile> {
  const partition = bound.partitionOf(rows[0]!);
  const written = writeRowsDataFile(rows, schema);
  const filePath = `${location}/data/${bound.pathOf(partition)}/${crypto.randomUUID()}.parquet`;
  await store.put(filePath, written.bytes);
  return { ...written.dataFile, filePath, partition };
}

async function putDeleteFile(location: string, data: DataFile, positions: number[]): Promise<DataFile> {
  const written = writePositionDeleteFile({
    dataFilePath: data.filePath,
    partition: data.partition,
    positions,
  });
  const filePath = `${location}/data/${bound.pathOf(data.partition)}/${crypto.randomUUID()}-deletes.parquet`;
  await store.put(filePath, written.bytes);
  return { ...written.dataFile, filePath };
}

/** Every live file of `main` as our reader helper wants it, from the manifests read back. */
async function plannedFiles(metadata: TableMetadata): Promise<PlannedFile[]> {
  const list = currentSnapshot(metadata)!['manifest-list'];
  const out: PlannedFile[] = [];
  for (const m of readManifestList(await store.get(list), list).manifests) {
    const manifest = readManifest(await store.get(m.manifestPath), m.manifestPath);
    assert.equal(manifest.content, m.content === 1 ? 'deletes' : 'data', m.manifestPath);
    for (const e of manifest.entries) {
      out.push({
        dataFile: e.dataFile,
        sequenceNumber: e.sequenceNumber ?? m.sequenceNumber,
        specId: m.partitionSpecId,
      });
    }
  }
  return out;
}

test('PyIceberg, DuckDB and Iceberg Java read exactly the rows our position deletes leave, snapshot by snapshot', async () => {
  const location = pathToFileURL(join(root, 'orders')).href;
  const eu = rowsOf(
    'eu',
    Array.from({ length: 20 }, (_, i) => i),
  );
  const us = rowsOf(
    'us',
    Array.from({ length: 10 }, (_, i) => 100 + i),
  );
  const euFile = await putDataFile(location, eu);
  const usFile = await putDataFile(location, us);

  const first = await commitHandSnapshot(store, newTableMetadata(location, schema, spec), {
    carried: [],
    added: [euFile, usFile],
    content: 'data',
    summary: { operation: 'append', 'added-data-files': '2', 'added-records': '30', 'total-records': '30' },
  });
  const firstDeletes = await putDeleteFile(location, euFile, [19, 0, 5]);
  const second = await commitHandSnapshot(store, first.metadata, {
    carried: first.manifests,
    added: [firstDeletes],
    content: 'deletes',
    summary: {
      operation: 'delete',
      'added-delete-files': '1',
      'added-position-delete-files': '1',
      'added-position-deletes': '3',
      'total-records': '30',
      'total-delete-files': '1',
      'total-position-deletes': '3',
    },
  });
  const secondDeletes = await putDeleteFile(location, euFile, [7, 5, 6]);
  const third = await commitHandSnapshot(store, second.metadata, {
    carried: second.manifests,
    added: [secondDeletes],
    content: 'deletes',
    summary: {
      operation: 'delete',
      'added-delete-files': '1',
      'added-position-delete-files': '1',
      'added-position-deletes': '3',
      'total-records': '30',
      'total-delete-files': '2',
      'total-position-deletes': '6',
    },
  });
  assert.deepEqual(
    third.manifests.map((m) => [m.content, m.sequenceNumber, m.addedFilesCount, m.addedRowsCount]),
    [
      [0, 1, 2, 30],
      [1, 2, 1, 3],
      [1, 3, 1, 3],
    ],
  );

  const deleted = new Set([0, 5, 6, 7, 19]);
  const remaining = [...eu.filter((_, i) => !deleted.has(i)), ...us];

  // our own helper, from the manifests as stored: the eu file loses positions 0, 5, 6, 7 and 19; us none
  const planned = await plannedFiles(third.metadata);
  const deletes = planned.filter((f) => f.dataFile.content === 1);
  const read = (path: string) => store.get(path);
  const euPlanned = planned.find((f) => f.dataFile.filePath === euFile.filePath)!;
  const usPlanned = planned.find((f) => f.dataFile.filePath === usFile.filePath)!;
  assert.deepEqual(
    [...(await deletedPositions(euPlanned, deletes, read)).remaining()],
    [1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18],
  );
  assert.equal((await deletedPositions(usPlanned, deletes, read)).size, 0);

  const py = await readWithPyIceberg(third.location, ["region == 'eu'"]);
  assert.deepEqual(sorted(py.rows), canonical(remaining));
  assert.deepEqual(
    py.snapshots.map((s) => [s.sequence_number, s.operation]),
    [
      ['1', 'append'],
      ['2', 'delete'],
      ['3', 'delete'],
    ],
  );
  assert.deepEqual(Object.values(py.snapshot_rows), [30, 27, 25]);
  assert.deepEqual(sorted(py.filtered[0]!.rows), canonical(remaining.filter((r) => r.region === 'eu')));

  assert.deepEqual(sorted(await readWithDuckDb(third.location)), canonical(remaining));
  assert.deepEqual(
    sorted(await readWithJava<CanonicalRow>({ metadata: third.location })),
    canonical(remaining),
  );
  assert.deepEqual(
    sorted(await readWithDuckDb(second.location)),
    canonical([...eu.filter((_, i) => ![0, 5, 19].includes(i)), ...us]),
  );
});
