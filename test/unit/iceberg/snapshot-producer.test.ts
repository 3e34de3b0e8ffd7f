// The table writer on an in-memory store: untouched manifests reused by path, rewritten ones carrying
// DELETED + EXISTING entries with explicit sequence numbers, a retry after a conflict reusing the data
// files, and removals of files that are not live refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryStatus, readManifest } from '../../../shared/iceberg/manifests/manifest.js';
import { buildPartitionSpec } from '../../../shared/iceberg/spec/partitioning.js';
import { buildSchema } from '../../../shared/iceberg/spec/schema.js';
import {
  readCurrentManifests,
  readLiveDataFiles,
  readTableRows,
} from '../../../shared/iceberg/table-files.js';
import {
  produceSnapshot,
  writeSnapshot,
  writeTableCommit,
} from '../../../shared/iceberg/snapshot-producer.js';
import { writeDataFiles, writePositionDeletes } from '../../../shared/iceberg/data-file-writer.js';
import { type FileStore } from '../../../shared/iceberg/file-store.js';
import type { TableMetadata } from '../../../shared/iceberg/spec/metadata-types.js';
import { applyCommit, newTableMetadata } from '../../conformance/support/metadata-file.js';

class MemoryStore implements FileStore {
  readonly files = new Map<string, Uint8Array>();
  async get(location: string): Promise<Uint8Array> {
    const b = this.files.get(location);
    if (!b) throw new Error(`no such object: ${location}`);
    return b;
  }
  async getRange(location: string, start: number, end: number): Promise<Uint8Array> {
    return (await this.get(location)).subarray(start, end);
  }
  async put(location: string, bytes: Uint8Array, options?: { ifAbsent?: boolean }) {
    if (options?.ifAbsent && this.files.has(location)) throw new Error(`exists: ${location}`);
    this.files.set(location, bytes);
    return { location, size: bytes.length, generation: '1' };
  }
}

const schema = buildSchema([
  { name: 'id', type: 'long', required: true },
  { name: 'region', type: 'string' },
]);
const spec = buildPartitionSpec(schema, [{ source: 'region', transform: 'identity' }]);

async function commit(
  store: MemoryStore,
  m: TableMetadata,
  rows: { id: bigint; region: string }[],
  removed: string[] = [],
) {
  const c = await writeTableCommit(m, store, { rows, removed });
  return applyCommit(m, c.requirements, c.updates);
}

test('overwrite rewrites only the manifest holding the removed file', async () => {
  const store = new MemoryStore();
  let m = newTableMetadata('mem://t', schema, spec);
  m = await commit(store, m, [{ id: 1n, region: 'eu' }]);
  m = await commit(store, m, [
    { id: 2n, region: 'us' },
    { id: 3n, region: 'us' },
  ]);
  const before = await readCurrentManifests(m, store);
  const eu = (await readLiveDataFiles(m, store)).find((f) => f.dataFile.partition.region === 'eu')!;
  assert.equal(eu.sequenceNumber, 1);
  m = await commit(
    store,
    m,
    [
      { id: 1n, region: 'eu' },
      { id: 4n, region: 'eu' },
    ],
    [eu.dataFile.filePath],
  );
  const after = await readCurrentManifests(m, store);
  // the us manifest (snapshot 2) is reused by path; the eu one (snapshot 1) is rewritten; one new manifest
  const usManifest = before.find((x) => x.sequenceNumber === 2)!;
  assert.ok(after.some((x) => x.manifestPath === usManifest.manifestPath));
  assert.equal(after.length, 3);
  const rewritten = after.find((x) => x.deletedFilesCount === 1)!;
  assert.equal(rewritten.sequenceNumber, 3);
  assert.equal(rewritten.minSequenceNumber, 1);
  const entries = readManifest(await store.get(rewritten.manifestPath)).entries;
  assert.deepEqual(
    entries.map((e) => [e.status, e.sequenceNumber, e.fileSequenceNumber]),
    [[EntryStatus.DELETED, 1, 1]],
  );
  const rows = await readTableRows(m, store);
  assert.deepEqual(rows.map((r) => r.id).sort(), [1n, 2n, 3n, 4n]);
  assert.equal(m.snapshots!.at(-1)!.summary['total-records'], '4');
  assert.equal(m.snapshots!.at(-1)!.summary['deleted-records'], '1');
});

test('a conflicting commit is refused; a retry on fresh metadata reuses the data files', async () => {
  const store = new MemoryStore();
  let m = newTableMetadata('mem://t2', schema, spec);
  m = await commit(store, m, [{ id: 1n, region: 'eu' }]);
  const stale = m;
  const mine = await writeTableCommit(stale, store, { rows: [{ id: 5n, region: 'eu' }] });
  m = await commit(store, m, [{ id: 6n, region: 'us' }]); // someone else commits first
  assert.throws(() => applyCommit(m, mine.requirements, mine.updates), /branch main has changed/);
  const retry = await writeSnapshot(m, store, { added: mine.dataFiles });
  m = applyCommit(m, retry.requirements, retry.updates);
  assert.deepEqual((await readTableRows(m, store)).map((r) => r.id).sort(), [1n, 5n, 6n]);
  assert.equal(m.snapshots!.at(-1)!['sequence-number'], 3);
});

