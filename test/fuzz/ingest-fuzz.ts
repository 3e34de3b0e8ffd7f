// Ingest fuzzer: `npm run fuzz -- [--cases 100000] [--seed 1]`.
// Mutates real fixture lines (bit flips, truncation, value type swaps, huge values, deep nesting,
// spliced bytes, gzip wrapping) and reads each result as a Datastream object. The only acceptable
// outcomes are events or a typed DatastreamError; any other exception is a failure and is printed
// with the case that caused it. Accepted events must also survive a change-set round trip, and a case
// that is not gzip must read the same in chunks of any size as in one chunk: the same events, or the
// same error.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { isDeepStrictEqual } from 'node:util';
import { tableKey, type ChangeEvent, type TableRef } from '../../shared/changes/change-event.js';
import { decodeChangeSet, encodeChangeSet } from '../../shared/changes/change-set.js';
import { DatastreamError } from '../../shared/datastream/errors.js';
import {
  readChangeEvents,
  readDatastreamObject,
  type ReadOptions,
} from '../../shared/datastream/read-object.js';
import type { CompiledTable } from '../../shared/datastream/table.js';
import { loadScenario, scenarioNames, SCENARIOS_DIR } from '../unit/datastream/scenario-fixtures.js';
import { seeded } from '../support/random.js';

export interface FuzzResult {
  cases: number;
  accepted: number;
  rejected: Record<string, number>;
  failures: Array<{ case: number; mutations: string[]; error: string; input: string }>;
  seconds: number;
}

// Deterministic (mulberry32), so a failing case can be replayed from its seed and number.
const rng = seeded;

function seedLines(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.jsonl(\.gz)?$/.test(name)) {
        let bytes = readFileSync(path);
        if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
          try {
            bytes = gunzipSync(bytes);
          } catch {
            continue; // the deliberately truncated file
          }
        }
        out.push(
          ...bytes
            .toString('utf8')
            .split('\n')
            .filter((l) => l.trim() !== ''),
        );
      }
    }
  };
  walk(SCENARIOS_DIR);
  return out;
}

function allTables(): ReadOptions {
  const tables = new Map<string, CompiledTable>();
  for (const name of scenarioNames()) {
    for (const [key, table] of loadScenario(name).tables) if (!tables.has(key)) tables.set(key, table);
  }
  // The schema-evolution products table is a superset of the others: prefer it.
  const evolved = loadScenario('schema-evolution').tables.get('public.products');
  if (evolved) tables.set('public.products', evolved);
  return { resolveTable: (ref: TableRef) => tables.get(tableKey(ref)) };
}

const HUGE_VALUES: Array<(r: () => number) => unknown> = [
  () => `1${'0'.repeat(400)}`,
  () => '1e999999999',
  () => '-0.' + '0'.repeat(500) + '1',
  () => '9'.repeat(40),
  () => 'x'.repeat(100_000),
  () => '"' + '\\u0000'.repeat(10) + '"',
  (r) => String(Math.floor(r() * 2 ** 64)),
  () => '"infinity"',
  () => '"-infinity"',
  () => '"NaN"',
  () => '"9999-12-31T23:59:59.9999999Z"',
  () => '"0000-00-00"',
  () => '"\\x' + 'zz' + '"',
  () => '{"nestedArray":[{"nestedArray":null,"elementValue":1}],"elementValue":null}',
];

const SWAP_VALUES = [
  'null',
  'true',
  '0',
  '-1',
  '1.5',
  '""',
  '"text"',
  '[]',
  '{}',
  '[null]',
  '{"a":[1]}',
  '"2026-11-24"',
];

/** Replace the value after a random key with another JSON text. */
function replaceValue(line: string, r: () => number, replacement: string): string {
  const keys = [...line.matchAll(/"([A-Za-z_]+)":/g)];
  if (keys.length === 0) return line;
  const match = keys[Math.floor(r() * keys.length)] as RegExpMatchArray;
  const start = (match.index ?? 0) + match[0].length;
  // Find the end of the value: scan balanced brackets and strings.
  let depth = 0;
  let i = start;
  let inString = false;
  for (; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0) break;
  }
  return line.slice(0, start) + replacement + line.slice(i);
}

