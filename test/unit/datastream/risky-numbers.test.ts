// The WebAssembly scan for numbers a double may not keep: it names every line the lossless parser's
// regex names, a line it does not name parses to the same value with JSON.parse as with the exact
// parser, lines split across chunks are never trusted, and the committed module matches its source.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lineBatches } from '../../../shared/datastream/byte-stream.js';
import { mayLosePrecision, parseJsonWithOwnParser } from '../../../shared/datastream/lossless-json.js';
import { INPUT_OFFSET, riskyNumberScanner } from '../../../shared/datastream/risky-numbers.js';
import { readChangeEvents } from '../../../shared/datastream/read-object.js';
import { compileTableDefinition } from '../../../shared/datastream/table.js';
import { toChangeEvent } from '../../../shared/datastream/event.js';
import { seeded } from '../../support/random.js';
import { REPO_ROOT } from '../../support/scenarios.js';

const encoder = new TextEncoder();

function scanLines(lines: string[]): Set<number> {
  const scanner = riskyNumberScanner();
  assert.ok(scanner, 'Node 20 and 22 run WebAssembly SIMD');
  return new Set(scanner.riskyLines(encoder.encode(lines.join('\n'))));
}

test('the committed WebAssembly module is the compiled risky-numbers.wat', () => {
  const check = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  assert.equal(check.status, 0, check.stderr);
});

test('named lines: long digit runs and long exponents after ":", "," or "[", and nothing else', () => {
  const cases: Array<[string, boolean]> = [
    ['{"a":1234567890123456}', true],
    ['{"a":123456789012345}', false],
    ['{"a":12345678901234.5}', true], // 15 digits and a dot: a false positive the regex has too
    ['{"a":-0.10000000000000001}', true],
    ['{"a": \t 9007199254740993}', true],
    ['[9007199254740993]', true],
    ['{"a":[1,\r9007199254740993]}', true],
    ['{"a":1e400}', true],
    ['{"a":1E-400}', true],
    ['{"a":1.5e+308}', true],
    ['{"a":1.5e99}', false],
    ['{"a":-2e-99,"b":3}', false],
    ['{"a":"12345678901234567890"}', false], // digits inside a string
    ['{"uuid":"e9183522-60a2-4e31-abf6-7234f19a2000"}', false], // hex with e and digits
    ['{"k":"a4e318","h":"10e999"}', false],
    ['{"a":"x:12345678901234567"}', true], // inside a string after ":": a false positive, as the regex
    ['{"a":--12345678901234567}', false],
    ['{"a":- 12345678901234567}', false],
    ['{"a":1}', false],
  ];
  const named = scanLines(cases.map(([line]) => line));
  cases.forEach(([line, risky], i) => {
    assert.equal(named.has(i), risky, line);
    assert.equal(mayLosePrecision(line), risky, `the regex agrees: ${line}`);
  });
});

/** Lines of valid JSON with numbers, separators and (`withStrings`) strings of many shapes. */
function randomLines(seed: number, count: number, withStrings = true): string[] {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const number = (): string => {
    const int = pick(['0', `${1 + Math.floor(random() * 9)}${digits(Math.floor(random() * 20))}`]);
    const frac = random() < 0.5 ? `.${digits(1 + Math.floor(random() * 18))}` : '';
    const exp =
      random() < 0.3
        ? `${pick(['e', 'E'])}${pick(['', '+', '-'])}${digits(1 + Math.floor(random() * 4))}`
        : '';
    return `${pick(['', '-'])}${int}${frac}${exp}`;
  };
  const text = (): string => {
    const parts = ['x', '가', 'é', '🚚', ':', ',', '[', ' ', '-', '.', 'e', 'E', '+', digits(3), digits(17)];
    return JSON.stringify(Array.from({ length: Math.floor(random() * 8) }, () => pick(parts)).join(''));
  };
  const space = () => pick(['', '', '', ' ', '\t', ' \r ']);
  const value = (depth: number): string => {
    const r = random();
    if (depth > 2 || r < 0.45) return number();
    if (r < 0.7) return withStrings ? text() : number();
    if (r < 0.85)
      return `[${space()}${Array.from({ length: 1 + Math.floor(random() * 4) }, () => value(depth + 1)).join(`${space()},${space()}`)}]`;
    return `{${Array.from({ length: 1 + Math.floor(random() * 4) }, (_, i) => `"k${i}"${space()}:${space()}${value(depth + 1)}`).join(',')}}`;
  };
  return Array.from({ length: count }, () => `{"payload":${value(0)},"n":${number()}}`);
}

test('random lines of numbers: the scan names exactly the lines the regex names', () => {
  const lines = randomLines(11, 20_000, false);
  const named = scanLines(lines);
  let regexNamed = 0;
  lines.forEach((line, i) => {
    const risky = mayLosePrecision(line);
    if (risky) regexNamed++;
    assert.equal(named.has(i), risky, line);
  });
  assert.ok(regexNamed > 2_000 && regexNamed < 18_000, `a mix of both kinds: ${regexNamed}`);
});

