// `datastream-iceberg status`: per table the last snapshot, the lag and what waits; the files that failed.

import { silentLogger } from '../../shared/log.js';
import {
  newestSourceTs,
  tableIdentifier,
  tableName,
  tableSnapshot,
  type Snapshot,
} from '../../shared/pipeline/table-info.js';
import { NoSuchTableError } from '../../shared/ports/catalog.js';
import { loadCloudConfig } from '../../shared/config.js';
import type { Catalog } from '../../shared/ports/catalog.js';
import type { ObjectStore } from '../../shared/ports/object-store.js';
import { fixedLater } from '../../shared/pipeline/fixed-later.js';
import type { ChangesetRecord, FileRecord, FileStatus, StateStore } from '../../shared/ports/state-store.js';
import { holderState } from '../../shared/adapters/embedded/process-holder.js';
import { createEmbeddedRuntime } from '../../shared/runtime/embedded.js';
import {
  COMMON_OPTIONS,
  existingWarehouse,
  integerOption,
  parseCommandLine,
  requireOption,
  UsageError,
} from './args.js';
import type { CliCommand } from './command.js';
import { watchStatus } from './status-watch.js';

/** Seconds between two reads of `status --watch`. */
const WATCH_INTERVAL_S = 5;

/** Failed files listed on the cloud: enough to act on, without reading every file record. */
const CLOUD_FAILED_LIMIT = 1000;

const USAGE = `usage: datastream-iceberg status --warehouse <dir> [--json] [--watch [--interval <s>]]
       datastream-iceberg status --cloud [--json] [--watch [--interval <s>]]

Per table (in the catalog, or with staged changes not committed yet): the last snapshot (id and commit
time), the lag (now − the newest source timestamp the table has applied), the change-sets staged but not
committed yet; then every file that failed, with its reason (a file whose later generation was applied is
listed as fixed, and no longer counts as failed).

With --cloud it reads the deployment the functions use, configured by the same environment variables
(GOOGLE_CLOUD_PROJECT, DSI_CATALOG_*, DSI_FIRESTORE_*, …; see the README): the tables of the catalog and the
failed files (up to ${CLOUD_FAILED_LIMIT}); files are not counted by status there (that would read every record).

options:
  --warehouse <dir>   the warehouse folder (holding catalog.db)
  --cloud             the cloud deployment instead of a warehouse folder
  --json              one JSON object on stdout: {tables, files, failedFiles, fixedFiles, abandonedFiles}
  --watch             read again every interval and redraw per table the lag and pending change-sets,
                      until Ctrl-C (exit 0); not on a terminal each read follows the last after a
                      blank line; with --json one JSON line per read, with its time in "at"
  --interval <s>      seconds between reads with --watch (default ${WATCH_INTERVAL_S})
  -h, --help          this help

A warehouse's tables also show the change-sets left pending by a run that is over (it died, or its
commit failed: the next apply or run of their files finishes them), why a table's last commit failed,
and the files a run that died left half-read (the next apply or run reads them again).

exit codes: 0 nothing failed or left behind, 1 some file failed, a table's last commit failed, or a run
that is over left change-sets pending or a file half-read, 2 usage (or the folder is no warehouse)`;

/** Far above any real backlog; a table with more pending change-sets is reported as at least this. */
const PENDING_LIMIT = 100_000;
/** Files counted by status; a local warehouse stays far below it. */
const FILES_LIMIT = 1_000_000;

export interface TableStatus {
  table: string;
  snapshotId: string | null;
  snapshotAt: string | null;
  newestSourceTs: string | null;
  lagMs: number | null;
  pendingChangesets: number;
  /** Of those, the ones whose run is over (it died or gave up); null on the cloud. */
  strandedChangesets: number | null;
  /** Why the table's last commit failed, until one succeeds; null when it did not (or on the cloud). */
  failure: string | null;
}

