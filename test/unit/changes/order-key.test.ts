// Order keys compare by source ms, then by the LSN as a 64-bit number (never as text); backfill and
// LSN-less events are 0n and so come first within a millisecond.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareOrder } from '../../../shared/changes/change-event.js';
import { parseLsn } from '../../../shared/datastream/event.js';

test('LSN HI/LO hex is (HI << 32) | LO, for small and full-width values', () => {
  assert.equal(parseLsn('16/CB002DB0'), 0x16n * 2n ** 32n + 0xcb002db0n);
  assert.equal(parseLsn('0/0'), 0n);
  assert.equal(parseLsn('FFFFFFFF/FFFFFFFF'), 2n ** 64n - 1n);
  assert.equal(parseLsn('200000/1'), 0x200000n * 2n ** 32n + 1n);
  assert.equal(parseLsn('bd/a0007310'), 0xbdn * 2n ** 32n + 0xa0007310n);
  assert.equal(parseLsn(null), 0n);
  assert.equal(parseLsn(''), 0n);
  for (const bad of ['16', '16/', '/1', '1/2/3', 'G/1', '123456789/1', ' 1/2', '1/2 ']) {
    assert.equal(parseLsn(bad), undefined, bad);
  }
});

test('"9/…" sorts before "16/…" although it is greater as text', () => {
  const a = { sourceTsMs: 5, lsn: parseLsn('9/FFFFFFFF') as bigint };
  const b = { sourceTsMs: 5, lsn: parseLsn('16/00000000') as bigint };
  assert.ok('9/FFFFFFFF' > '16/00000000');
  assert.ok(compareOrder(a, b) < 0);
  assert.ok(compareOrder(b, a) > 0);
});

test('the source timestamp decides first; equal keys compare equal; backfill is lowest', () => {
  assert.ok(compareOrder({ sourceTsMs: 1, lsn: 2n ** 63n }, { sourceTsMs: 2, lsn: 0n }) < 0);
  assert.equal(compareOrder({ sourceTsMs: 7, lsn: 3n }, { sourceTsMs: 7, lsn: 3n }), 0);
  assert.ok(compareOrder({ sourceTsMs: 7, lsn: 0n }, { sourceTsMs: 7, lsn: 1n }) < 0);
});
