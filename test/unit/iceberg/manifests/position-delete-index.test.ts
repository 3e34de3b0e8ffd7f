// Which position delete files apply to a data file (data sequence number ≤ the delete's, same spec and
// partition, file_path bounds admitting the path) and the positions they delete together.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataFile } from '../../../../shared/iceberg/io/parquet-data-file.js';
import { writePositionDeleteFile } from '../../../../shared/iceberg/io/position-delete-file.js';
import {
  deletedPositions,
  DeletedPositions,
  positionDeleteApplies,
  positionDeletesFor,
  type PlannedFile,
} from '../../../../shared/iceberg/manifests/position-delete-index.js';

const DATA = 'file:///w/t/data/day=2026-11-24/00000-0-data-file-with-a-long-name.parquet';
const OTHER = 'file:///w/t/data/day=2026-11-24/00000-0-data-file-with-a-long-name-2.parquet';

function dataFile(path: string, recordCount: number): DataFile {
  return {
    content: 0,
    filePath: path,
    fileFormat: 'PARQUET',
    partition: { day: 20416 },
    recordCount,
    fileSizeInBytes: 1,
    columnSizes: new Map(),
    valueCounts: new Map(),
    nullValueCounts: new Map(),
    nanValueCounts: new Map(),
    lowerBounds: new Map(),
    upperBounds: new Map(),
  };
}

const files = new Map<string, Uint8Array>();
let n = 0;
function deletes(
  path: string,
  positions: number[],
  sequenceNumber: number | bigint,
  specId = 0,
): PlannedFile {
  const w = writePositionDeleteFile({ dataFilePath: path, partition: { day: 20416 }, positions });
  const filePath = `file:///w/t/data/day=2026-11-24/delete-${n++}.parquet`;
  files.set(filePath, w.bytes);
  return { dataFile: { ...w.dataFile, filePath }, sequenceNumber, specId };
}
const read = (path: string): Promise<Uint8Array> => Promise.resolve(files.get(path)!);

test('a delete applies to data files of sequence number ≤ its own, same partition and path', () => {
  const data: PlannedFile = { dataFile: dataFile(DATA, 10), sequenceNumber: 2, specId: 0 };
  assert.equal(positionDeleteApplies(data, deletes(DATA, [1], 2)), true);
  assert.equal(positionDeleteApplies(data, deletes(DATA, [1], 3n)), true);
  assert.equal(positionDeleteApplies(data, deletes(DATA, [1], 1)), false, 'older than the data');
  assert.equal(positionDeleteApplies(data, deletes(OTHER, [1], 5)), false, 'another data file');
  assert.equal(positionDeleteApplies(data, deletes(DATA, [1], 5, 1)), false, 'another spec');
  const moved = deletes(DATA, [1], 5);
  moved.dataFile.partition = { day: 20417 };
  assert.equal(positionDeleteApplies(data, moved), false, 'another partition');
  // a data file is never a delete file
  assert.equal(positionDeleteApplies(data, data), false);
});

test('the deleted positions of a data file are the union of the files that apply', async () => {
  const data: PlannedFile = { dataFile: dataFile(DATA, 10), sequenceNumber: 2, specId: 0 };
  const all = [
    deletes(DATA, [0, 7], 2),
    deletes(DATA, [7, 9, 3], 4),
    deletes(DATA, [5], 1), // before the data file was added: not applied
    deletes(OTHER, [4], 4),
  ];
  assert.equal(positionDeletesFor(data, all).length, 2);
  const deleted = await deletedPositions(data, all, read);
  assert.equal(deleted.size, 4);
  assert.deepEqual([...deleted.remaining()], [1, 2, 4, 5, 6, 8]);
  assert.equal(deleted.has(9), true);
  assert.equal(deleted.has(5), false);
});

test('a position past the data file, or an equality delete file, is an error naming the delete file', async () => {
  const data: PlannedFile = { dataFile: dataFile(DATA, 3), sequenceNumber: 1, specId: 0 };
  const d = deletes(DATA, [3], 1);
  await assert.rejects(
    deletedPositions(data, [d], read),
    (e: Error) =>
      e.message.includes(d.dataFile.filePath) && /position 3 is outside .* 3 rows/.test(e.message),
  );
  assert.throws(() => new DeletedPositions(2).add(-1), /position -1/);
  const equality: PlannedFile = { ...d, dataFile: { ...d.dataFile, content: 2, equalityIds: [1] } };
  await assert.rejects(deletedPositions(data, [equality], read), /equality delete files are not supported/);
});
