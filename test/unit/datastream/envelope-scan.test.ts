// The envelope scan (envelope-scan.wat, read by scanned-envelope.ts) recognizes the lines Datastream
// writes, and reading with it gives exactly what the exact path gives: the same events, or the same
// error at the same line, for valid lines, for every kind of envelope variation and for random ones.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { tableKey, type TableRef } from '../../../shared/changes/change-event.js';
import { scannedLineBatches } from '../../../shared/datastream/scanned-lines.js';
import { Field, RECORD_INTS } from '../../../shared/datastream/envelope-scan.js';
import { compileTableDefinition, type CompiledTable } from '../../../shared/datastream/table.js';
import { readBothWays, sameOutcome } from '../../support/read-both-ways.js';
import { seeded } from '../../support/random.js';
import { SCENARIOS_DIR } from './scenario-fixtures.js';

const encoder = new TextEncoder();

const columns: Array<[string, string]> = [
  ['order_id', 'bigint'],
  ['amount', 'numeric(18,4)'],
  ['note', 'text'],
  ['attrs', 'jsonb'],
];
const orders = compileTableDefinition(
  { schema: 'public', name: 'orders' },
  { columns, primaryKeys: ['order_id'] },
);
const audit = compileTableDefinition(
  { schema: 'audit', name: 'orders' },
  { columns, primaryKeys: ['order_id'] },
);
const tables = new Map<string, CompiledTable>([
  ['public.orders', orders],
  ['audit.orders', audit],
]);
const options = { resolveTable: (ref: TableRef) => tables.get(tableKey(ref)) };

const CANONICAL =
  '{"uuid":"a1d6956c-96d6-0464-9da4-ef01606363ab","read_timestamp":"2026-11-24T09:00:17.493000Z",' +
  '"source_timestamp":"2026-11-24T09:00:16.965000Z","object":"public_orders","read_method":"postgresql-cdc",' +
  '"stream_name":"projects/1/locations/us-central1/streams/s","schema_key":"63161c97cd864067e0ada4804b03cd3ade42ae73",' +
  '"sort_keys":[1795510816965,"16/CB007C6F"],"source_metadata":{"schema":"public","table":"orders",' +
  '"is_deleted":false,"change_type":"INSERT","tx_id":1186532,"lsn":"16/CB007C6F","primary_keys":["order_id"]},' +
  '"payload":{"order_id":32,"amount":10.5,"note":"ok","attrs":{"a":[1,{"b":null}]}}}';

/** The scan's status for each line of `text` that ends with a newline. */
async function statuses(text: string): Promise<number[]> {
  const out: number[] = [];
  async function* whole() {
    yield encoder.encode(text);
  }
  for await (const batch of scannedLineBatches('x', whole())) {
    const records = batch.envelopes as Int32Array;
    for (let i = 0; i * RECORD_INTS < records.length; i++)
      out.push(records[i * RECORD_INTS + Field.status] as number);
  }
  return out;
}

/** Reads `line` both ways and requires the same outcome; returns whether the scan recognized it. */
async function sameBothWays(line: string, what: string): Promise<boolean> {
  const { scanned, exact } = await readBothWays('o.jsonl', encoder.encode(`${line}\n`), options);
  assert.ok(
    sameOutcome(scanned, exact),
    `${what}: ${JSON.stringify({ scanned, exact, line }, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`,
  );
  return (await statuses(`${line}\n`))[0] === 1;
}

test('every line of the fixtures that the exact path reads is recognized by the scan', async () => {
  let lines = 0;
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return name.endsWith('.jsonl') && !path.includes('bad-input') && path.includes('/bucket/')
        ? [path]
        : [];
    });
  for (const file of walk(SCENARIOS_DIR)) {
    const text = readFileSync(file, 'utf8');
    const found = await statuses(text.endsWith('\n') ? text : `${text}\n`);
    const fileLines = text.split('\n').filter((l) => l !== '');
    assert.equal(found.length, fileLines.length, file);
    assert.deepEqual(
      found,
      fileLines.map(() => 1),
      file,
    );
    lines += fileLines.length;
  }
  assert.ok(lines > 50, `${lines} fixture lines`);
});

