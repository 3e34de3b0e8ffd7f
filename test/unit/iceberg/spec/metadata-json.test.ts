import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  int64Equal,
  JsonSyntaxError,
  parseJson,
  parseJsonExact,
  stringifyJson,
} from '../../../../shared/iceberg/spec/metadata-json.js';

const BIG_ID = '3051729675574597004';

test('an id beyond 2^53 parses to the exact bigint and is written back as the same bare digits', () => {
  const text = `{"current-snapshot-id":${BIG_ID},"snapshots":[{"snapshot-id":${BIG_ID},"parent-snapshot-id":-9223372036854775808,"sequence-number":1}]}`;
  const value = parseJson<{ 'current-snapshot-id': unknown; snapshots: Record<string, unknown>[] }>(text);
  assert.equal(value['current-snapshot-id'], 3051729675574597004n);
  assert.equal(value.snapshots[0]!['parent-snapshot-id'], -9223372036854775808n);
  // safe integers stay numbers, so ordinary arithmetic on them keeps working
  assert.equal(value.snapshots[0]!['sequence-number'], 1);
  assert.equal(stringifyJson(value), text);
  // JSON.parse would have rounded it: the test would be meaningless if it did not
  assert.notEqual(String(JSON.parse(text)['current-snapshot-id']), BIG_ID);
});

test('big ids deep in nested arrays and objects, next to strings that look like numbers', () => {
  const text = `{"a":[[${BIG_ID},{"b":[9007199254740993,"${BIG_ID}",1.5e+300,-0.25]}]],"s":"x\\"${BIG_ID}\\"","e":{},"l":[]}`;
  const value = parseJson(text) as { a: [[bigint, { b: unknown[] }]]; s: string };
  assert.equal(value.a[0][0], BigInt(BIG_ID));
  assert.deepEqual(value.a[0][1].b, [9007199254740993n, BIG_ID, 1.5e300, -0.25]);
  assert.equal(value.s, `x"${BIG_ID}"`);
  assert.equal(stringifyJson(value), text);
});

test('the boundary: 2^53-1 stays a number, 2^53 becomes a bigint', () => {
  const value = parseJson<number[]>(
    '[9007199254740991,9007199254740992,-9007199254740991,-9007199254740992]',
  );
  assert.deepEqual(value, [9007199254740991, 9007199254740992n, -9007199254740991, -9007199254740992n]);
});

test('the exact parser agrees with JSON.parse on a document without big ids', () => {
  const doc = {
    'format-version': 2,
    u: 'é\u0000\ud83d\ude00\\/"\n\t',
    n: [0, -1, 1.25, 1e-7, 123456789012345, true, false, null],
    o: { '': 1, nested: { deeper: [[], {}] } },
    __proto__x: 1,
  };
  const text = JSON.stringify(doc, null, 2);
  assert.deepEqual(parseJsonExact(text), JSON.parse(text));
  const withProto = '{"__proto__":{"polluted":1}}';
  assert.deepEqual(Object.keys(parseJsonExact(withProto) as object), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('stringify drops undefined properties and writes undefined array items as null, like JSON.stringify', () => {
  const value = { a: undefined, b: [undefined, 1], c: 'x', d: new Date(0) };
  assert.equal(stringifyJson(value), JSON.stringify(value));
});

test('syntax errors name the source, line and column', () => {
  const text = `{\n  "snapshot-id": ${BIG_ID},\n  "x": tru\n}`;
  assert.throws(
    () => parseJson(text, 'gs://b/t/metadata/00001.metadata.json'),
    (error: unknown) =>
      error instanceof JsonSyntaxError &&
      error.line === 3 &&
      error.column === 8 &&
      error.message.startsWith('gs://b/t/metadata/00001.metadata.json:3:8:'),
  );
  assert.throws(() => parseJson('{"a":1}x'), JsonSyntaxError);
  assert.throws(() => parseJson('[1,]'), JsonSyntaxError);
});

test('int64Equal compares a number and a bigint by value', () => {
  assert.ok(int64Equal(5, 5n));
  assert.ok(int64Equal(3051729675574597004n, BigInt(BIG_ID)));
  assert.ok(!int64Equal(3051729675574597004n, 3051729675574597000));
  assert.ok(int64Equal(null, undefined));
  assert.ok(!int64Equal(null, 0));
});

test('a 2 MB metadata document with big ids parses and serializes in well under a second', () => {
  const snapshots = Array.from({ length: 7000 }, (_, i) => ({
    'snapshot-id': 3051729675574597004n + BigInt(i),
    'parent-snapshot-id': 3051729675574597003n + BigInt(i),
    'sequence-number': i + 1,
    'timestamp-ms': 1_700_000_000_000 + i,
    'manifest-list': `gs://bucket/warehouse/db/t/metadata/snap-${i}-1-6f0e2b0c-3a1d-4b8e-9d1c-000000000000.avro`,
    summary: { operation: 'overwrite', 'added-data-files': String(i), 'cdc.batch-id': `batch-${i}` },
  }));
  const text = stringifyJson({ 'format-version': 2, snapshots });
  assert.ok(text.length > 2_000_000, `document is ${text.length} bytes`);
  const started = performance.now();
  const parsed = parseJson<{ snapshots: { 'snapshot-id': bigint }[] }>(text);
  const again = stringifyJson(parsed);
  const elapsed = performance.now() - started;
  assert.equal(again, text);
  assert.equal(parsed.snapshots[6999]!['snapshot-id'], 3051729675574597004n + 6999n);
  assert.ok(elapsed < 1000, `parse + stringify took ${elapsed.toFixed(0)} ms`);
});
