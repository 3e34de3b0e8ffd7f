// The Datastream fixture scenarios (test/fixtures/datastream/scenarios): their files in arrival order,
// their declared tables and their expected final rows.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TableDefinition } from '../../shared/datastream/table.js';

/** Repository root, found from this compiled file (dist/test/support → repo). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SCENARIOS_ROOT = join(REPO_ROOT, 'test', 'fixtures', 'datastream', 'scenarios');

export interface Scenario {
  name: string;
  root: string;
  bucketRoot: string;
  /** Object names relative to the bucket, in arrival order (order.txt, else path order). */
  order: string[];
  tables: Record<string, TableDefinition>;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    })
    .sort();
}

export function loadScenario(name: string): Scenario {
  const root = join(SCENARIOS_ROOT, name);
  const bucketRoot = join(root, 'bucket');
  const orderFile = join(root, 'order.txt');
  let order: string[];
  try {
    order = readFileSync(orderFile, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  } catch {
    order = listFiles(bucketRoot).map((path) => relative(bucketRoot, path));
  }
  const raw = JSON.parse(readFileSync(join(root, 'tables.json'), 'utf8')) as Record<
    string,
    { primary_keys: string[]; columns: Array<[string, string]> }
  >;
  const tables = Object.fromEntries(
    Object.entries(raw).map(([key, t]) => [key, { columns: t.columns, primaryKeys: t.primary_keys }]),
  );
  return { name, root, bucketRoot, order, tables };
}

export function scenarioNames(): string[] {
  return readdirSync(SCENARIOS_ROOT)
    .filter((name) => statSync(join(SCENARIOS_ROOT, name)).isDirectory())
    .sort();
}