test('envelope variations: recognized where the layout allows, the same outcome either way', async () => {
  const meta = (from: string, to: string) => CANONICAL.replace(from, to);
  const cases: Array<[string, string, boolean]> = [
    ['canonical', CANONICAL, true],
    ['spaces and tabs between tokens', CANONICAL.replaceAll('":', '" : ').replaceAll(',"', ',\t"'), true],
    ['a carriage return before the newline', `${CANONICAL}\r`, true],
    [
      'keys in another order',
      CANONICAL.replace('"read_timestamp":"2026-11-24T09:00:17.493000Z",', '').replace(
        '"object":',
        '"read_timestamp":null,"object":',
      ),
      true,
    ],
    ['lower-case LSN', meta('"lsn":"16/CB007C6F"', '"lsn":"16/cb007c6f"'), true],
    ['LSN of eight digits each side', meta('"lsn":"16/CB007C6F"', '"lsn":"FFFFFFFF/FFFFFFFF"'), true],
    ['LSN HI of nine digits', meta('"lsn":"16/CB007C6F"', '"lsn":"100000000/1"'), false],
    ['LSN without a slash', meta('"lsn":"16/CB007C6F"', '"lsn":"16CB007C6F"'), false],
    ['LSN with a non-hex digit', meta('"lsn":"16/CB007C6F"', '"lsn":"16/CB007G6F"'), false],
    ['LSN empty', meta('"lsn":"16/CB007C6F"', '"lsn":""'), true],
    ['LSN null', meta('"lsn":"16/CB007C6F"', '"lsn":null'), true],
    ['LSN a number', meta('"lsn":"16/CB007C6F"', '"lsn":22'), false],
    ['read method in capitals', meta('postgresql-cdc', 'POSTGRESQL-CDC'), true],
    [
      'backfill read method without a change type',
      meta('postgresql-cdc', 'postgresql-backfill').replace('"change_type":"INSERT"', '"change_type":null'),
      true,
    ],
    ['CDC without a change type', meta('"change_type":"INSERT"', '"change_type":null'), true],
    ['unknown read method', meta('postgresql-cdc', 'postgresql-other'), false],
    ['empty read method', meta('postgresql-cdc', ''), false],
    ['is_deleted true on an INSERT', meta('"is_deleted":false', '"is_deleted":true'), true],
    ['is_deleted false on a DELETE', meta('"change_type":"INSERT"', '"change_type":"DELETE"'), true],
    [
      'UPDATE-DELETE with is_deleted null',
      meta('"change_type":"INSERT"', '"change_type":"UPDATE-DELETE"').replace(
        '"is_deleted":false',
        '"is_deleted":null',
      ),
      true,
    ],
    ['UPDATE-INSERT', meta('"change_type":"INSERT"', '"change_type":"UPDATE-INSERT"'), true],
    ['unknown change type', meta('"change_type":"INSERT"', '"change_type":"MERGE"'), false],
    ['change type in lower case', meta('"change_type":"INSERT"', '"change_type":"insert"'), false],
    ['source timestamp with a zone offset', meta('09:00:16.965000Z', '10:00:16.965+01:00'), false],
    ['source timestamp with sub-microsecond digits', meta('09:00:16.965000Z', '09:00:16.9650001Z'), false],
    ['source timestamp on 30 February', meta('2026-11-24T09:00:16', '2026-02-30T09:00:16'), false],
    [
      'source timestamp in epoch milliseconds',
      meta('"source_timestamp":"2026-11-24T09:00:16.965000Z"', '"source_timestamp":1795510816965'),
      false,
    ],
    [
      'source timestamp null',
      meta('"source_timestamp":"2026-11-24T09:00:16.965000Z"', '"source_timestamp":null'),
      false,
    ],
    ['no source timestamp', meta('"source_timestamp":"2026-11-24T09:00:16.965000Z",', ''), false],
    ['empty uuid', meta('"uuid":"a1d6956c-96d6-0464-9da4-ef01606363ab"', '"uuid":""'), false],
    ['uuid a number', meta('"uuid":"a1d6956c-96d6-0464-9da4-ef01606363ab"', '"uuid":7'), false],
    ['an escape in a string', meta('public_orders', 'public\\u005forders'), false],
    ['an escape in the schema', meta('"schema":"public"', '"schema":"publi\\u0063"'), false],
    ['non-ASCII in the envelope', meta('public_orders', 'public_주문'), false],
    ['non-ASCII in the payload', meta('"note":"ok"', '"note":"주문 ✓"'), true],
    ['a duplicate key', meta('"object":"public_orders",', '"object":"public_orders","object":null,'), false],
    ['a duplicate metadata key', meta('"tx_id":1186532,', '"tx_id":1186532,"tx_id":null,'), false],
    ['an unknown key', meta('"object":"public_orders",', '"object":"public_orders","extra":1,'), false],
    [
      'payload not last',
      meta('"uuid":"a1d6956c', '"payload":{"order_id":1},"uuid":"a1d6956c').replace(
        /,"payload":\{"order_id":32.*\}\}$/,
        '}',
      ),
      false,
    ],
    [
      'payload not an object',
      meta(/"payload":\{.*\}\}$/.exec(CANONICAL)?.[0] ?? '', '"payload":[1,2]}'),
      true,
    ],
    ['payload null', meta(/"payload":\{.*\}\}$/.exec(CANONICAL)?.[0] ?? '', '"payload":null}'), true],
    ['payload empty', meta(/"payload":\{.*\}\}$/.exec(CANONICAL)?.[0] ?? '', '"payload":}'), false],
    ['payload broken', meta('"note":"ok"', '"note":"ok'), true],
    ['a trailing brace too many', `${CANONICAL}}`, true],
    ['the envelope not closed', CANONICAL.slice(0, -1), true],
    ['a space after the envelope', `${CANONICAL} `, false],
    ['a space before the envelope', ` ${CANONICAL}`, false],
    ['tx_id a fraction', meta('"tx_id":1186532', '"tx_id":1.5'), false],
    ['tx_id with a leading zero', meta('"tx_id":1186532', '"tx_id":01186532'), false],
    ['tx_id of 25 digits', meta('"tx_id":1186532', '"tx_id":1234567890123456789012345'), true],
    ['tx_id negative', meta('"tx_id":1186532', '"tx_id":-7'), true],
    ['tx_id a string', meta('"tx_id":1186532', '"tx_id":"7"'), false],
    ['sort_keys empty', meta('[1795510816965,"16/CB007C6F"]', '[]'), true],
    ['sort_keys with null', meta('[1795510816965,"16/CB007C6F"]', '[null, 1 ,"x"]'), true],
    ['sort_keys with a fraction', meta('[1795510816965,"16/CB007C6F"]', '[1.5]'), false],
    ['sort_keys an object', meta('[1795510816965,"16/CB007C6F"]', '{}'), false],
    ['sort_keys not closed', meta('[1795510816965,"16/CB007C6F"]', '[1795510816965,"16/CB007C6F"'), false],
    ['primary keys empty', meta('["order_id"]', '[]'), true],
    ['primary keys with a number', meta('["order_id"]', '["order_id",1]'), false],
    ['is_deleted a string', meta('"is_deleted":false', '"is_deleted":"false"'), false],
    ['is_deleted misspelt', meta('"is_deleted":false', '"is_deleted":fals'), false],
    ['unknown table', meta('"table":"orders"', '"table":"invoices"'), true],
    ['another schema', meta('"schema":"public"', '"schema":"audit"'), true],
    ['no schema', meta('"schema":"public",', ''), false],
    [
      'metadata an array',
      meta(/"source_metadata":\{[^}]*\}/.exec(CANONICAL)?.[0] ?? '', '"source_metadata":[]'),
      false,
    ],
    [
      'metadata empty',
      meta(/"source_metadata":\{[^}]*\}/.exec(CANONICAL)?.[0] ?? '', '"source_metadata":{}'),
      false,
    ],
    ['a control character in a string', meta('public_orders', 'public\torders'), false],
    ['a number beyond a double in the payload', meta('"amount":10.5', '"amount":12345678901234.1234'), true],
    ['a bigint key', meta('"order_id":32', '"order_id":9007199254740993'), true],
  ];
  let recognized = 0;
  for (const [what, line, expected] of cases) {
    const found = await sameBothWays(line, what);
    assert.equal(found, expected, `${what}: recognized`);
    if (found) recognized++;
  }
  assert.ok(recognized >= 30, `${recognized} recognized`);
});