test('random lines with strings: JSON.parse is exact on every line the scan does not name', () => {
  // Inside strings the two may differ (":.1234…" or ":1.e123" are no number tokens): what matters is
  // that a line left to JSON.parse gives exactly what the exact parser gives.
  const lines = randomLines(12, 20_000);
  const named = scanLines(lines);
  let checked = 0;
  lines.forEach((line, i) => {
    if (named.has(i)) return;
    assert.deepEqual(JSON.parse(line), parseJsonWithOwnParser(line), line);
    checked++;
  });
  assert.ok(checked > 2_000 && checked < 18_000, `a mix of both kinds: ${checked}`);
});

test('one byte range (riskyRange, what the envelope scan asks of a payload): the regex agrees', () => {
  const scanner = riskyNumberScanner();
  assert.ok(scanner);
  const riskyRange = scanner.riskyRange as (from: number, to: number) => number;
  const lines = randomLines(13, 5_000, false);
  let named = 0;
  for (const line of lines) {
    // The line in the middle of other bytes, as a payload sits in its line: the range is the value only.
    const value = line.slice('{"payload":'.length, line.lastIndexOf(',"n":'));
    scanner.load(encoder.encode(`{"x":12345678901234567890,"payload":${value}}\n{"y":1e999}`));
    const from = INPUT_OFFSET + '{"x":12345678901234567890,"payload":'.length;
    const risky = riskyRange(from, from + encoder.encode(value).length);
    assert.equal(risky, mayLosePrecision(`{"payload":${value}}`) ? 1 : 0, value);
    named += risky;
  }
  assert.ok(named > 500 && named < 4_500, `a mix of both kinds: ${named}`);
});

test('line flags across chunk boundaries: a line that spans chunks is always flagged', async () => {
  const lines = randomLines(13, 400);
  const bytes = encoder.encode(`${lines.join('\n')}\n`);
  for (const size of [1, 7, 100, 4096, bytes.length]) {
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    }
    let line = 0;
    let unflagged = 0;
    for await (const batch of lineBatches('x', chunks(), { scanNumbers: true })) {
      assert.ok(batch.riskyNumbers, 'flags are given');
      assert.equal(batch.riskyNumbers.length, batch.lines.length);
      batch.lines.forEach((text, i) => {
        assert.equal(text, lines[line + i]);
        if (mayLosePrecision(text)) assert.equal(batch.riskyNumbers?.[i], 1, `chunk size ${size}: ${text}`);
        if (batch.riskyNumbers?.[i] === 0) unflagged++;
      });
      line += batch.lines.length;
    }
    assert.equal(line, lines.length);
    if (size === bytes.length) assert.equal(unflagged, lines.length - scanLines(lines).size);
    if (size === 1) assert.equal(unflagged, 0, 'no line fits in one byte');
  }
});

test('the memory grows for a larger chunk and is reused for smaller ones', () => {
  const scanner = riskyNumberScanner();
  assert.ok(scanner);
  const big = `${'{"a":"x"}\n'.repeat(200_000)}{"a":12345678901234567}`;
  assert.deepEqual([...scanner.riskyLines(encoder.encode(big))], [200_000]);
  assert.deepEqual([...scanner.riskyLines(encoder.encode('{"a":1}\n{"b":1e-999}'))], [1]);
  // Bytes of the earlier, longer chunk left after a short one are not read as its continuation.
  assert.deepEqual([...scanner.riskyLines(encoder.encode('{"a":1234567'))], []);
});

test('events read through the scan equal events parsed by the exact parser alone', async () => {
  const table = compileTableDefinition(
    { schema: 'public', name: 't' },
    {
      columns: [
        ['id', 'bigint'],
        ['amount', 'numeric(38,10)'],
        ['doc', 'jsonb'],
      ],
      primaryKeys: ['id'],
    },
  );
  const options = { resolveTable: () => table };
  const random = seeded(14);
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const lines = Array.from({ length: 3_000 }, (_, i) => {
    const id = random() < 0.3 ? `1${digits(17)}` : String(i + 1);
    const amount = `${1 + Math.floor(random() * 9)}${digits(Math.floor(random() * 27))}.${digits(1 + Math.floor(random() * 9))}`;
    const doc = random() < 0.5 ? `{"n":[1,${digits(1)}.${digits(20)}],"s":"${digits(20)}"}` : '{"n":1.5}';
    return `{"uuid":"u${i}","source_timestamp":"2026-11-26T01:00:00Z","read_method":"postgresql-cdc","source_metadata":{"schema":"public","table":"t","change_type":"INSERT","is_deleted":false,"lsn":"1/${(i + 16).toString(16)}"},"payload":{"id":${id},"amount":${amount},"doc":${doc}}}`;
  });
  const bytes = encoder.encode(lines.join('\n'));
  const expected = lines.map((line, i) =>
    toChangeEvent({ object: 'o.jsonl', line: i + 1 }, parseJsonWithOwnParser(line), options),
  );
  for (const size of [13, 1000, bytes.length]) {
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    }
    assert.deepEqual(await readChangeEvents('o.jsonl', chunks(), options), expected, `chunk size ${size}`);
  }
});
