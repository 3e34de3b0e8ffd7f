// The change-set codec returns exactly the events it was given: bigints beyond 2^53, decimals at
// their scale, µs timestamps, absent ≠ null, lists, binary, unsigned LSNs, text starting with U+FEFF; and its metadata (counts,
// order bounds, deterministic id) is right.

import { plain } from '../../support/plain-rows.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { compareOrder, type ChangeEvent } from '../../../shared/changes/change-event.js';
import {
  changeSetId,
  decodeChangeSet,
  encodeChangeSet,
  readChangeSetInfo,
  type ChangeSetHeader,
} from '../../../shared/changes/change-set.js';
import { compileTableDefinition } from '../../../shared/datastream/table.js';
import { FIELD_ID_KEY } from '../../../shared/iceberg/arrow/arrow-schema.js';

const table = compileTableDefinition(
  { schema: 'public', name: 'orders' },
  {
    columns: [
      ['order_id', 'bigint'],
      ['line_no', 'integer'],
      ['amount', 'numeric(38,4)'],
      ['ratio', 'double precision'],
      ['ok', 'boolean'],
      ['note', 'text'],
      ['tags', 'text[]'],
      ['on', 'date'],
      ['at', 'time'],
      ['ts', 'timestamp'],
      ['tstz', 'timestamptz'],
      ['blob', 'bytea'],
      ['customer', 'uuid'],
      ['counts', 'integer[]'],
    ],
    primaryKeys: ['order_id', 'line_no'],
  },
);

const header: ChangeSetHeader = {
  table: table.ref,
  source: { bucket: 'landing', name: 'cdc/public_orders/2026/x.jsonl', generation: '1732400000000001' },
  schema: table.schema,
  primaryKeys: table.primaryKeys,
};

function event(partial: Partial<ChangeEvent> & Pick<ChangeEvent, 'row' | 'order'>): ChangeEvent {
  const row = partial.row;
  return {
    table: table.ref,
    op: 'upsert',
    key: [row.order_id ?? null, row.line_no ?? null],
    uuid: `uuid-${String(row.order_id)}-${partial.order.lsn}`,
    changeType: 'UPDATE',
    backfill: false,
    source: { object: header.source.name, line: 1 },
    ...partial,
  };
}

const events: ChangeEvent[] = [
  event({
    row: {
      order_id: 9223372036854775807n,
      line_no: -2147483648,
      amount: -(10n ** 37n) + 1n, // 34 integer digits and 4 fraction digits, negative
      ratio: 1e300,
      ok: true,
      note: 'emoji 🚚 and 가나다',
      tags: ['a', null, ''],
      on: -719162, // 0001-01-01
      at: 86_399_999_999n,
      ts: -62135596800000000n,
      tstz: 253402300799999999n, // 9999-12-31T23:59:59.999999Z
      blob: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
      customer: 'de305d54-75b4-431b-adb2-eb6b9e546014',
      counts: [1, null, -2147483648],
    },
    order: { sourceTsMs: 1795510800813, lsn: 0xffffffffffffffffn },
    changeType: 'INSERT',
    source: { object: header.source.name, line: 7 },
  }),
  // Absent columns (only some present) and explicit nulls side by side.
  event({
    row: { order_id: 9007199254740993n, line_no: 1, note: null, tags: [], customer: null, counts: null },
    order: { sourceTsMs: 1795510800000, lsn: 0n },
    backfill: true,
    changeType: '',
    source: { object: header.source.name, line: 8 },
  }),
  event({
    row: { order_id: 1n, line_no: 2 },
    op: 'delete',
    changeType: 'UPDATE-DELETE',
    order: { sourceTsMs: 1795510800001, lsn: 0x16cb003d91n },
    source: { object: header.source.name, line: 9 },
  }),
];

test('decode returns exactly the encoded events', () => {
  const bytes = encodeChangeSet(header, events);
  const { events: decoded } = decodeChangeSet(bytes);
  assert.deepEqual(plain(decoded), events);
  // Absent stays absent, null stays null.
  assert.equal('amount' in (decoded[1] as ChangeEvent).row, false);
  assert.equal((decoded[1] as ChangeEvent).row.note, null);
});

test('decimals of every width decode exactly, from bytes at any alignment', () => {
  // around the 64-bit boundary the reader switches from one half to both
  const amounts = [0n, 1n, -1n, 12345n, -12345n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, -(2n ** 63n) - 1n];
  amounts.push(2n ** 64n, -(2n ** 64n), 10n ** 38n - 1n, -(10n ** 38n) + 1n);
  const many = amounts.map((amount, i) =>
    event({
      row: { order_id: BigInt(i), line_no: i, amount: i % 4 === 3 ? null : amount },
      order: { sourceTsMs: 1795510800000 + i, lsn: BigInt(i) },
    }),
  );
  const bytes = encodeChangeSet(header, many);
  for (const shift of [0, 1, 4]) {
    // the same bytes at another offset of a larger buffer (as a pooled Buffer may hold them)
    const shifted = new Uint8Array(bytes.length + shift).subarray(shift);
    shifted.set(bytes);
    const decoded = decodeChangeSet(shifted).events.map((e) => e.row.amount);
    assert.deepEqual(
      decoded,
      many.map((e) => e.row.amount),
      `bytes at offset ${shift}`,
    );
  }
});

