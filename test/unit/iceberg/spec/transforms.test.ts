// Bucket hashing against the spec's published murmur3 test vectors (Appendix B), and the other
// transforms against hand-worked values, including dates before 1970 where floor semantics matter.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { murmur3_32 } from '../../../../shared/iceberg/spec/murmur3.js';
import {
  applyTransform,
  bucketHash,
  parseTransform,
  partitionValueToPath,
} from '../../../../shared/iceberg/spec/transforms.js';

const days = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
const micros = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;

test('murmur3_x86_32 matches the spec hash vectors', () => {
  assert.equal(bucketHash('int', 34), 2017239379);
  assert.equal(bucketHash('long', 34n), 2017239379);
  assert.equal(bucketHash('decimal(4, 2)', 1420n), -500754589);
  assert.equal(bucketHash('date', days('2017-11-16')), -653330422);
  assert.equal(bucketHash('time', BigInt(22 * 3600 + 31 * 60 + 8) * 1_000_000n), -662762989);
  assert.equal(bucketHash('timestamp', micros('2017-11-16T22:31:08Z')), -2047944441);
  assert.equal(bucketHash('timestamptz', micros('2017-11-16T14:31:08-08:00')), -2047944441);
  assert.equal(bucketHash('string', 'iceberg'), 1210000089);
  assert.equal(bucketHash('uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7'), 1488055340);
  assert.equal(bucketHash('fixed[4]', Uint8Array.of(0, 1, 2, 3)), -188683207);
  assert.equal(bucketHash('binary', Uint8Array.of(0, 1, 2, 3)), -188683207);
  // tails of 1 and 3 bytes against the reference implementation's published values (0x3c2569b2, 0xb3dd93fa)
  assert.equal(murmur3_32(new Uint8Array(Buffer.from('a'))), 0x3c2569b2 | 0);
  assert.equal(murmur3_32(new Uint8Array(Buffer.from('abc'))), 0xb3dd93fa | 0);
});

test('bucket[N] is the non-negative hash modulo N', () => {
  assert.equal(applyTransform(parseTransform('bucket[16]'), 'int', 34), 2017239379 % 16);
  assert.equal(
    applyTransform(parseTransform('bucket[100]'), 'decimal(4, 2)', 1420n),
    (-500754589 & 0x7fffffff) % 100,
  );
  assert.equal(applyTransform(parseTransform('bucket[4]'), 'string', null), null);
});

test('date transforms use calendar units and floor before the epoch', () => {
  const ts = micros('2026-11-24T09:03:58.293563Z') + 563n;
  assert.equal(applyTransform({ kind: 'day' }, 'timestamptz', ts), days('2026-11-24'));
  assert.equal(
    applyTransform({ kind: 'hour' }, 'timestamp', ts),
    Math.floor(Date.parse('2026-11-24T09:00:00Z') / 3_600_000),
  );
  assert.equal(applyTransform({ kind: 'month' }, 'date', days('2026-11-24')), 56 * 12 + 10);
  assert.equal(applyTransform({ kind: 'year' }, 'date', days('2026-11-24')), 56);
  assert.equal(applyTransform({ kind: 'day' }, 'timestamp', -1n), -1);
  assert.equal(applyTransform({ kind: 'hour' }, 'timestamp', -1n), -1);
  assert.equal(applyTransform({ kind: 'month' }, 'date', days('1969-12-31')), -1);
  assert.equal(applyTransform({ kind: 'year' }, 'date', days('0001-01-01')), -1969);
  assert.equal(partitionValueToPath({ kind: 'day' }, 'timestamp', days('2026-11-24')), '2026-11-24');
  assert.equal(partitionValueToPath({ kind: 'month' }, 'date', -1), '1969-12');
});

test('truncate[W] floors numbers and cuts strings by code point', () => {
  const t = parseTransform('truncate[10]');
  assert.equal(applyTransform(t, 'int', 1), 0);
  assert.equal(applyTransform(t, 'int', -1), -10);
  assert.equal(applyTransform(t, 'long', -1n), -10n);
  assert.equal(applyTransform(t, 'decimal(9, 2)', 1065n), 1060n); // 10.65 → 10.60 at width 10 (unscaled)
  assert.equal(applyTransform(parseTransform('truncate[3]'), 'string', 'ñ€😀abc'), 'ñ€😀');
  assert.deepEqual(
    applyTransform(parseTransform('truncate[2]'), 'binary', Uint8Array.of(1, 2, 3)),
    Uint8Array.of(1, 2),
  );
  assert.throws(() => parseTransform('bucket[0]'), /positive/);
  assert.throws(() => parseTransform('weird'), /unknown partition transform/);
});
