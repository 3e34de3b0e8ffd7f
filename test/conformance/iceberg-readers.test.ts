// Tables written by our format code, read back by PyIceberg (StaticTable), DuckDB (iceberg_scan) and
// Iceberg Java (IcebergGenerics on a static table):
// every type of the `types` scenario with exact values, unpartitioned and partitioned (day, bucket,
// truncate) with the partition tuples checked per file, and a history of snapshots ending in an
// overwrite that replaces a file. If our field ids, Avro names, sequence numbers, bounds or partition
// values were wrong, these independent readers would return other rows or prune the wrong files.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  buildPartitionSpec,
  BoundPartitionSpec,
  UNPARTITIONED_SPEC,
} from '../../shared/iceberg/spec/partitioning.js';
import type { TableMetadata } from '../../shared/iceberg/spec/metadata-types.js';
import { readLiveDataFiles, readTableRows } from '../../shared/iceberg/table-files.js';
import { writeTableCommit } from '../../shared/iceberg/snapshot-producer.js';
import type { Schema } from '../../shared/iceberg/spec/types.js';
import type { Row } from '../../shared/iceberg/spec/values.js';
import { LocalObjectStore } from '../../shared/adapters/embedded/local-object-store.js';
import { applyCommit, newTableMetadata, writeMetadataFile } from './support/metadata-file.js';
import { readWithDuckDb, readWithPyIceberg, type CanonicalRow } from './support/readers.js';
import { readWithJava } from '../support/java-reader.js';
import { byOrderId, canonical, canonicalRow, typesRows, typesSchema } from './support/types-fixture.js';

const store = new LocalObjectStore();
let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'iceberg-conformance-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const byKey = byOrderId;

async function commit(
  metadata: TableMetadata,
  added: Row[],
  removed: string[] = [],
  extra?: Record<string, string>,
) {
  const written = await writeTableCommit(metadata, store, {
    rows: added,
    removed,
    ...(extra ? { summary: extra } : {}),
  });
  const next = applyCommit(metadata, written.requirements, written.updates);
  return { metadata: next, location: await writeMetadataFile(store, next), written };
}

