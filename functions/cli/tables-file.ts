// Which declared table definitions a command uses: `--tables <file>` when given; otherwise the first
// `tables.json` found in the folder of the first path given or in a folder above it (a Datastream
// export laid out as `<root>/tables.json` + `<root>/bucket/…` is applied as `apply <root>/bucket`);
// otherwise none, and tables come from the catalog or from the change files themselves (an Avro
// file's schema, or the types a JSON payload's values show).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseTableDefinitions } from '../../shared/config.js';
import type { TableDefinition } from '../../shared/datastream/table.js';
import { UsageError } from './args.js';

export const TABLES_FILE = 'tables.json';

export interface DeclaredTables {
  /** The file read, or undefined when none was given or found. */
  source: string | undefined;
  tables: Record<string, TableDefinition>;
}

export function readTablesFile(path: string): Record<string, TableDefinition> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the tables file ${path}: ${(error as Error).message}`);
  }
  return parseTableDefinitions(text, path);
}

/** The nearest tables.json at or above `start` (a folder, or a file's folder). */
export function findTablesFile(start: string): string | undefined {
  let dir = resolve(start);
  if (existsSync(dir) && !statSync(dir).isDirectory()) dir = dirname(dir);
  for (;;) {
    const candidate = join(dir, TABLES_FILE);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function declaredTables(explicit: string | undefined, paths: readonly string[]): DeclaredTables {
  const source = explicit ?? (paths[0] === undefined ? undefined : findTablesFile(paths[0]));
  return { source, tables: source ? readTablesFile(source) : {} };
}
