// The `datastream-iceberg` command as a user runs it (the package's bin script, in a child process), and
// what the CLI tests need around it: a temp warehouse, PyIceberg jobs on its catalog.db, a scenario's
// expected rows in the canonical row form.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJsonLine } from '../../../shared/datastream/canonical-form.js';
import type { CompareJob } from '../../support/pyiceberg-compare.js';
import { REPO_ROOT, type Scenario } from '../../support/scenarios.js';

export const CLI = join(REPO_ROOT, 'scripts', 'datastream-iceberg.js');

export function cli(args: readonly string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

export function tempWarehouse(): string {
  return mkdtempSync(join(tmpdir(), 'dsi-cli-'));
}

/** PyIceberg's SqlCatalog properties for a warehouse's catalog.db. */
export function sqlCatalog(warehouse: string): Record<string, string> {
  return { type: 'sql', uri: `sqlite:///${join(warehouse, 'catalog.db')}`, warehouse: `file://${warehouse}` };
}

/** The tables a scenario's expected/ folder names (`namespace.table`). */
export function expectedTables(scenario: Scenario): string[] {
  return readdirSync(join(scenario.root, 'expected'))
    .map((file) => file.replace(/\.jsonl$/, ''))
    .sort();
}

/** One PyIceberg comparison job per expected table of a scenario applied to a warehouse. */
export function compareJobs(scenario: Scenario, warehouse: string, label = scenario.name): CompareJob[] {
  return expectedTables(scenario).map((table) => ({
    id: `${label} ${table}`,
    catalog: sqlCatalog(warehouse),
    table,
    columns: scenario.tables[table]!.columns,
    expected: join(scenario.root, 'expected', `${table}.jsonl`),
  }));
}

/** A scenario's expected rows of a table, each in the canonical text (keys sorted); sorted, or as in the file. */
export function expectedCanonical(scenario: Scenario, table: string, sorted = true): string[] {
  const lines = readFileSync(join(scenario.root, 'expected', `${table}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(canonicalJsonLine);
  return sorted ? lines.sort() : lines;
}