test('removing a file that is not live is refused with its path', async () => {
  const store = new MemoryStore();
  let m = newTableMetadata('mem://t3', schema, spec);
  m = await commit(store, m, [{ id: 1n, region: 'eu' }]);
  await assert.rejects(
    writeSnapshot(m, store, { added: [], removed: ['mem://t3/data/nope.parquet'] }),
    /not live in the table: mem:\/\/t3\/data\/nope\.parquet/,
  );
});

test('delete files: refused for a data file that is not live or is removed; removing a delete file that is not live refused', async () => {
  const store = new MemoryStore();
  let m = newTableMetadata('mem://t4', schema, spec);
  m = await commit(store, m, [
    { id: 1n, region: 'eu' },
    { id: 2n, region: 'eu' },
  ]);
  const [file] = await readLiveDataFiles(m, store);
  const stray = await writePositionDeletes(m, store, {
    dataFilePath: 'mem://t4/data/region=eu/gone.parquet',
    partition: { region: 'eu' },
    positions: [0],
  });
  await assert.rejects(
    writeSnapshot(m, store, { added: [], addedDeletes: [stray] }),
    /not live in the table: mem:\/\/t4\/data\/region=eu\/gone\.parquet/,
  );
  const mine = await writePositionDeletes(m, store, {
    dataFilePath: file!.dataFile.filePath,
    partition: file!.dataFile.partition,
    positions: [1],
  });
  await assert.rejects(
    writeSnapshot(m, store, { added: [], addedDeletes: [mine], removed: [file!.dataFile.filePath] }),
    /which this snapshot removes/,
  );
  await assert.rejects(
    writeSnapshot(m, store, { added: [], removedDeletes: ['mem://t4/data/region=eu/x-deletes.parquet'] }),
    /cannot remove delete files that are not live in the table: mem:\/\/t4\/data\/region=eu\/x-deletes\.parquet/,
  );
  const ok = await writeSnapshot(m, store, { added: [], addedDeletes: [mine] });
  m = applyCommit(m, ok.requirements, ok.updates);
  assert.deepEqual(
    (await readTableRows(m, store)).map((r) => r.id),
    [1n],
  );
  // the delete file applies: data sequence number 1 ≤ delete sequence number 2
  const [live] = await readLiveDataFiles(m, store);
  assert.deepEqual(
    live!.deletes.map((d) => [d.dataFile.filePath, d.sequenceNumber]),
    [[mine.filePath, 2]],
  );
});

test('merge-per-spec keeps data and delete manifests apart and drops the delete files of replaced data files', async () => {
  const store = new MemoryStore();
  let m = newTableMetadata('mem://t5', schema, spec);
  m = await commit(store, m, [
    { id: 1n, region: 'eu' },
    { id: 2n, region: 'eu' },
  ]);
  m = await commit(store, m, [
    { id: 3n, region: 'us' },
    { id: 4n, region: 'us' },
  ]);
  const files = await readLiveDataFiles(m, store);
  const eu = files.find((f) => f.dataFile.partition.region === 'eu')!;
  const us = files.find((f) => f.dataFile.partition.region === 'us')!;
  const deletes = [];
  for (const f of [eu, us])
    deletes.push(
      await writePositionDeletes(m, store, {
        dataFilePath: f.dataFile.filePath,
        partition: f.dataFile.partition,
        positions: [0],
      }),
    );
  const d = await writeSnapshot(m, store, { added: [], addedDeletes: deletes });
  m = applyCommit(m, d.requirements, d.updates);
  // replace the eu file by its live rows (as compaction does): its delete file leaves with it
  const [euRewritten] = await writeDataFiles(m, store, [{ id: 2n, region: 'eu' }]);
  const r = await produceSnapshot(
    m,
    store,
    { added: [euRewritten!], removed: [eu.dataFile.filePath] },
    'merge-per-spec',
  );
  m = applyCommit(m, r.requirements, r.updates);
  assert.deepEqual(r.impliedRemovedDeletes, [deletes[0]!.filePath]);
  const manifests = await readCurrentManifests(m, store);
  assert.deepEqual(
    manifests.map((x) => [x.content, x.addedFilesCount, x.existingFilesCount, x.deletedFilesCount]),
    [
      [0, 1, 0, 0],
      [0, 0, 1, 1],
      [1, 0, 1, 1],
    ],
  );
  const summary = m.snapshots!.at(-1)!.summary;
  assert.equal(summary.operation, 'replace');
  assert.equal(summary['removed-delete-files'], '1');
  assert.equal(summary['total-delete-files'], '1');
  assert.deepEqual((await readTableRows(m, store)).map((x) => x.id).sort(), [2n, 4n]);
});
