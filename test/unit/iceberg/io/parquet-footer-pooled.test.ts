// Bytes from a network read often sit inside Node's shared Buffer pool (small Buffer.concat results),
// so their view starts at an offset of a larger buffer: the readers must read the view they are given,
// not the memory behind it (this once failed for every data file read back from Cloud Storage).

import { plain } from '../../../support/plain-rows.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readParquetFooter } from '../../../../shared/iceberg/io/parquet-footer.js';
import { readRowsDataFile, writeRowsDataFile } from '../../../../shared/iceberg/io/parquet-data-file.js';
import { buildSchema } from '../../../../shared/iceberg/spec/schema.js';

test('a Parquet file inside a larger buffer reads like a standalone one', () => {
  const schema = buildSchema([
    { name: 'id', type: 'long', required: true },
    { name: 'name', type: 'string' },
  ]);
  const rows = [
    { id: 1n, name: 'a' },
    { id: 9_007_199_254_740_993n, name: null },
  ];
  const { bytes } = writeRowsDataFile(rows, schema);
  // Place the file in the middle of a bigger allocation, as a pooled Buffer is.
  const pool = Buffer.alloc(bytes.length + 300, 0x50);
  pool.set(bytes, 100);
  const view = pool.subarray(100, 100 + bytes.length);
  assert.notEqual(view.byteOffset, 0);
  assert.equal(readParquetFooter(view, 'pooled').rowCount, 2);
  assert.deepEqual(plain(readRowsDataFile(view, schema.fields, 'pooled')), rows);
});
