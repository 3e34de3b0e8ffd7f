// The `datastream-iceberg` command: the pipeline on the embedded defaults (a warehouse folder with
// catalog.db), for local runs, replays and inspection. Exit codes: 0 done, 1 some input was rejected or a
// table task failed, 2 usage error.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseTableDefinitions } from '../shared/config.js';
import type { TableDefinition } from '../shared/datastream/table.js';
import { createLogger, silentLogger } from '../shared/log.js';
import { ingestFile, type IngestOutcome } from '../shared/pipeline/ingest-file.js';
import { createEmbeddedRuntime, type EmbeddedOptions } from '../shared/runtime/embedded.js';
import { commitTaskRunner } from './embedded-commit.js';

const USAGE = `usage: datastream-iceberg <command> [options]

commands:
  apply <files|folders…> --warehouse <dir> [--tables <tables.json>]
        apply Datastream files once, in the order given (folders in path order), then exit
  status --warehouse <dir>
        per table: pending change-sets and the last snapshot; failed files with reasons

options:
  --json       one JSON object on stdout instead of text
  --verbose    structured logs on stdout
  -h, --help   this help`;

class UsageError extends Error {}

interface SourceEntry {
  root: string;
  path: string;
}

/** Files of the arguments: a file as itself, a folder as its files in path order (hidden ones skipped). */
export function collectFiles(paths: string[]): SourceEntry[] {
  const out: SourceEntry[] = [];
  const walk = (root: string, dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(root, path);
      else out.push({ root, path });
    }
  };
  for (const arg of paths) {
    const path = resolve(arg);
    let stats;
    try {
      stats = statSync(path);
    } catch {
      throw new UsageError(`no such file or folder: ${arg}`);
    }
    if (stats.isDirectory()) walk(path, path);
    else out.push({ root: resolve(path, '..'), path });
  }
  return out;
}

function loadTables(path: string | undefined): Record<string, TableDefinition> {
  if (!path) return {};
  return parseTableDefinitions(readFileSync(path, 'utf8'), path);
}

async function apply(args: string[], json: boolean, verbose: boolean): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { warehouse: { type: 'string' }, tables: { type: 'string' } },
  });
  if (!values.warehouse) throw new UsageError('apply needs --warehouse <dir>');
  if (positionals.length === 0) throw new UsageError('apply needs at least one file or folder');
  const files = collectFiles(positionals);
  const failures: { table: string; error: string }[] = [];
  const options: EmbeddedOptions = {
    warehouse: values.warehouse,
    tables: loadTables(values.tables),
    log: verbose ? createLogger({ component: 'datastream-iceberg' }) : silentLogger,
    onTaskGivenUp: (task, error) =>
      failures.push({ table: task.table, error: error instanceof Error ? error.message : String(error) }),
  };
  options.onTask = commitTaskRunner();
  const runtime = createEmbeddedRuntime(options);
  const results: Array<{ file: string; outcome: IngestOutcome }> = [];
  try {
    for (const [index, entry] of files.entries()) {
      const name = relative(entry.root, entry.path);
      const info = await runtime.objects.stat(entry.path);
      const outcome = await ingestFile(runtime.ingestDependencies(), {
        bucket: basename(entry.root),
        name,
        generation: info?.generation ?? '0',
        location: entry.path,
      });
      results.push({ file: entry.path, outcome });
      if (!json) process.stderr.write(`[${index + 1}/${files.length}] ${name}: ${describe(outcome)}\n`);
    }
    await runtime.queue.drain();
  } finally {
    runtime.close();
  }
  const rejected = results.filter((r) => r.outcome.status === 'failed');
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ warehouse: runtime.warehouse, catalog: runtime.catalogPath, files: results, failures })}\n`,
    );
  } else {
    for (const r of rejected) {
      if (r.outcome.status === 'failed') process.stdout.write(`rejected: ${r.outcome.reason}\n`);
    }
    for (const f of failures) process.stdout.write(`table ${f.table} failed: ${f.error}\n`);
    process.stdout.write(
      `${results.length} files: ${results.filter((r) => r.outcome.status === 'staged').length} staged, ` +
        `${rejected.length} rejected, ${results.filter((r) => r.outcome.status === 'duplicate').length} already seen, ` +
        `${results.filter((r) => r.outcome.status === 'ignored').length} ignored; catalog ${runtime.catalogPath}\n`,
    );
  }
  return rejected.length > 0 || failures.length > 0 ? 1 : 0;
}

function describe(outcome: IngestOutcome): string {
  switch (outcome.status) {
    case 'staged':
      return `staged ${outcome.changesets.map((c) => `${c.events} events of ${c.table}`).join(', ')}`;
    case 'failed':
      return `rejected (${outcome.reason})`;
    case 'duplicate':
      return `already ${outcome.previous}`;
    case 'ignored':
      return `ignored (${outcome.reason})`;
  }
}

async function status(args: string[], json: boolean): Promise<number> {
  const { values } = parseArgs({ args, options: { warehouse: { type: 'string' } } });
  if (!values.warehouse) throw new UsageError('status needs --warehouse <dir>');
  const runtime = createEmbeddedRuntime({ warehouse: values.warehouse, log: silentLogger });
  try {
    const failed = await runtime.state.listFiles({ status: 'failed' });
    const namespaces = await runtime.catalog.listNamespaces();
    const tables = [];
    for (const namespace of namespaces) {
      for (const id of await runtime.catalog.listTables(namespace)) {
        const { metadata } = await runtime.catalog.loadTable(id);
        const key = `${id.namespace.join('.')}.${id.name}`;
        const pending = await runtime.state.listPendingChangesets(key, 10_000);
        const current = metadata.snapshots?.find((s) => s['snapshot-id'] === metadata['current-snapshot-id']);
        tables.push({
          table: key,
          snapshot: current ? String(current['snapshot-id']) : null,
          snapshotAt: current ? new Date(Number(current['timestamp-ms'])).toISOString() : null,
          pendingChangesets: pending.length,
        });
      }
    }
    const report = { tables, failedFiles: failed.map((f) => ({ file: f.location, reason: f.reason })) };
    if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      for (const t of tables) {
        process.stdout.write(
          `${t.table}: snapshot ${t.snapshot ?? '-'} (${t.snapshotAt ?? 'never'}), ${t.pendingChangesets} pending\n`,
        );
      }
      for (const f of report.failedFiles) process.stdout.write(`failed: ${f.file}: ${f.reason}\n`);
      if (tables.length === 0 && failed.length === 0) process.stdout.write('no tables yet\n');
    }
    return failed.length > 0 ? 1 : 0;
  } finally {
    runtime.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  const verbose = rest.includes('--verbose');
  const args = rest.filter((a) => a !== '--json' && a !== '--verbose');
  try {
    if (
      !command ||
      command === '-h' ||
      command === '--help' ||
      args.includes('--help') ||
      args.includes('-h')
    ) {
      process.stdout.write(`${USAGE}\n`);
      return command ? 0 : 2;
    }
    switch (command) {
      case 'apply':
        return await apply(args, json, verbose);
      case 'status':
        return await status(args, json);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error instanceof Error && error.name === 'ConfigError')) {
      process.stderr.write(`datastream-iceberg: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`datastream-iceberg: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `datastream-iceberg: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
