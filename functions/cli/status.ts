// `datastream-iceberg status`: per table the last snapshot, the lag and what waits; the files that failed.

import { NEWEST_SOURCE_TS_SUMMARY_KEY } from '../../shared/cow/table-properties.js';
import type { Snapshot } from '../../shared/iceberg/metadata-types.js';
import { currentSnapshot } from '../../shared/iceberg/snapshot.js';
import { silentLogger } from '../../shared/log.js';
import { tableIdentifier } from '../../shared/pipeline/commit-table.js';
import { NoSuchTableError } from '../../shared/ports/catalog.js';
import type { FileStatus } from '../../shared/ports/state-store.js';
import { createEmbeddedRuntime } from '../../shared/runtime/embedded.js';
import { COMMON_OPTIONS, existingWarehouse, parseCommandLine, requireOption } from './args.js';
import type { CliCommand } from './command.js';

const USAGE = `usage: datastream-iceberg status --warehouse <dir> [--json]

Per table (in the catalog, or with staged changes not committed yet): the last snapshot (id and commit
time), the lag (now − the newest source timestamp the table has applied), the change-sets staged but not
committed yet; then every file that failed, with its reason.

options:
  --warehouse <dir>   the warehouse folder (holding catalog.db)
  --json              one JSON object on stdout: {tables, files, failedFiles}
  -h, --help          this help

exit codes: 0 no failed file, 1 some file failed, 2 usage (or the folder is no warehouse)`;

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
}

export interface StatusReport {
  tables: TableStatus[];
  files: Record<FileStatus, number>;
  failedFiles: Array<{ file: string; reason: string | null }>;
}

export async function readStatus(warehouse: string, now = Date.now()): Promise<StatusReport> {
  const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger });
  try {
    const all = await runtime.state.listFiles({ limit: FILES_LIMIT });
    const files: Record<FileStatus, number> = { processing: 0, staged: 0, failed: 0, ignored: 0 };
    for (const f of all) files[f.status] += 1;
    const failedFiles = all
      .filter((f) => f.status === 'failed')
      .map((f) => ({ file: f.location, reason: f.reason ?? null }));
    // the catalog's tables, and tables with staged changes that no commit has created yet
    const keys = new Set<string>();
    for (const namespace of await runtime.catalog.listNamespaces()) {
      for (const id of await runtime.catalog.listTables(namespace))
        keys.add(`${id.namespace.join('.')}.${id.name}`);
    }
    for (const f of all) for (const table of Object.keys(f.eventCounts)) keys.add(table);
    const tables: TableStatus[] = [];
    for (const key of [...keys].sort()) {
      let snapshot: Snapshot | undefined;
      try {
        snapshot = currentSnapshot((await runtime.catalog.loadTable(tableIdentifier(key))).metadata);
      } catch (error) {
        if (!(error instanceof NoSuchTableError)) throw error;
      }
      const newest = snapshot?.summary[NEWEST_SOURCE_TS_SUMMARY_KEY];
      tables.push({
        table: key,
        snapshotId: snapshot ? String(snapshot['snapshot-id']) : null,
        snapshotAt: snapshot ? new Date(Number(snapshot['timestamp-ms'])).toISOString() : null,
        newestSourceTs: newest === undefined ? null : new Date(Number(newest)).toISOString(),
        lagMs: newest === undefined ? null : now - Number(newest),
        pendingChangesets: (await runtime.state.listPendingChangesets(key, PENDING_LIMIT)).length,
      });
    }
    return { tables, files, failedFiles };
  } finally {
    runtime.close();
  }
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
      options: { ...COMMON_OPTIONS, warehouse: { type: 'string' } },
    });
    const warehouse = existingWarehouse(requireOption(values.warehouse, 'warehouse <dir>', 'status'));
    const report = await readStatus(warehouse);
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      for (const t of report.tables) {
        const lag = t.lagMs === null ? 'lag unknown' : `lag ${formatDuration(t.lagMs)}`;
        process.stdout.write(
          `${t.table}: snapshot ${t.snapshotId ?? '-'} (${t.snapshotAt ?? 'never'}), ${lag}, ` +
            `${t.pendingChangesets} pending\n`,
        );
      }
      for (const f of report.failedFiles) process.stdout.write(`failed: ${f.file}: ${f.reason ?? '?'}\n`);
      const { files } = report;
      process.stdout.write(
        `${report.tables.length} tables; files: ${files.staged} staged, ${files.failed} failed, ` +
          `${files.processing} in progress\n`,
      );
    }
    return report.failedFiles.length > 0 ? 1 : 0;
  },
};
