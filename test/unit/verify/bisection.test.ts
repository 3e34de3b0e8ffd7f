// The range bisection of `verify` against an in-memory source (a hand-written stand-in for PostgreSQL's
// range queries, here only to count what the algorithm asks; the real source is tested in
// test/integration/verify/ and the e2e): it must find exactly the keys that differ, wherever they sit
// (first and last key, a range boundary, a run of neighbours), and ask for few ranges and rows.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareKey } from '../../../shared/cow/keys.js';
import {
  bisect,
  splitSpan,
  type Key,
  type KeyRange,
  type RangeSource,
  type RangeSummary,
  type TableEntries,
} from '../../../shared/verify/bisection.js';
import { seeded } from '../../support/random.js';

interface Row {
  key: Key;
  hash: bigint;
}

const idOf = (key: Key) => JSON.stringify(key.map(String));

function inRange(key: Key, range: KeyRange): boolean {
  return (
    (range.lower === null || compareKey(key, range.lower) >= 0) &&
    (range.upper === null || compareKey(key, range.upper) < 0)
  );
}

/** A source holding its rows in memory, counting the rows it hands out. */
function memorySource(rows: readonly Row[]): RangeSource & { rowsOut: number } {
  const source = {
    rowsOut: 0,
    async summarize(ranges: readonly KeyRange[]): Promise<RangeSummary[]> {
      return ranges.map((range) => {
        const inside = rows.filter((r) => inRange(r.key, range));
        return { count: inside.length, sum: inside.reduce((s, r) => s + r.hash, 0n) };
      });
    },
    async rowHashes(range: KeyRange) {
      const inside = rows.filter((r) => inRange(r.key, range));
      source.rowsOut += inside.length;
      return inside.map((r) => ({ id: idOf(r.key), hash: r.hash }));
    },
  };
  return source;
}

function entriesOf(rows: readonly Row[]): TableEntries {
  const sorted = [...rows].sort((a, b) => compareKey(a.key, b.key));
  return {
    keys: sorted.map((r) => r.key),
    hashes: sorted.map((r) => r.hash),
    idOf: (i) => idOf(sorted[i]!.key),
  };
}

const random = seeded(20261206);
const hash = () =>
  BigInt.asIntN(64, BigInt(Math.floor(random() * 2 ** 52)) * 4099n + BigInt(Math.floor(random() * 4096)));
const table: Row[] = Array.from({ length: 20_000 }, (_, i) => ({ key: [BigInt(i * 3)], hash: hash() }));

test('equal sides: one fingerprint of the whole key space, no row fetched', async () => {
  const source = memorySource(table);
  const found = await bisect(entriesOf(table), source, { fanout: 16, leafRows: 100 });
  assert.deepEqual(found.differing, []);
  assert.equal(found.rangesHashed, 1);
  assert.equal(source.rowsOut, 0);
});

test('an update, a delete and an insert anywhere (ends, neighbours, between keys) are found exactly', async () => {
  const changed = [0, 1, 7_777, 19_999]; // first key, its neighbour, one inside, the last key
  const deleted = [5_000, 5_001, 12_345];
  const inserted = [BigInt(3 * 4_000 + 1), -5n, 10n ** 12n]; // between two keys, before the first, after the last
  const source: Row[] = table
    .filter((_, i) => !deleted.includes(i))
    .map((r) => (changed.includes(Number(r.key[0]) / 3) ? { ...r, hash: r.hash + 1n } : r));
  source.push(...inserted.map((k) => ({ key: [k], hash: hash() })));
  const memory = memorySource(source);
  const found = await bisect(entriesOf(table), memory, { fanout: 16, leafRows: 100 });
  const expected = [
    ...changed.map((i) => idOf([BigInt(i * 3)])),
    ...deleted.map((i) => idOf([BigInt(i * 3)])),
    ...inserted.map((k) => idOf([k])),
  ].sort();
  assert.deepEqual([...found.differing].sort(), expected);
  // far fewer rows than the table: at most a leaf per difference
  assert.ok(memory.rowsOut <= expected.length * 100, `${memory.rowsOut} row hashes fetched`);
  assert.ok(found.rangesHashed < 16 * expected.length * 4, `${found.rangesHashed} ranges hashed`);
});

test('a composite key, a row with the same count but another hash, and a table missing everything', async () => {
  const rows: Row[] = [];
  for (let order = 0; order < 300; order++)
    for (let line = 1; line <= 5; line++) rows.push({ key: [BigInt(order), line], hash: hash() });
  const swapped = rows.map((r, i) => (i === 777 ? { ...r, hash: r.hash ^ 1n } : r));
  const found = await bisect(entriesOf(rows), memorySource(swapped), { fanout: 4, leafRows: 10 });
  assert.deepEqual(found.differing, [idOf(rows[777]!.key)]);

  const empty = await bisect(entriesOf([]), memorySource(rows), { fanout: 4, leafRows: 10 });
  assert.equal(empty.differing.length, rows.length);
  assert.equal(empty.rangesFetched, 1);
});

test('a key present twice in the table is a difference, and its copies never straddle a cut', async () => {
  const broken = [...table.slice(0, 500), { ...table[250]! }];
  const entries = entriesOf(broken);
  const parts = splitSpan(
    entries,
    { range: { lower: null, upper: null }, from: 0, to: entries.keys.length },
    7,
  );
  for (const part of parts) {
    const inside = entries.keys.slice(part.from, part.to);
    assert.ok(
      inside.every((k) => inRange(k, part.range)),
      'every entry of a part is inside its range',
    );
  }
  assert.equal(
    parts.reduce((n, p) => n + p.to - p.from, 0),
    entries.keys.length,
  );
  const found = await bisect(entries, memorySource(table.slice(0, 500)), { fanout: 7, leafRows: 20 });
  assert.deepEqual(found.differing, [idOf(table[250]!.key)]);
});
