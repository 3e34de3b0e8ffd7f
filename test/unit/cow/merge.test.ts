// The per-key merge rules, pure: order, duplicates, staleness, absent columns, deletes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareKey, compareValue, keyString } from '../../../shared/cow/keys.js';
import {
  afterLastDelete,
  applicable,
  foldChanges,
  foldedOutcome,
  foldedValue,
  groupByKey,
  needsStoredRow,
  rowOrder,
} from '../../../shared/cow/merge.js';
import { foldedColumns, lacksAnyColumn, type FoldedUpsert } from '../../../shared/cow/folded-columns.js';
import { LSN_COLUMN, SOURCE_TS_COLUMN } from '../../../shared/cow/order-columns.js';
import type { NestedField } from '../../../shared/iceberg/spec/types.js';
import type { Row } from '../../../shared/iceberg/spec/values.js';
import { seeded } from '../../support/random.js';
import { change } from './support/stage.js';

const T = { schema: 'public', name: 't' };
const PK = ['id'];
const COLUMNS = ['id', 'a', 'b'];
/** The table of the foldedColumns tests: the data columns, then the two order columns (3 and 4). */
const FOLDED_FIELDS: NestedField[] = [...COLUMNS, SOURCE_TS_COLUMN, LSN_COLUMN].map((name, k) => ({
  id: k + 1,
  name,
  required: false,
  type: name === 'a' ? 'string' : 'long',
}));

test('changes of a key are grouped oldest first by (ms, LSN) and exact repeats count once', () => {
  const late = change(T, PK, 'upsert', { id: 1, a: 'late' }, 2000, 5n);
  const early = change(T, PK, 'upsert', { id: 1, a: 'early' }, 2000, 4n);
  const repeat = { ...early, uuid: 'other-delivery' };
  const other = change(T, PK, 'delete', { id: 2 }, 1000);
  const { byKey, duplicates } = groupByKey([late, early, other, repeat]);
  assert.equal(duplicates, 1);
  assert.deepEqual(
    byKey.get(keyString([1]))?.events.map((e) => e.row.a),
    ['early', 'late'],
  );
  assert.equal(byKey.get(keyString([2]))?.events.length, 1);
});

test('a change not newer than the stored order key or tombstone is not applicable', () => {
  const events = [1000, 2000, 3000].map((ts) => change(T, PK, 'upsert', { id: 1, a: ts }, ts, 7n));
  assert.deepEqual(
    applicable(events, { sourceTsMs: 2000, lsn: 7n }).map((e) => e.order.sourceTsMs),
    [3000],
  );
  assert.equal(applicable(events, undefined).length, 3);
  // same ms, greater LSN is newer; the LSN compares as an unsigned 64-bit number
  const big = change(T, PK, 'upsert', { id: 1 }, 2000, 0xffff_ffff_0000_0000n);
  assert.equal(applicable([big], { sourceTsMs: 2000, lsn: 0x7fff_ffff_ffff_ffffn }).length, 1);
});

test('an absent column keeps the stored value, and is null without a stored row', () => {
  const stored = { id: 1, a: 'kept', b: 'old' };
  const partial = change(T, PK, 'upsert', { id: 1, b: 'new' }, 5000);
  const out = foldChanges(stored, [partial], COLUMNS);
  assert.equal(out.kind, 'upsert');
  if (out.kind === 'upsert') {
    assert.equal(out.row.a, 'kept');
    assert.equal(out.row.b, 'new');
    assert.deepEqual(rowOrder(out.row), { sourceTsMs: 5000, lsn: 5000n });
  }
  const fresh = foldChanges(undefined, [partial], COLUMNS);
  assert.equal(fresh.kind === 'upsert' && fresh.row.a, null);
  // an explicit null is a value, not an absence
  const nulled = foldChanges(stored, [change(T, PK, 'upsert', { id: 1, a: null }, 6000)], COLUMNS);
  assert.equal(nulled.kind === 'upsert' && nulled.row.a, null);
});

test('delete then re-insert within a batch ends with the insert; insert then delete ends deleted', () => {
  const del = change(T, PK, 'delete', { id: 1 }, 1000);
  const ins = change(T, PK, 'upsert', { id: 1, a: 'back' }, 2000);
  const back = foldChanges({ id: 1, a: 'x', b: 'y' }, [del, ins], COLUMNS);
  assert.ok(back.kind === 'upsert' && back.row.a === 'back' && back.row.b === null);
  const gone = foldChanges(undefined, [ins, { ...del, order: { sourceTsMs: 3000, lsn: 1n } }], COLUMNS);
  assert.deepEqual(gone, { kind: 'delete', order: { sourceTsMs: 3000, lsn: 1n } });
});

