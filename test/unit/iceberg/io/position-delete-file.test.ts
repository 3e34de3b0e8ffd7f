// Position delete files: the spec's reserved field ids on the Parquet columns, rows sorted by pos without
// duplicates, the data_file description a manifest needs (content 1, record count, size, full — never
// truncated — bounds on file_path, which scope the file to its one data file), and reading back only the
// positions of the data file asked for.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnsToArrowTable } from '../../../../shared/iceberg/arrow/arrow-rows.js';
import { readParquetFooter } from '../../../../shared/iceberg/io/parquet-footer.js';
import { arrowToParquetBytes } from '../../../../shared/iceberg/io/parquet-data-file.js';
import {
  readPositionDeletes,
  writePositionDeleteFile,
} from '../../../../shared/iceberg/io/position-delete-file.js';
import {
  DELETE_FILE_PATH_FIELD_ID,
  DELETE_POS_FIELD_ID,
  POSITION_DELETE_SCHEMA,
} from '../../../../shared/iceberg/spec/position-delete-schema.js';

const PATH = 'gs://bucket/warehouse/db/orders/data/created_on_day=2026-11-24/0f8e-long-name.parquet';

const long = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v, true);
  return b;
};

test('writes the reserved columns, sorted and de-duplicated, with full file_path bounds', () => {
  const written = writePositionDeleteFile({
    dataFilePath: PATH,
    partition: { created_on_day: 20416 },
    positions: [70_000, 3, 3n, 0, 9_007_199_254_740_993n, 42],
  });
  const footer = readParquetFooter(written.bytes);
  // the ids the spec reserves (readers of other engines resolve the columns by them)
  assert.deepEqual([DELETE_FILE_PATH_FIELD_ID, DELETE_POS_FIELD_ID], [2147483546, 2147483545]);
  assert.deepEqual(
    footer.leaves.map((l) => [l.path.join('.'), l.fieldId]),
    [
      ['file_path', DELETE_FILE_PATH_FIELD_ID],
      ['pos', DELETE_POS_FIELD_ID],
    ],
  );
  const f = written.dataFile;
  assert.equal(f.content, 1);
  assert.equal(f.fileFormat, 'PARQUET');
  assert.equal(f.recordCount, 5);
  assert.equal(f.fileSizeInBytes, written.bytes.length);
  assert.deepEqual(f.partition, { created_on_day: 20416 });
  assert.equal(f.sortOrderId, null);
  assert.equal(f.valueCounts.get(DELETE_POS_FIELD_ID), 5);
  assert.equal(f.nullValueCounts.get(DELETE_FILE_PATH_FIELD_ID), 0);
  // the whole path, both bounds: readers scope the delete file to this one data file by them
  assert.equal(Buffer.from(f.lowerBounds.get(DELETE_FILE_PATH_FIELD_ID)!).toString(), PATH);
  assert.equal(Buffer.from(f.upperBounds.get(DELETE_FILE_PATH_FIELD_ID)!).toString(), PATH);
  assert.deepEqual(f.lowerBounds.get(DELETE_POS_FIELD_ID), long(0n));
  assert.deepEqual(f.upperBounds.get(DELETE_POS_FIELD_ID), long(9_007_199_254_740_993n));

  assert.deepEqual(
    [...readPositionDeletes(written.bytes, PATH)],
    [0n, 3n, 42n, 70_000n, 9_007_199_254_740_993n],
  );
  assert.deepEqual([...readPositionDeletes(written.bytes, `${PATH}.other`)], []);
});

test('reads only the positions of the data file asked for, from a file naming several', () => {
  const paths = ['a.parquet', 'a.parquet', 'b.parquet', 'b.parquet', 'b.parquet'];
  const table = columnsToArrowTable(
    POSITION_DELETE_SCHEMA,
    [paths, BigInt64Array.of(1n, 5n, 0n, 2n, 2n)],
    paths.length,
  );
  const bytes = arrowToParquetBytes(table, POSITION_DELETE_SCHEMA);
  assert.deepEqual([...readPositionDeletes(bytes, 'a.parquet')], [1n, 5n]);
  assert.deepEqual([...readPositionDeletes(bytes, 'b.parquet')], [0n, 2n]);
});

test('refuses unsorted rows, negative positions and an empty delete', () => {
  const paths = ['a.parquet', 'a.parquet'];
  const table = columnsToArrowTable(POSITION_DELETE_SCHEMA, [paths, BigInt64Array.of(5n, 1n)], 2);
  const bytes = arrowToParquetBytes(table, POSITION_DELETE_SCHEMA);
  assert.throws(() => readPositionDeletes(bytes, 'a.parquet', 'd.parquet'), /d\.parquet: row 1 .*not sorted/);
  assert.throws(
    () => writePositionDeleteFile({ dataFilePath: 'a.parquet', partition: {}, positions: [1, -1] }),
    /a\.parquet: position -1 is negative/,
  );
  assert.throws(
    () => writePositionDeleteFile({ dataFilePath: 'a.parquet', partition: {}, positions: [] }),
    /no positions/,
  );
});
