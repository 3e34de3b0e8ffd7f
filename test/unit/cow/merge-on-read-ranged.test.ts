// The merge-on-read key lookup reads a data file by range (shared/iceberg/ranged-parquet.ts): the live
// keys and the stored rows of partial updates it finds equal those of a read of the whole file, and a
// commit of a few changes to a table of many row groups reads a small share of its data files' bytes.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyBatch } from '../../../shared/cow/apply-batch.js';
import { sortedValues } from '../../../shared/cow/candidate-files.js';
import { indexKeys } from '../../../shared/cow/locate-keys.js';
import { groupByKey } from '../../../shared/cow/merge.js';
import {
  locateLiveKeys,
  locateLiveKeysByRange,
  storedRowsAt,
  storedRowsAtByRange,
} from '../../../shared/cow/merge-on-read.js';
import { groupsHoldingKeys } from '../../../shared/cow/row-group-pruning.js';
import type { FileStore } from '../../../shared/iceberg/file-store.js';
import { deletedPositions } from '../../../shared/iceberg/manifests/position-delete-index.js';
import { readRowsDataFile } from '../../../shared/iceberg/io/parquet-data-file.js';
import { FOOTER_READ_BYTES, openRangedParquet } from '../../../shared/iceberg/ranged-parquet.js';
import { currentSchema } from '../../../shared/iceberg/spec/metadata-access.js';
import type { NestedField } from '../../../shared/iceberg/spec/types.js';
import type { Row } from '../../../shared/iceberg/spec/values.js';
import { readLiveDataFiles } from '../../../shared/iceberg/table-files.js';
import { ORDER_COLUMNS } from '../../../shared/cow/order-columns.js';
import { seeded } from '../../support/random.js';
import { morTable, removeMorTables } from './support/mor-table.js';

after(removeMorTables);

/** A FileStore over another that counts the bytes each location's reads return (a hand-written wrapper). */
class CountingStore implements FileStore {
  readonly bytesRead = new Map<string, number>();
  readonly requests = new Map<string, number>();

  constructor(private readonly inner: FileStore) {}

  private count(location: string, bytes: Uint8Array): Uint8Array {
    this.bytesRead.set(location, (this.bytesRead.get(location) ?? 0) + bytes.length);
    this.requests.set(location, (this.requests.get(location) ?? 0) + 1);
    return bytes;
  }

  async get(location: string): Promise<Uint8Array> {
    return this.count(location, await this.inner.get(location));
  }

  async getRange(location: string, start: number, end: number): Promise<Uint8Array> {
    return this.count(location, await this.inner.getRange(location, start, end));
  }

  put(location: string, bytes: Uint8Array, options?: { ifAbsent?: boolean; contentType?: string }) {
    return this.inner.put(location, bytes, options);
  }
}

// a wide non-key column that does not compress away, so the key and order columns are a small part of
// each row group
const payload = (id: number): string => {
  const random = seeded(id + 1);
  return Array.from({ length: 48 }, () => Math.floor(random() * 36).toString(36)).join('');
};
const row = (id: number, qty: number, tag = ''): Row => ({
  region: id % 2 === 0 ? 'eu' : 'us',
  id,
  qty,
  name: `${tag}${payload(id)}`,
});

const fieldsNamed = (fields: readonly NestedField[], names: readonly string[]) =>
  names.map((n) => fields.find((f) => f.name === n)!);