test('source timestamps: the milliseconds of the scan are those of the exact path, over the calendar', async () => {
  const random = seeded(11);
  const two = (n: number) => String(n).padStart(2, '0');
  let recognized = 0;
  for (let n = 0; n < 2000; n++) {
    const year = n % 10 === 0 ? 1 + Math.floor(random() * 9999) : 1970 + Math.floor(random() * 100);
    const month = 1 + Math.floor(random() * 12);
    const day = 1 + Math.floor(random() * 31);
    const fraction = Array.from({ length: Math.floor(random() * 10) }, (_, i) =>
      i < 6 || random() < 0.2 ? Math.floor(random() * 10) : 0,
    ).join('');
    const text =
      `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}${random() < 0.8 ? 'T' : ' '}` +
      `${two(Math.floor(random() * 25))}:${two(Math.floor(random() * 60))}:${two(Math.floor(random() * 61))}` +
      `${fraction === '' && random() < 0.9 ? '' : `.${fraction}`}${random() < 0.7 ? 'Z' : ''}`;
    const line = CANONICAL.replace('2026-11-24T09:00:16.965000Z', text);
    const { scanned, exact } = await readBothWays('o.jsonl', encoder.encode(`${line}\n`), options);
    assert.ok(sameOutcome(scanned, exact), `${text}: ${scanned.error} / ${exact.error}`);
    if ((await statuses(`${line}\n`))[0] === 1) recognized++;
  }
  assert.ok(recognized > 1000, `${recognized} of 2,000 read by the scan`);
});