test('key strings never collide across kinds; strings sort by UTF-8 bytes', () => {
  assert.notEqual(keyString([1]), keyString([1n]));
  assert.notEqual(keyString([1]), keyString(['1']));
  assert.notEqual(keyString(['a', 'b']), keyString(['a\u0001sb']));
  // U+FFFF is below U+1F600 in UTF-8 (and in code points) though above it in UTF-16 units
  assert.ok(compareValue('\uffff', '😀') < 0);
  assert.ok(compareKey([1, 'b'], [1, 'a']) > 0);
  assert.ok(compareValue(null, 0) < 0);
});

test('the column-wise fold equals foldChanges: outcome, every value, and the stored row read only when used', () => {
  const random = seeded(11);
  // every upsert outcome, folded at the end by foldedColumns in one call (the order columns included)
  const upserts: FoldedUpsert[] = [];
  const rows: Row[] = [];
  for (let round = 0; round < 2000; round++) {
    const stored: Row | undefined =
      random() < 0.2 ? undefined : { id: 1, a: random() < 0.3 ? null : `a${round}`, b: round };
    const changes = Array.from({ length: 1 + Math.floor(random() * 4) }, (_, i) => {
      if (random() < 0.25) return change(T, PK, 'delete', { id: 1 }, 1000 + i);
      const row: Row = { id: 1 };
      // each column present (possibly null) or absent
      for (const c of ['a', 'b']) if (random() < 0.6) row[c] = random() < 0.2 ? null : `${c}${round}-${i}`;
      return change(T, PK, 'upsert', row, 1000 + i);
    });
    if (changes.length === 1 && changes[0]!.op === 'upsert') {
      // the single-upsert shortcut rewrite-file.ts takes
      assert.equal(lacksAnyColumn(COLUMNS)(changes[0]!.row), needsStoredRow(changes, COLUMNS));
    }
    const expected = foldChanges(stored ? { ...stored } : undefined, changes, COLUMNS);
    const outcome = foldedOutcome(changes);
    assert.equal(outcome.kind, expected.kind, `round ${round}`);
    assert.deepEqual(outcome.order, expected.order);
    if (expected.kind !== 'upsert') continue;
    const from = afterLastDelete(changes);
    // without the stored row the fold is the same whenever needsStoredRow says it is not needed
    const given = needsStoredRow(changes, COLUMNS) ? stored : undefined;
    for (const c of COLUMNS)
      assert.equal(foldedValue(changes, from, c, given), expected.row[c], `${c}, round ${round}`);
    upserts.push({ changes, stored: given });
    rows.push(expected.row);
  }
  const columns = foldedColumns(FOLDED_FIELDS, upserts);
  assert.ok(upserts.length > 500, 'many upsert outcomes, single changes and folds of several');
  FOLDED_FIELDS.forEach((f, k) =>
    rows.forEach((row, i) => assert.equal(columns[k]![i], row[f.name], `${f.name} of upsert ${i}`)),
  );
});

test('folded order columns hold the newest change order as longs at every edge of 32 and 64 bits', () => {
  const edges: Array<[number, bigint]> = [
    [0, 0n],
    [-1, 1n],
    [4294967295, 2n ** 63n - 1n], // low word all ones
    [4294967296, 2n ** 63n], // an LSN past the signed range: stored as its bit pattern
    [-4294967297, 2n ** 64n - 1n],
    [Number.MAX_SAFE_INTEGER, 0x16cb003d91n],
    [Number.MIN_SAFE_INTEGER, 0n],
    [1795510800813, 12345678901234567890n],
  ];
  const upserts: FoldedUpsert[] = edges.map(([ms, lsn], i) => ({
    changes: [
      change(T, PK, 'upsert', { id: i, a: 'x', b: i }, ms - 1, 0n),
      change(T, PK, 'upsert', { id: i }, ms, lsn),
    ],
  }));
  const columns = foldedColumns(FOLDED_FIELDS, upserts);
  edges.forEach(([ms, lsn], i) => {
    assert.equal(columns[3]![i], BigInt(ms), `source ms ${ms}`);
    assert.equal(columns[4]![i], BigInt.asIntN(64, lsn), `LSN ${lsn}`);
  });
});