describe('every type of the types scenario', () => {
  const schema: Schema = typesSchema();
  const rows = typesRows(schema);
  const expected = byKey(rows.map((r) => canonicalRow(schema, r)));

  test('unpartitioned: PyIceberg, DuckDB and Iceberg Java read exactly the rows written', async () => {
    const location = pathToFileURL(join(root, 'types_unpartitioned')).href;
    const base = newTableMetadata(location, schema, UNPARTITIONED_SPEC);
    const { location: metadataFile } = await commit(base, rows);
    const py = await readWithPyIceberg(metadataFile, ['order_id == 9007199254740993']);
    assert.deepEqual(byKey(py.rows), expected);
    // bounds prune: the filter on a value beyond 2^53 keeps the one file and finds one row
    assert.equal(py.filtered[0]!.rows.length, 1);
    assert.equal(py.filtered[0]!.rows[0]!.order_id, '9007199254740993');
    const duck = await readWithDuckDb(metadataFile);
    assert.deepEqual(byKey(duck), expected);
    assert.deepEqual(byKey(await readWithJava<CanonicalRow>({ metadata: metadataFile })), expected);
  });

  test('partitioned by day, bucket and truncate: partition tuples, pruning and snapshots agree', async () => {
    const location = pathToFileURL(join(root, 'types_partitioned')).href;
    const spec = buildPartitionSpec(schema, [
      { source: 'created_on', transform: 'day' },
      { source: 'order_id', transform: 'bucket[4]' },
      { source: 'status', transform: 'truncate[2]' },
    ]);
    let metadata = newTableMetadata(location, schema, spec);
    const half = Math.ceil(rows.length / 2);
    const first = await commit(metadata, rows.slice(0, half));
    metadata = first.metadata;
    const second = await commit(metadata, rows.slice(half), [], { 'datastream-files': '2' });
    metadata = second.metadata;

    // Overwrite: replace the file holding order 1 with a rewritten one (amount changed, one row dropped).
    const live = await readLiveDataFiles(metadata, store);
    const bound = new BoundPartitionSpec(spec, schema);
    const target = live.find(
      (f) => bound.keyOf(f.dataFile.partition) === bound.keyOf(bound.partitionOf(rows[0]!)),
    )!;
    const oldRows = await readTableRows({ ...metadata }, store);
    const inTarget = oldRows.filter(
      (r) => bound.keyOf(bound.partitionOf(r)) === bound.keyOf(target.dataFile.partition),
    );
    const rewritten = inTarget.map((r) => (r.order_id === 1n ? { ...r, amount: 98765432109876n } : r));
    const third = await commit(metadata, rewritten, [target.dataFile.filePath]);
    metadata = third.metadata;
    const finalRows = rows.map((r) => (r.order_id === 1n ? { ...r, amount: 98765432109876n } : r));
    const finalExpected = byKey(finalRows.map((r) => canonicalRow(schema, r)));

    const py = await readWithPyIceberg(third.location, ['order_id == 1', "status == 'NEW'"]);
    assert.deepEqual(byKey(py.rows), finalExpected);
    assert.equal(finalExpected.find((r) => r.order_id === '1')!.amount, '9876543210.9876');

    // snapshots: two appends and an overwrite with their sequence numbers; time travel row counts
    assert.deepEqual(
      py.snapshots.map((s) => [s.sequence_number, s.operation]),
      [
        ['1', 'append'],
        ['2', 'append'],
        ['3', 'overwrite'],
      ],
    );
    assert.deepEqual(Object.values(py.snapshot_rows), [half, rows.length, rows.length]);
    assert.equal(third.written.snapshot.summary['deleted-data-files'], '1');
    assert.equal(third.written.snapshot.summary['total-records'], String(rows.length));
    assert.equal(second.written.snapshot.summary['datastream-files'], '2');

    // every live file's partition tuple as PyIceberg reads it from the manifests
    const ours = new Map(
      (await readLiveDataFiles(metadata, store)).map((f) => [f.dataFile.filePath, f.dataFile]),
    );
    assert.ok(py.files, py.files_error);
    assert.equal(py.files.length, ours.size);
    for (const f of py.files) {
      const mine = ours.get(f.file_path);
      assert.ok(mine, `PyIceberg lists ${f.file_path}, which we did not write`);
      assert.equal(f.record_count, String(mine.recordCount));
      const want = Object.fromEntries(
        bound.fields.map((b) => [
          b.field.name,
          canonical(b.resultType, mine.partition[b.field.name] ?? null),
        ]),
      );
      assert.deepEqual(f.partition, want);
    }
    // a pre-epoch date (0001-01-01) made its own partition with a negative day
    assert.ok(py.files.some((f) => f.partition.created_on_day === String(-719162)));

    // pruning by bucket: order 1 lives in exactly one bucket, so only files of that bucket are planned
    const one = py.filtered.find((f) => f.filter === 'order_id == 1')!;
    assert.deepEqual(
      one.rows.map((r) => r.amount),
      ['9876543210.9876'],
    );
    const bucketOf1 = bound.partitionOf(finalRows[0]!).order_id_bucket_4;
    const filesInBucket = [...ours.values()].filter(
      (f) => f.partition.order_id_bucket_4 === bucketOf1,
    ).length;
    assert.ok(
      one.planned_files <= filesInBucket,
      `${one.planned_files} planned, ${filesInBucket} in the bucket`,
    );
    const news = py.filtered.find((f) => f.filter === "status == 'NEW'")!;
    assert.deepEqual(
      news.rows.map((r) => r.order_id).sort(),
      finalExpected
        .filter((r) => r.status === 'NEW')
        .map((r) => r.order_id)
        .sort(),
    );

    const duck = await readWithDuckDb(third.location);
    assert.deepEqual(byKey(duck), finalExpected);
    assert.deepEqual(byKey(await readWithJava<CanonicalRow>({ metadata: third.location })), finalExpected);
  });
});