test('random envelope mutations read the same with and without the scan', async () => {
  const random = seeded(26);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const values = [
    'null',
    'true',
    'false',
    '0',
    '-1',
    '1.5',
    '1e3',
    '""',
    '"x"',
    '[]',
    '{}',
    '["a"]',
    '[1,"a",null]',
    '"2026-11-24T09:00:16Z"',
    '"INSERT"',
    '"DELETE"',
    '"UPDATE-DELETE"',
    '"public"',
    '"orders"',
    '"1/2"',
    '"backfill"',
    '12345678901234567890',
    '"a\\"b"',
    '"é"',
  ];
  const keys = [...CANONICAL.matchAll(/"([a-z_]+)":/g)]
    .map((m) => m[1] as string)
    .filter((k) => !['order_id', 'amount', 'note', 'attrs', 'a', 'b'].includes(k));
  let recognizedEvents = 0;
  for (let n = 0; n < 3000; n++) {
    let line = CANONICAL;
    const rounds = 1 + Math.floor(random() * 3);
    for (let k = 0; k < rounds; k++) {
      const key = pick(keys);
      const kind = random();
      if (kind < 0.6) {
        // Replace the value of a key (up to the next , or } at its depth: envelope values are flat here
        // except source_metadata and payload, which are replaced whole).
        const at = line.indexOf(`"${key}":`);
        if (at < 0) continue;
        const start = at + key.length + 3;
        let depth = 0;
        let end = start;
        for (; end < line.length; end++) {
          const c = line[end];
          if (c === '"') {
            end = line.indexOf('"', end + 1);
            if (end < 0) end = line.length;
          } else if (c === '[' || c === '{') depth++;
          else if ((c === ']' || c === '}') && depth-- === 0) break;
          else if (c === ',' && depth === 0) break;
        }
        line = line.slice(0, start) + pick(values) + line.slice(end);
      } else if (kind < 0.75) {
        line = line.replace(new RegExp(`"${key}":(null|"[^"]*"|-?\\d+|true|false),`), '');
      } else if (kind < 0.9) {
        const at = Math.floor(random() * line.length);
        line = line.slice(0, at) + pick([' ', '\t', ',', '"', '}', ']', '\\', '0', 'é']) + line.slice(at);
      } else {
        line = line.replace(`"${key}"`, `"${key.toUpperCase()}"`);
      }
    }
    const { scanned, exact } = await readBothWays('o.jsonl', encoder.encode(`${line}\n`), options);
    assert.ok(sameOutcome(scanned, exact), `case ${n}: ${line}\n${scanned.error} / ${exact.error}`);
    if (scanned.events.length === 1 && (await statuses(`${line}\n`))[0] === 1) recognizedEvents++;
  }
  assert.ok(recognizedEvents > 300, `${recognizedEvents} mutated lines read through the scan`);
});

