// `datastream-iceberg maintain <namespace.table>`: compact small files, expire old snapshots and remove
// orphan files of one table. On a warehouse folder (embedded defaults) it runs here, under the table's
// lease, so it never races a commit; with --cloud it enqueues a maintenance task on the table's Cloud
// Tasks queue and the commit function runs it under the same lease.

import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadCloudConfig } from '../../shared/config.js';
import { createLogger, silentLogger } from '../../shared/log.js';
import type { CompactResult } from '../../shared/maintenance/compact.js';
import { maintainTable, type MaintenanceResult } from '../../shared/maintenance/maintain-table.js';
import {
  maintenanceOptionsFromJson,
  parseDuration,
  type MaintenanceOptions,
} from '../../shared/maintenance/options.js';
import { NoSuchTableError } from '../../shared/ports/catalog.js';
import { createEmbeddedRuntime } from '../../shared/runtime/embedded.js';
import { parseTableKey, tableKey, tableKeyProblem } from '../../shared/names/table-key.js';
import { reportCommandError, UsageError } from './args.js';
import type { CliCommand } from './command.js';

const USAGE = `usage: datastream-iceberg maintain <namespace.table> --warehouse <dir> [options]
       datastream-iceberg maintain <namespace.table> --cloud [options]

Compacts small data files (per partition, into files of the target size, rows sorted by key; one
'replace' snapshot), expires old snapshots and deletes the files only they used, and removes orphan files
(under the table's data/ and metadata/, referenced by nothing, older than a safety window). Runs under
the table's lease: a commit in progress makes it wait (--wait) or report the table busy.

options:
  --warehouse <dir>            the warehouse folder (catalog.db) of the embedded defaults
  --cloud                      enqueue a maintenance task on the table's queue (configuration from the
                               environment, as the functions) instead of running here
  --expire-older-than <dur>    expire snapshots older than this (default: table property
                               history.expire.max-snapshot-age-ms, else 5d)
  --retain-last <n>            always keep main's newest n snapshots (default: table property
                               history.expire.min-snapshots-to-keep, else 1)
  --orphans-older-than <dur>   delete unreferenced files only when older than this (default 3d)
  --target-file-size <bytes>   size of compacted files (default: table property
                               write.target-file-size-bytes, else 134217728)
  --min-input-files <n>        compact a partition only with this many small files (default 5)
  --no-compact, --no-expire, --no-orphans
                               skip a step
  --wait <dur>                 wait this long for a busy table (default 0: report busy)
  --dry-run                    plan and list only; nothing is written or deleted
  --json                       one JSON object on stdout instead of text
  --verbose                    structured logs on stdout
  -h, --help                   this help

durations: 500ms, 30s, 90m, 36h, 5d, 2w (0 for none)
exit codes: 0 done, 1 the table was busy or the lease was lost, 2 usage error`;

function count(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`${option}: "${text}" is not a whole number`);
  return Number(text);
}