export interface StatusReport {
  tables: TableStatus[];
  /** Files by status; null on the cloud, where counting would read every file record. */
  files: Record<FileStatus, number> | null;
  failedFiles: Array<{ file: string; reason: string | null }>;
  /** Files that failed and whose later generation was applied: history, not a failure any more. */
  fixedFiles: Array<{
    file: string;
    reason: string | null;
    failedGeneration: string;
    fixedGeneration: string;
  }>;
  /** Files a run that died left half-read (the next apply or run reads them again); null on the cloud. */
  abandonedFiles: string[] | null;
}

export async function readStatus(warehouse: string, now = Date.now()): Promise<StatusReport> {
  const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger });
  try {
    const all = await runtime.state.listFiles({ limit: FILES_LIMIT });
    const files: Record<FileStatus, number> = { processing: 0, staged: 0, failed: 0, ignored: 0 };
    for (const f of all) files[f.status] += 1;
    // tables with staged changes that no commit has created yet count too
    const staged = all.flatMap((f) => Object.keys(f.eventCounts));
    const failures = new Map(runtime.state.listTableFailures().map((f) => [f.table, f.reason]));
    const holders = new Map(all.map((f) => [f.fileId, f.holder]));
    // a change-set is in its run while the process that staged its file lives
    const stranded = (cs: ChangesetRecord): boolean => holderState(holders.get(cs.fileId)) !== 'alive';
    const report = await statusOf(runtime, all, staged, files, now, { failures, stranded });
    const abandoned = all.filter((f) => f.status === 'processing' && holderState(f.holder) !== 'alive');
    return { ...report, abandonedFiles: abandoned.map((f) => f.location) };
  } finally {
    runtime.close();
  }
}

/** The same report for the cloud deployment (configuration from the environment, as the functions). */
export async function readCloudStatus(now = Date.now()): Promise<StatusReport> {
  const config = loadCloudConfig();
  // The cloud clients take seconds to load: only --cloud pays for them.
  const { createCloudRuntime } = await import('../../shared/runtime/cloud.js');
  const runtime = createCloudRuntime(config);
  const failed = await runtime.state.listFiles({ status: 'failed', limit: CLOUD_FAILED_LIMIT });
  return statusOf(runtime, failed, [], null, now);
}

async function statusOf(
  ports: { catalog: Catalog; state: StateStore; objects: ObjectStore },
  files: readonly FileRecord[],
  extraTables: readonly string[],
  counts: Record<FileStatus, number> | null,
  now: number,
  local?: { failures: ReadonlyMap<string, string>; stranded: (cs: ChangesetRecord) => boolean },
): Promise<StatusReport> {
  const failedFiles: StatusReport['failedFiles'] = [];
  const fixedFiles: StatusReport['fixedFiles'] = [];
  for (const f of files) {
    if (f.status !== 'failed') continue;
    const later = await fixedLater(ports, f);
    if (later === undefined) failedFiles.push({ file: f.location, reason: f.reason ?? null });
    else
      fixedFiles.push({
        file: f.location,
        reason: f.reason ?? null,
        failedGeneration: f.generation,
        fixedGeneration: later.generation,
      });
  }
  const keys = new Set<string>([...extraTables, ...(local?.failures.keys() ?? [])]);
  for (const namespace of await ports.catalog.listNamespaces()) {
    for (const id of await ports.catalog.listTables(namespace)) keys.add(tableName(id));
  }
  const tables: TableStatus[] = [];
  for (const key of [...keys].sort()) {
    let snapshot: Snapshot | undefined;
    let newest: string | undefined;
    try {
      const { metadata } = await ports.catalog.loadTable(tableIdentifier(key));
      snapshot = tableSnapshot(metadata);
      newest = newestSourceTs(metadata);
    } catch (error) {
      if (!(error instanceof NoSuchTableError)) throw error;
    }
    const pending = await ports.state.listPendingChangesets(key, PENDING_LIMIT);
    tables.push({
      table: key,
      snapshotId: snapshot ? String(snapshot['snapshot-id']) : null,
      snapshotAt: snapshot ? new Date(Number(snapshot['timestamp-ms'])).toISOString() : null,
      newestSourceTs: newest === undefined ? null : new Date(Number(newest)).toISOString(),
      lagMs: newest === undefined ? null : now - Number(newest),
      pendingChangesets: pending.length,
      strandedChangesets: local ? pending.filter(local.stranded).length : null,
      failure: local?.failures.get(key) ?? null,
    });
  }
  return { tables, files: counts, failedFiles, fixedFiles, abandonedFiles: null };
}