test('source timestamps at the 32- and 53-bit edges, and absences past the first bitmap bytes', () => {
  const millis = [0, -1, 1, 2 ** 32 - 1, 2 ** 32, -(2 ** 32), -(2 ** 32) - 1, 2 ** 53 - 1, -(2 ** 53 - 1)];
  // 300 rows: the absence bitmap of `amount` grows past its first bytes, and rows end mid-byte.
  const many = Array.from({ length: 300 }, (_, i) => {
    const row: ChangeEvent['row'] = { order_id: BigInt(i), line_no: i };
    if (i % 7 !== 3) row.amount = BigInt(i);
    return event({ row, order: { sourceTsMs: millis[i % millis.length] as number, lsn: BigInt(i) } });
  });
  const decoded = decodeChangeSet(encodeChangeSet(header, many)).events;
  assert.deepEqual(
    decoded.map((e) => e.order.sourceTsMs),
    many.map((e) => e.order.sourceTsMs),
  );
  assert.deepEqual(
    decoded.map((e) => 'amount' in e.row),
    many.map((e) => 'amount' in e.row),
  );
  assert.deepEqual(plain(decoded), many);
});

test('a text starting with U+FEFF keeps it, in a column and in a list', () => {
  // a UTF-8 decoder strips a leading byte-order mark by default: that would change the value
  const withBom = event({
    row: { order_id: 3n, line_no: 3, note: '\uFEFFstarts with a BOM', tags: ['\uFEFF', 'x\uFEFF'] },
    order: { sourceTsMs: 1795510800002, lsn: 5n },
  });
  assert.deepEqual(plain(decodeChangeSet(encodeChangeSet(header, [withBom])).events), [withBom]);
});

test('metadata: counts, order bounds and a deterministic id per object generation and table', () => {
  const info = readChangeSetInfo(encodeChangeSet(header, events));
  assert.equal(info.eventCount, 3);
  assert.equal(info.upserts, 2);
  assert.equal(info.deletes, 1);
  const sorted = events.map((e) => e.order).sort(compareOrder);
  assert.deepEqual(info.minOrder, sorted[0]);
  assert.deepEqual(info.maxOrder, sorted[2]);
  assert.deepEqual(info.table, header.table);
  assert.deepEqual(info.source, header.source);
  assert.equal(info.id, changeSetId(header.source, header.table));
  assert.equal(
    changeSetId(header.source, header.table),
    changeSetId({ ...header.source }, { ...header.table }),
  );
  assert.notEqual(info.id, changeSetId({ ...header.source, generation: '2' }, header.table));
  assert.notEqual(info.id, changeSetId(header.source, { schema: 'public', name: 'orders2' }));
  assert.match(info.id, /^[0-9a-f]{32}$/);
});

test('the Arrow columns carry the Iceberg types and field ids, readable by plain Arrow', () => {
  const decoded = arrow.tableFromIPC(encodeChangeSet(header, events));
  const amount = decoded.schema.fields.find((f) => f.name === 'amount');
  assert.ok(amount && amount.type instanceof arrow.Decimal);
  assert.equal((amount.type as arrow.Decimal).scale, 4);
  assert.equal(amount.metadata.get(FIELD_ID_KEY), String(table.byName.get('amount')?.field.id));
  const ts = decoded.getChild('ts');
  assert.ok(ts?.type instanceof arrow.Timestamp);
  // Presence columns exist only for columns some event lacks.
  const presence = decoded.schema.fields.filter((f) => f.name.startsWith('_cs_present:')).map((f) => f.name);
  assert.ok(presence.includes('_cs_present:amount'));
  assert.ok(!presence.includes('_cs_present:order_id'));
  assert.equal(decoded.getChild('order_id')?.get(1), 9007199254740993n);
});

test('an empty change-set round-trips with null order bounds', () => {
  const bytes = encodeChangeSet(header, []);
  const { info, events: decoded } = decodeChangeSet(bytes);
  assert.equal(info.eventCount, 0);
  assert.equal(info.minOrder, null);
  assert.deepEqual(decoded, []);
});

test('events of another table or with unknown columns are refused', () => {
  assert.throws(() =>
    encodeChangeSet(header, [{ ...(events[0] as ChangeEvent), table: { schema: 'x', name: 'y' } }]),
  );
  assert.throws(
    () =>
      encodeChangeSet(header, [
        { ...(events[0] as ChangeEvent), row: { order_id: 1n, line_no: 1, bogus: 1 } },
      ]),
    /bogus/,
  );
});