test('the key lookup and stored rows read by range equal those of the whole file, pruned or not, deleted rows passed over', async () => {
  // a first file larger than the footer's first read: its first row groups are read by range, its last
  // ones come with the footer
  const t = await morTable({ mode: 'merge-on-read', rowGroupRows: 200 });
  await t.commit(Array.from({ length: 3000 }, (_, i) => t.upsert(row(i, i))));
  // a merge-on-read commit: the first file gets a position delete file, the new versions a new file
  await t.commit([t.upsert(row(5, -5, 'v2')), t.remove({ region: 'us', id: 77 }), t.upsert(row(150, -150))]);
  const metadata = await t.load();
  const fields = currentSchema(metadata).fields;
  const keyFields = fieldsNamed(fields, ['id']);
  const orderFields = fieldsNamed(fields, ORDER_COLUMNS);
  const wanted = [3, 5, 40, 77, 78, 150, 1999, 2999, 5000];
  const grouped = groupByKey(wanted.map((id) => t.upsert(row(id, 0))));
  const index = indexKeys(grouped.byKey);
  const sortedFirst = sortedValues(wanted);
  const live = await readLiveDataFiles(metadata, t.objects);
  assert.ok(
    live.some((f) => f.deletes.length > 0),
    'a data file with a position delete file',
  );
  for (const file of live) {
    const path = file.dataFile.filePath;
    const bytes = await t.objects.get(path);
    const ranged = await openRangedParquet(t.objects, path, file.dataFile.fileSizeInBytes);
    assert.ok(ranged?.layout, `${path} opens by range with its row groups`);
    const deleted =
      file.deletes.length > 0
        ? await deletedPositions(file, file.deletes, (p) => t.objects.get(p))
        : undefined;
    const pruned = groupsHoldingKeys(bytes, path, keyFields[0]!, sortedFirst);
    for (const groups of [undefined, pruned]) {
      const whole = locateLiveKeys(bytes, path, keyFields, orderFields, index, groups, deleted);
      const byRange = await locateLiveKeysByRange(ranged, keyFields, orderFields, index, groups, deleted);
      assert.deepEqual(byRange, whole, `${path}, ${groups ? 'pruned' : 'every row group'}`);
      const positions = [...whole.values()].map((at) => at.row).sort((a, b) => a - b);
      if (positions.length === 0) continue;
      const ctx = { schema: currentSchema(metadata), longs: [] };
      assert.deepEqual(
        await storedRowsAtByRange(ctx, ranged, positions),
        storedRowsAt(ctx, bytes, path, positions),
        `${path}: stored rows at ${positions.join(', ')}`,
      );
    }
  }
});

test('a footer larger than the first ranged read is read whole by a second', async () => {
  const t = await morTable({ mode: 'merge-on-read', rowGroupRows: 2 });
  // a row group per two rows: the footer lists thousands of column chunks
  await t.commit(Array.from({ length: 3000 }, (_, i) => t.upsert(row(i, i))));
  const metadata = await t.load();
  const [file] = await readLiveDataFiles(metadata, t.objects);
  const path = file!.dataFile.filePath;
  const bytes = await t.objects.get(path);
  const footerLength = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 4).getUint32(0, true);
  assert.ok(footerLength + 8 > FOOTER_READ_BYTES, `footer of ${footerLength} bytes`);
  const counting = new CountingStore(t.objects);
  const ranged = await openRangedParquet(counting, path, file!.dataFile.fileSizeInBytes);
  assert.equal(counting.requests.get(path), 2);
  assert.equal(counting.bytesRead.get(path), footerLength + 8);
  assert.equal(ranged?.layout?.groups.length, 1500);
});

test('a merge-on-read commit of a few changes reads a small share of the candidate data files', async () => {
  const t = await morTable({ mode: 'merge-on-read', rowGroupRows: 500 });
  // two files of 20 row groups each, keys interleaved so both are candidates for every key
  await t.commit(Array.from({ length: 10_000 }, (_, i) => t.upsert(row(2 * i, i))));
  await t.commit(Array.from({ length: 10_000 }, (_, i) => t.upsert(row(2 * i + 1, i))));
  const metadata = await t.load();
  const live = await readLiveDataFiles(metadata, t.objects);
  assert.equal(live.length, 2);
  const counting = new CountingStore(t.objects);
  const applied = await applyBatch(
    metadata,
    counting,
    ['id'],
    [
      t.upsert(row(10, 1, 'new')),
      t.upsert({ region: 'us', id: 12001, qty: 2 }), // partial: its stored row group is read
      t.remove({ region: 'eu', id: 15000 }),
    ],
  );
  assert.equal(applied.counts.updated, 2);
  assert.equal(applied.counts.deleted, 1);
  assert.equal(applied.counts.deleteFiles, 2);
  assert.equal(applied.counts.rewrittenFiles, 0);
  const fields = currentSchema(metadata).fields;
  const sizes = live.map((f) => f.dataFile.fileSizeInBytes);
  const total = sizes.reduce((a, b) => a + b, 0);
  const read = live.reduce((sum, f) => sum + (counting.bytesRead.get(f.dataFile.filePath) ?? 0), 0);
  assert.ok(read > 0, 'the candidate files are read');
  assert.ok(read < 0.3 * total, `${read} bytes read of ${total} in the candidate data files`);
  // the partial update's new version keeps the stored name
  const version = readRowsDataFile(await t.objects.get(applied.added[0]!.filePath), fields);
  assert.equal(version.find((r) => r.id === 12001)?.name, row(12001, 0).name);
});