test('many lines in chunks of any size: the same events, and a bad line stops both at the same place', async () => {
  const random = seeded(3);
  const lines = Array.from({ length: 150 }, (_, i) => {
    let line = CANONICAL.replace('"order_id":32', `"order_id":${i}`).replace(
      'CB007C6F"}',
      `CB00${(0x7c6f + i).toString(16).toUpperCase()}"}`,
    );
    if (random() < 0.1) line = line.replace('"schema":"public"', '"schema":"audit"');
    if (random() < 0.1) line = line.replace('"note":"ok"', '"note":"주문"');
    if (random() < 0.05) line = line.replace('"amount":10.5', '"amount":12345678901234.5678');
    return line;
  });
  const good = encoder.encode(`${lines.join('\n')}\n`);
  const bad = encoder.encode(
    `${lines.slice(0, 100).join('\n')}\n${CANONICAL.replace('"INSERT"', '"MERGE"')}\n${lines.slice(100).join('\n')}`,
  );
  for (const size of [1, 7, 100, 4096, good.length]) {
    const both = await readBothWays('o.jsonl', good, options, size);
    assert.equal(both.scanned.events.length, 150, `chunks of ${size}: ${both.scanned.error}`);
    assert.ok(sameOutcome(both.scanned, both.exact), `chunks of ${size}`);
    const broken = await readBothWays('o.jsonl', bad, options, size);
    assert.equal(broken.scanned.events.length, 100);
    assert.match(broken.scanned.error ?? '', /o\.jsonl:101:/);
    assert.ok(sameOutcome(broken.scanned, broken.exact), `bad line, chunks of ${size}`);
  }
  // CRLF endings, blank lines between, and a last line without a newline.
  const mixed = encoder.encode(
    lines
      .map((l, i) => (i % 7 === 0 ? `${l}\r\n\n` : `${l}\r\n`))
      .join('')
      .slice(0, -2),
  );
  for (const size of [1, 13, 4096, mixed.length]) {
    const both = await readBothWays('o.jsonl', mixed, options, size);
    assert.equal(both.scanned.events.length, 150, `mixed, chunks of ${size}: ${both.scanned.error}`);
    assert.ok(sameOutcome(both.scanned, both.exact), `mixed, chunks of ${size}`);
  }
});

test('a chunk of many short lines: a record for every line ending in a newline', async () => {
  const text = `${'{"a":1}\n'.repeat(50_000)}${CANONICAL}\n{"b":2}`;
  const found = await statuses(text);
  assert.equal(found.length, 50_001);
  assert.equal(found.filter((s) => s === 1).length, 1);
  assert.equal(found[50_000], 1);
});

test('invalid UTF-8 names its line, in a chunk or across chunks', async () => {
  const good = `${CANONICAL.replace('"note":"ok"', '"note":"주문"')}\n`;
  const bad = encoder.encode(`${CANONICAL}\n`);
  bad[bad.length - 20] = 0xff; // inside the payload's last value
  const bytes = Buffer.concat([encoder.encode(good.repeat(2)), bad, encoder.encode(good)]);
  for (const size of [1, 5, 100, bytes.length]) {
    const { scanned } = await readBothWays('o.jsonl', bytes, options, size);
    assert.equal(scanned.error, 'DatastreamReadError: o.jsonl:3: is not valid UTF-8', `chunks of ${size}`);
    assert.ok(scanned.events.length <= 2, `chunks of ${size}`);
  }
  // A byte order mark before the first line is dropped, in one chunk or split over three.
  const marked = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), encoder.encode(good)]);
  for (const size of [1, 2, marked.length]) {
    const { scanned, exact } = await readBothWays('o.jsonl', marked, options, size);
    assert.equal(scanned.error, undefined, `chunks of ${size}`);
    assert.ok(isDeepStrictEqual(scanned, exact), `chunks of ${size}`);
  }
});
