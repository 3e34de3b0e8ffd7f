// Argument parsing shared by the commands: node's strict parseArgs, with its errors (unknown option,
// missing value) turned into UsageError so the dispatcher prints the command's usage and exits 2.

import { parseTableKey, TableKeySyntaxError } from '../../shared/names/table-key.js';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CATALOG_FILE } from '../../shared/runtime/embedded.js';

/** The command line was wrong: the dispatcher prints the message and the command's usage, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A path given cannot be used as it is (a loop of symbolic links, a file where a folder is needed): the
 * dispatcher prints the message, one line naming the path, and exits 2.
 */
export class PathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathError';
  }
}

/**
 * A command line error as every command reports it: the message (and the usage, when given) on stderr,
 * and with --json among the options also one JSON object on stdout, for a program that reads only
 * stdout. The caller exits 2.
 */
export function reportCommandError(
  options: { command: string; kind: 'usage' | 'config' | 'path'; message: string; usage?: string },
  argv: readonly string[],
): void {
  const prefix = options.command === '' ? 'datastream-iceberg' : `datastream-iceberg ${options.command}`;
  process.stderr.write(`${prefix}: ${options.message}\n${options.usage ? `\n${options.usage}\n` : ''}`);
  // `--` ends the options: a --json after it is an argument
  const given = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (given.includes('--json')) {
    const error = { kind: options.kind, command: options.command, message: options.message };
    process.stdout.write(`${JSON.stringify({ error })}\n`);
  }
}

/** Options every command takes (`--help` is handled by the dispatcher before a command runs). */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config); // strict by default: unknown options are errors
  } catch (error) {
    if (error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'))
      throw new UsageError(error.message);
    throw error;
  }
}

export function requireOption(value: string | undefined, option: string, command: string): string {
  if (value === undefined || value === '') throw new UsageError(`${command} needs --${option}`);
  return value;
}

/** A positive integer option, or the fallback when absent. */
export function integerOption(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new UsageError(`--${option} must be a positive integer, got "${value}"`);
  return Number(value);
}

/**
 * The warehouse of a command that only reads: it must already hold catalog.db (opening a missing one
 * would create an empty warehouse and report "no tables", hiding a mistyped path).
 */
export function existingWarehouse(dir: string): string {
  const path = resolve(dir);
  if (!existsSync(join(path, CATALOG_FILE)))
    throw new UsageError(`${dir} is not a warehouse: it has no ${CATALOG_FILE}`);
  return path;
}

/**
 * `namespace.table` → its parts; the namespace is the source schema, the name the source table. A part
 * holding '.', '"' or white space is written in double quotes as in PostgreSQL: `'"a.b"."c"'`.
 */
export function parseTableName(
  text: string | undefined,
  command: string,
): { namespace: string; name: string } {
  if (!text) throw new UsageError(`${command} needs <namespace.table>`);
  try {
    const ref = parseTableKey(text);
    return { namespace: ref.schema, name: ref.name };
  } catch (error) {
    if (!(error instanceof TableKeySyntaxError)) throw error;
    throw new UsageError(
      `${JSON.stringify(text)} is not namespace.table (${error.reason}; for example public.products, or '"a.b"."c"' for names holding '.' or '"')`,
    );
  }
}
