// Loads the Datastream scenarios under test/fixtures/datastream: their tables, the files in arrival
// order, and the expected final rows. Shared by the scenario tests, the fuzzer and the benchmark.

import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableKey, type TableRef } from '../../../shared/changes/change-event.js';
import type { ReadOptions } from '../../../shared/datastream/read-object.js';
import {
  compileTableDefinition,
  type CompiledTable,
  type TableDefinition,
} from '../../../shared/datastream/table.js';

/** test/fixtures/datastream, found from the compiled file (dist/test/unit/datastream/…). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../../test/fixtures/datastream/', import.meta.url));
export const SCENARIOS_DIR = join(FIXTURES_DIR, 'scenarios');
export const REAL_AVRO_SAMPLE = join(FIXTURES_DIR, 'real-samples', 'postgresql-cdc-bytearray.avro');

export interface Scenario {
  name: string;
  dir: string;
  /** `schema.table` → definition as in tables.json. */
  definitions: Map<string, TableDefinition>;
  tables: Map<string, CompiledTable>;
  /** Object names relative to bucket/, in arrival order (all files for scenarios without order.txt). */
  files: string[];
  options: ReadOptions;
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(path, `${prefix}${name}/`));
    else out.push(`${prefix}${name}`);
  }
  return out;
}

export function scenarioNames(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((name) => statSync(join(SCENARIOS_DIR, name)).isDirectory())
    .sort();
}

export function loadScenario(name: string): Scenario {
  const dir = join(SCENARIOS_DIR, name);
  const raw = JSON.parse(readFileSync(join(dir, 'tables.json'), 'utf8')) as Record<
    string,
    { columns: Array<[string, string]>; primary_keys: string[] }
  >;
  const definitions = new Map<string, TableDefinition>();
  const tables = new Map<string, CompiledTable>();
  for (const [key, table] of Object.entries(raw)) {
    const [schema, tableName] = key.split('.') as [string, string];
    const definition = { columns: table.columns, primaryKeys: table.primary_keys };
    definitions.set(key, definition);
    tables.set(key, compileTableDefinition({ schema, name: tableName }, definition));
  }
  let files: string[];
  try {
    files = readFileSync(join(dir, 'order.txt'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
  } catch {
    files = listFiles(join(dir, 'bucket'));
  }
  return {
    name,
    dir,
    definitions,
    tables,
    files,
    options: { resolveTable: (ref: TableRef) => tables.get(tableKey(ref)) },
  };
}

export function objectPath(scenario: Scenario, file: string): string {
  return join(scenario.dir, 'bucket', file);
}

/** The object as the ObjectStore port streams it (file chunks; optionally tiny chunks). */
export function objectStream(path: string, highWaterMark?: number): AsyncIterable<Uint8Array> {
  return createReadStream(path, highWaterMark ? { highWaterMark } : {});
}

/** Expected final rows of a table, raw lines (parsed by the caller). */
export function expectedLines(scenario: Scenario, table: string): string[] {
  return readFileSync(join(scenario.dir, 'expected', `${table}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}
