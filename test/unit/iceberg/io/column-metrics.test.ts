// Bounds computed from raw Arrow buffers (word-wise int64 and decimal compares, bytewise strings) must
// equal the min/max of the values themselves: checked on random data against a plain reference.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowsToArrowTable } from '../../../../shared/iceberg/arrow/arrow-rows.js';
import { computeBoundsAndNaNs } from '../../../../shared/iceberg/io/column-metrics.js';
import { buildSchema } from '../../../../shared/iceberg/spec/schema.js';
import { fromSingleValueBytes, truncateStringUpper } from '../../../../shared/iceberg/spec/single-value.js';
import type { Row } from '../../../../shared/iceberg/spec/values.js';

let seed = 42;
const rnd = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
};
const randomBig = (bits: number): bigint => {
  let x = 0n;
  for (let k = 0; k < bits; k += 16) x = (x << 16n) | BigInt(Math.floor(rnd() * 65536));
  return BigInt.asIntN(bits, x);
};
const ALPHABET = ['a', 'b', 'z', 'é', '€', '😀', 'Ａ', '\u007f'];

test('bounds from Arrow buffers equal the min and max of the values', () => {
  const schema = buildSchema([
    { name: 'l', type: 'long' },
    { name: 'ts', type: 'timestamp' },
    { name: 'near', type: 'long' },
    { name: 'd18', type: 'decimal(18, 3)' },
    { name: 'd18near', type: 'decimal(18, 3)' },
    { name: 'd38', type: 'decimal(38, 0)' },
    { name: 's', type: 'string' },
    { name: 'x', type: 'double' },
    { name: 'i', type: 'int' },
  ]);
  for (let round = 0; round < 20; round++) {
    const n = 1 + Math.floor(rnd() * 50);
    const rows: Row[] = Array.from({ length: n }, () => ({
      l: rnd() < 0.1 ? null : randomBig(64),
      ts: randomBig(rnd() < 0.5 ? 33 : 64),
      // one high word for all: the low words decide, compared unsigned
      near: randomBig(34),
      d18near: randomBig(34),
      d18: BigInt.asIntN(64, randomBig(64)) % 10n ** 18n,
      d38: randomBig(126) % 10n ** 38n,
      s: Array.from(
        { length: Math.floor(rnd() * 20) },
        () => ALPHABET[Math.floor(rnd() * ALPHABET.length)],
      ).join(''),
      x: rnd() < 0.1 ? Number.NaN : (rnd() - 0.5) * 1e6,
      i: Math.floor((rnd() - 0.5) * 2 ** 32),
    }));
    const table = rowsToArrowTable(schema, rows);
    const m = computeBoundsAndNaNs(
      schema.fields,
      schema.fields.map((_, k) => table.batches.map((b) => b.data.children[k]!)),
    );
    for (const f of schema.fields) {
      const vals = rows
        .map((r) => r[f.name] ?? null)
        .filter((v): v is NonNullable<typeof v> => v !== null && !(typeof v === 'number' && Number.isNaN(v)));
      if (vals.length === 0) continue;
      let min = vals[0]!;
      let max = vals[0]!;
      for (const v of vals) {
        if (f.name === 's') {
          if (Buffer.compare(Buffer.from(v as string), Buffer.from(min as string)) < 0) min = v;
          if (Buffer.compare(Buffer.from(v as string), Buffer.from(max as string)) > 0) max = v;
        } else {
          if ((v as number) < (min as number)) min = v;
          if ((v as number) > (max as number)) max = v;
        }
      }
      const lower = fromSingleValueBytes(f.type, m.lowerBounds.get(f.id)!);
      const upper = fromSingleValueBytes(f.type, m.upperBounds.get(f.id)!);
      if (f.name === 's') {
        assert.equal(
          lower,
          Array.from(min as string)
            .slice(0, 16)
            .join(''),
          `round ${round} ${f.name} lower`,
        );
        assert.equal(upper, truncateStringUpper(max as string), `round ${round} ${f.name} upper`);
      } else {
        assert.equal(lower, min, `round ${round} ${f.name} lower`);
        assert.equal(upper, max, `round ${round} ${f.name} upper`);
      }
    }
    assert.equal(
      m.nanValueCounts.get(schema.fields.find((f) => f.name === 'x')!.id),
      rows.filter((r) => Number.isNaN(r.x)).length,
    );
  }
});