type Mutation = (bytes: Uint8Array, r: () => number) => { bytes: Uint8Array; name: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const MUTATIONS: Mutation[] = [
  (bytes, r) => {
    const out = bytes.slice();
    const flips = 1 + Math.floor(r() * 4);
    for (let k = 0; k < flips && out.length > 0; k++)
      out[Math.floor(r() * out.length)]! ^= 1 << Math.floor(r() * 8);
    return { bytes: out, name: `bit flips x${flips}` };
  },
  (bytes, r) => {
    const at = Math.floor(r() * bytes.length);
    return { bytes: bytes.slice(0, at), name: `truncate at ${at}` };
  },
  (bytes, r) => {
    const value = SWAP_VALUES[Math.floor(r() * SWAP_VALUES.length)] as string;
    return {
      bytes: encoder.encode(replaceValue(decoder.decode(bytes), r, value)),
      name: `swap value → ${value}`,
    };
  },
  (bytes, r) => {
    const make = HUGE_VALUES[Math.floor(r() * HUGE_VALUES.length)] as (r: () => number) => unknown;
    const value = String(make(r));
    return {
      bytes: encoder.encode(replaceValue(decoder.decode(bytes), r, value)),
      name: `huge value ${value.slice(0, 30)}`,
    };
  },
  (bytes, r) => {
    const depth = [10, 1000, 100_000][Math.floor(r() * 3)] as number;
    const nested = '['.repeat(depth) + '1' + ']'.repeat(depth);
    const objects = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const value = r() < 0.5 ? nested : objects;
    return {
      bytes: encoder.encode(replaceValue(decoder.decode(bytes), r, value)),
      name: `deep nesting ${depth}`,
    };
  },
  (bytes, r) => {
    const at = Math.floor(r() * bytes.length);
    const junk = encoder.encode(
      [',', '}', ']', '"', '\\', '\n', '\u0000', ':', '99999999999999999999', '가'][
        Math.floor(r() * 10)
      ] as string,
    );
    const out = new Uint8Array(bytes.length + junk.length);
    out.set(bytes.subarray(0, at));
    out.set(junk, at);
    out.set(bytes.subarray(at), at + junk.length);
    return { bytes: out, name: `insert at ${at}` };
  },
  (bytes, r) => {
    const at = Math.floor(r() * bytes.length);
    const length = Math.min(Math.floor(r() * 20), bytes.length - at);
    const out = new Uint8Array(bytes.length - length);
    out.set(bytes.subarray(0, at));
    out.set(bytes.subarray(at + length), at);
    return { bytes: out, name: `delete ${length} at ${at}` };
  },
  (bytes, r) => {
    const gz = gzipSync(bytes);
    const cut = r() < 0.5 ? gz.length : Math.floor(r() * gz.length);
    return { bytes: gz.subarray(0, cut), name: cut === gz.length ? 'gzip' : `gzip truncated at ${cut}` };
  },
];

async function* stream(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The events of a read in chunks of `size`, and its error's class and message if it failed. */
async function readOutcome(
  name: string,
  bytes: Uint8Array,
  size: number,
  options: ReadOptions,
): Promise<{ events: ChangeEvent[]; error: string | undefined }> {
  const events: ChangeEvent[] = [];
  try {
    await readDatastreamObject(name, stream(bytes, Math.max(1, size)), options, (e) => events.push(e));
  } catch (error) {
    return { events, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  return { events, error: undefined };
}

export async function runFuzz(cases: number, seed = 1): Promise<FuzzResult> {
  const started = process.hrtime.bigint();
  const lines = seedLines();
  const options = allTables();
  const r = rng(seed);
  const result: FuzzResult = { cases, accepted: 0, rejected: {}, failures: [], seconds: 0 };
  for (let n = 0; n < cases; n++) {
    // One to three seed lines, so line numbers past 1 are exercised too.
    const count = 1 + Math.floor(r() * 3);
    let bytes: Uint8Array = encoder.encode(
      Array.from({ length: count }, () => lines[Math.floor(r() * lines.length)] as string).join('\n') + '\n',
    );
    const mutations: string[] = [];
    const rounds = 1 + Math.floor(r() * 3);
    for (let k = 0; k < rounds; k++) {
      const mutate = MUTATIONS[Math.floor(r() * MUTATIONS.length)] as Mutation;
      const out = mutate(bytes, r);
      bytes = out.bytes;
      mutations.push(out.name);
    }
    const name = `fuzz/case-${n}.jsonl`;
    const chunkSize = 1 + Math.floor(r() * 4096);
    // Chunk boundaries must change nothing: the same events or the same error as in one chunk. Not for
    // gzip: a corrupt stream is found where the inflater stops, which may come before or after a bad
    // line depending on how much was inflated at once.
    if (bytes[0] !== 0x1f) {
      const whole = await readOutcome(name, bytes, bytes.length, options);
      const chunked = await readOutcome(name, bytes, chunkSize, options);
      if (!isDeepStrictEqual(whole, chunked)) {
        result.failures.push({
          case: n,
          mutations,
          error: `chunks of ${chunkSize} read it differently: ${chunked.error} / ${whole.error}`,
          input: decoder.decode(bytes.subarray(0, 300)),
        });
      }
    }
    try {
      const events: ChangeEvent[] = await readChangeEvents(name, stream(bytes, chunkSize), options);
      result.accepted++;
      // Accepted events must round-trip through a change-set of their table.
      const byTable = new Map<string, ChangeEvent[]>();
      for (const e of events) byTable.set(tableKey(e.table), [...(byTable.get(tableKey(e.table)) ?? []), e]);
      for (const [key, tableEvents] of byTable) {
        const table = options.resolveTable((tableEvents[0] as ChangeEvent).table) as CompiledTable;
        const header = {
          table: table.ref,
          source: { bucket: 'fuzz', name, generation: String(n) },
          schema: table.schema,
          primaryKeys: table.primaryKeys,
        };
        const decoded = decodeChangeSet(encodeChangeSet(header, tableEvents)).events;
        if (!isDeepStrictEqual(decoded, tableEvents))
          throw new Error(`change-set round trip differs for ${key}`);
      }
    } catch (error) {
      if (error instanceof DatastreamError) {
        result.rejected[error.name] = (result.rejected[error.name] ?? 0) + 1;
      } else {
        result.failures.push({
          case: n,
          mutations,
          error: error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : String(error),
          input: decoder.decode(bytes.subarray(0, 300)),
        });
      }
    }
  }
  result.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return result;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const cases = option('--cases', 100_000);
  const seed = option('--seed', 1);
  const result = await runFuzz(cases, seed);
  for (const failure of result.failures.slice(0, 20)) {
    console.log(
      `FAIL case ${failure.case} [${failure.mutations.join('; ')}]: ${failure.error}\n  input: ${JSON.stringify(failure.input)}`,
    );
  }
  const summary = {
    fuzz: 'ingest',
    seed,
    cases: result.cases,
    accepted: result.accepted,
    rejected: result.rejected,
    failures: result.failures.length,
    seconds: Number(result.seconds.toFixed(1)),
    cases_per_s: Math.round(result.cases / result.seconds),
  };
  console.log(JSON.stringify(summary));
  process.exitCode = result.failures.length === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