/** 93 s → "1m33s"; lags are read by people, so seconds and up. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor(s / 3600) % 24).padStart(2, '0')}h`;
}

export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'per table: last snapshot, lag, pending change-sets; failed files with reasons',
  usage: USAGE,
  async run(argv) {
    const { values } = parseCommandLine({
      args: [...argv],
      options: {
        ...COMMON_OPTIONS,
        warehouse: { type: 'string' },
        cloud: { type: 'boolean' },
        watch: { type: 'boolean' },
        interval: { type: 'string' },
      },
    });
    if (values.cloud && values.warehouse)
      throw new UsageError('status: --cloud and --warehouse exclude each other');
    if (values.interval !== undefined && !values.watch)
      throw new UsageError('status: --interval goes with --watch');
    const warehouse = values.cloud
      ? undefined
      : existingWarehouse(requireOption(values.warehouse, 'warehouse <dir>', 'status'));
    const read = () => (warehouse === undefined ? readCloudStatus() : readStatus(warehouse));
    if (values.watch) {
      const intervalMs = integerOption(values.interval, 'interval', WATCH_INTERVAL_S) * 1000;
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      // a reader that goes away (`| head`) ends the watch as Ctrl-C does, not with an EPIPE crash
      process.stdout.on('error', () => stop.abort());
      const write = (text: string) => {
        if (!stop.signal.aborted) process.stdout.write(text);
      };
      await watchStatus(read, {
        intervalMs,
        json: values.json === true,
        terminal: process.stdout.isTTY === true,
        write,
        signal: stop.signal,
      });
      return 0;
    }
    const report = await read();
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      for (const t of report.tables) {
        const lag = t.lagMs === null ? 'lag unknown' : `lag ${formatDuration(t.lagMs)}`;
        const stranded = t.strandedChangesets ? ` (${t.strandedChangesets} left by a run that is over)` : '';
        process.stdout.write(
          `${t.table}: snapshot ${t.snapshotId ?? '-'} (${t.snapshotAt ?? 'never'}), ${lag}, ` +
            `${t.pendingChangesets} pending${stranded}\n`,
        );
      }
      for (const t of report.tables) {
        if (t.failure !== null) process.stdout.write(`failing: ${t.table}: ${t.failure}\n`);
      }
      for (const f of report.failedFiles) process.stdout.write(`failed: ${f.file}: ${f.reason ?? '?'}\n`);
      for (const f of report.fixedFiles)
        process.stdout.write(`fixed by a later generation: ${f.file} (it failed: ${f.reason ?? '?'})\n`);
      for (const f of report.abandonedFiles ?? [])
        process.stdout.write(`left half-read by a run that died: ${f}\n`);
      const { files } = report;
      process.stdout.write(
        files
          ? `${report.tables.length} tables; files: ${files.staged} staged, ${report.failedFiles.length} failed` +
              `${report.fixedFiles.length > 0 ? ` (${report.fixedFiles.length} more fixed later)` : ''}, ` +
              `${files.processing} in progress\n`
          : `${report.tables.length} tables; ${report.failedFiles.length} failed files\n`,
      );
    }
    const leftBehind =
      (report.abandonedFiles?.length ?? 0) > 0 ||
      report.tables.some((t) => t.failure !== null || (t.strandedChangesets ?? 0) > 0);
    return report.failedFiles.length > 0 || leftBehind ? 1 : 0;
  },
};