function duration(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDuration(text, option);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const mb = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
const seconds = (ms: number | undefined): string => `${((ms ?? 0) / 1000).toFixed(1)} s`;

/** What compaction writes: a plan writes nothing yet, and each group becomes about one file. */
function outputFiles(c: CompactResult): string {
  if (c.status === 'planned') return `${c.bins} file${c.bins === 1 ? '' : 's'} (planned: one per group)`;
  return `${c.addedFiles} files (${mb(c.addedBytes)})`;
}

function describe(result: MaintenanceResult): string {
  if (result.status === 'lease-busy')
    return `${result.table}: busy (a commit holds the table's lease); nothing done, try again or use --wait\n`;
  if (result.status === 'lease-lost')
    return `${result.table}: stopped, the table's lease was lost (${result.reason})\n`;
  const lines = [`${result.table}: maintained${result.dryRun ? ' (dry run: nothing changed)' : ''}`];
  lines.push(`  live data files: ${result.liveDataFiles.before} → ${result.liveDataFiles.after}`);
  const tf = result.tableFiles;
  lines.push(
    `  table files: ${tf.before.files} (${mb(tf.before.bytes)}) → ${tf.after.files} (${mb(tf.after.bytes)})`,
  );
  const c = result.compaction;
  if (c) {
    lines.push(
      c.status === 'nothing-to-do'
        ? '  compaction: no partition has enough small files'
        : `  compaction (${c.status}${c.reason ? `: ${c.reason}` : ''}): ${c.rewrittenFiles} files (${mb(c.rewrittenBytes)}) in ` +
            `${c.bins} groups → ${outputFiles(c)}, ${c.records} rows` +
            `${c.snapshotId ? `, snapshot ${c.snapshotId}` : ''} [${seconds(result.durationMs.compaction)}]`,
    );
    if (c.folded.length > 0) {
      lines.push(
        `  position deletes ${result.dryRun ? 'to fold' : 'folded'}: ${c.folded.length} data files, ` +
          `${c.removedDeleteFiles} delete files, ${c.deletedRows} deleted rows`,
      );
      if (result.dryRun)
        for (const f of c.folded)
          lines.push(`    ${f.path}: ${f.deleteFiles.length} delete files, ${f.deletedRows} deleted rows`);
    }
  }
  const e = result.expire;
  if (e) {
    lines.push(
      `  expire: ${e.expiredSnapshots.length} snapshots expired, ${e.keptSnapshots} kept; ` +
        `${e.files.dataFiles.length} data files, ${e.files.manifests.length} manifests, ` +
        `${e.files.manifestLists.length} manifest lists ${e.dryRun ? 'to delete' : `deleted (${mb(e.deletedBytes)})`}`,
    );
  }
  const o = result.orphans;
  if (o) {
    lines.push(
      `  orphans: ${o.removed.length} ${o.dryRun ? 'to remove' : 'removed'} (${mb(o.removedBytes)}), ` +
        `${o.tooYoung} unreferenced files within the safety window kept`,
    );
    if (o.dryRun) for (const f of o.removed) lines.push(`    ${f.location}`);
  }
  if (e?.dryRun)
    for (const f of [...e.files.dataFiles, ...e.files.manifests, ...e.files.manifestLists])
      lines.push(`    ${f}`);
  lines.push(`  time: ${seconds(result.durationMs.total)}`);
  return `${lines.join('\n')}\n`;
}

async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      warehouse: { type: 'string' },
      cloud: { type: 'boolean' },
      'expire-older-than': { type: 'string' },
      'retain-last': { type: 'string' },
      'orphans-older-than': { type: 'string' },
      'target-file-size': { type: 'string' },
      'min-input-files': { type: 'string' },
      'no-compact': { type: 'boolean' },
      'no-expire': { type: 'boolean' },
      'no-orphans': { type: 'boolean' },
      wait: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('maintain needs exactly one <namespace.table>');
  // the canonical key: the lease and the queue are the ones the commits of this table use
  const problem = tableKeyProblem(positionals[0]!);
  if (problem) throw new UsageError(problem);
  const table = tableKey(parseTableKey(positionals[0]!));
  if (!values.warehouse === !values.cloud)
    throw new UsageError('maintain needs --warehouse <dir> or --cloud');

  const options: MaintenanceOptions = {};
  const set = <K extends keyof MaintenanceOptions>(key: K, value: MaintenanceOptions[K] | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  set('expireOlderThanMs', duration(values['expire-older-than'], '--expire-older-than'));
  set('retainLast', count(values['retain-last'], '--retain-last'));
  set('orphansOlderThanMs', duration(values['orphans-older-than'], '--orphans-older-than'));
  set('targetFileSizeBytes', count(values['target-file-size'], '--target-file-size'));
  set('minInputFiles', count(values['min-input-files'], '--min-input-files'));
  set('waitForLeaseMs', duration(values.wait, '--wait'));
  if (values['no-compact']) options.compact = false;
  if (values['no-expire']) options.expire = false;
  if (values['no-orphans']) options.removeOrphans = false;
  if (values['dry-run']) options.dryRun = true;
  const log = values.verbose ? createLogger({ component: 'datastream-iceberg' }) : silentLogger;

  if (values.cloud) {
    // the cloud clients load only when asked for: the embedded path starts faster without them
    const { createCloudRuntime } = await import('../../shared/runtime/cloud.js');
    // the commit function refuses options out of their bounds: say so here rather than enqueue them
    try {
      maintenanceOptionsFromJson(options);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const runtime = createCloudRuntime(loadCloudConfig());
    const taskId = `maintain-${randomUUID()}`;
    await runtime.queue.enqueue({
      taskId,
      table,
      changesetId: '',
      kind: 'maintain',
      maintenance: { ...options },
    });
    const report = { table, enqueued: taskId, options };
    process.stdout.write(
      values.json
        ? `${JSON.stringify(report)}\n`
        : `${table}: maintenance task ${taskId} enqueued on the table's queue\n`,
    );
    return 0;
  }

  const runtime = createEmbeddedRuntime({ warehouse: values.warehouse!, log });
  try {
    let result: MaintenanceResult;
    try {
      result = await maintainTable(runtime, table, options);
    } catch (error) {
      if (!(error instanceof NoSuchTableError)) throw error;
      process.stderr.write(`datastream-iceberg maintain: ${error.message} in ${runtime.catalogPath}\n`);
      return 1;
    }
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : describe(result));
    return result.status === 'done' ? 0 : 1;
  } finally {
    runtime.close();
  }
}

export const maintainCommand: CliCommand = {
  name: 'maintain',
  summary: 'compact small files, expire old snapshots and remove orphan files of one table',
  usage: USAGE,
  async run(argv) {
    try {
      return await run(argv);
    } catch (error) {
      const usage =
        error instanceof UsageError ||
        (error instanceof Error && error.name === 'ConfigError') ||
        (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
      if (!usage) throw error;
      const message = (error as Error).message;
      reportCommandError({ command: 'maintain', kind: 'usage', message, usage: USAGE }, argv);
      return 2;
    }
  },
};
