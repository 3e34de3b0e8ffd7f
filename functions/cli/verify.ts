// `datastream-iceberg verify`: a table against its PostgreSQL source table (shared/verify/).

import { silentLogger } from '../../shared/log.js';
import { loadCloudConfig } from '../../shared/config.js';
import { NoSuchTableError } from '../../shared/ports/catalog.js';
import type { Catalog } from '../../shared/ports/catalog.js';
import type { ObjectStore } from '../../shared/ports/object-store.js';
import { createEmbeddedRuntime } from '../../shared/runtime/embedded.js';
import { connectSource } from '../../shared/verify/postgres-source.js';
import {
  MAX_DEFAULT_RECHECK_MS,
  verifyTable,
  VerifyError,
  type VerifyReport,
} from '../../shared/verify/verify-table.js';
import {
  COMMON_OPTIONS,
  existingWarehouse,
  parseCommandLine,
  parseTableName,
  requireOption,
  UsageError,
} from './args.js';
import type { CliCommand } from './command.js';
import { createProgress, type ProgressStream } from './progress.js';

const USAGE = `usage: datastream-iceberg verify <namespace.table> --source <postgres url> --warehouse <dir> [options]
       datastream-iceberg verify <namespace.table> --source <postgres url> --cloud [options]

Compares the table with its PostgreSQL source table (schema = namespace, same table name): the row
counts, then fingerprints of key ranges (count and sum of row hashes PostgreSQL computes in SQL), cut
finer where they differ until the differing keys are found; rows travel only for those ranges. A
table without primary key is compared as a multiset of rows. When a column has no form PostgreSQL and
the table print identically (interval, inet, money, char(n), arrays of other types…), the table is
compared by streaming the source's row hashes through a cursor instead ("row-stream"; the output says so).

A key that differs is checked again after the lag window (the lag status reports) before it is
reported: changes still on their way are no difference. Differences print with the source's and the
table's row in the canonical form of \`show\`.

The source needs only SELECT on the table (and USAGE on its schema): no replication slot, no
REPLICATION attribute; the session is read-only. A password can come from PGPASSWORD instead of the URL.

options:
  --source <url>          the PostgreSQL source: postgres://user@host:port/database (libpq's environment
                          variables PGPASSWORD, PGSSLMODE… apply)
  --warehouse <dir>       the warehouse folder (holding catalog.db)
  --cloud                 the cloud deployment (configured by the environment, as \`status --cloud\`)
  --recheck-after <s>     seconds to wait before checking differing keys again; 0 checks at once
                          (default: the table's lag, at most ${MAX_DEFAULT_RECHECK_MS / 1000} s)
  --json                  one JSON object on stdout: counts, differences (source and table rows), timing
  -h, --help              this help

exit codes: 0 the table equals its source, 1 differences remain (or no such table), 2 usage`;

function recheckOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value))
    throw new UsageError(`--recheck-after must be a number of seconds (0 or more), got "${value}"`);
  return Math.round(Number(value) * 1000);
}

/** The report as one JSON object; rows stay canonical JSON (exact numbers) inside it. */
export function reportJson(report: VerifyReport): string {
  const { differences, ...rest } = report;
  const rows = differences.map(
    (d) =>
      `{"kind":${JSON.stringify(d.kind)},"key":${d.key ?? 'null'},"source":${d.source ?? 'null'},` +
      `"table":${d.table ?? 'null'},"count":${d.count}}`,
  );
  const head = JSON.stringify({ ...rest, equal: differences.length === 0 });
  return `${head.slice(0, -1)},"differences":[${rows.join(',')}]}`;
}

export function reportText(report: VerifyReport): string {
  const lines: string[] = [];
  const via =
    report.mode === 'range-hash'
      ? `${report.ranges.hashed} key ranges hashed in PostgreSQL, ${report.ranges.fetched} fetched (${report.ranges.rowsFetched} row hashes)`
      : report.mode === 'row-stream'
        ? `row-stream (${report.textColumns.length ? `no server-side form for ${report.textColumns.join(', ')}` : 'the key has no range form'}): ` +
          (report.ranges.rowsFetched > 0
            ? `the source's ${report.ranges.rowsFetched} row hashes streamed`
            : 'one fingerprint of the whole table')
        : `rows compared as a multiset (no primary key)`;
  lines.push(
    `${report.table}: ${report.counts.source} rows in PostgreSQL, ${report.counts.table} in the table; ${via}`,
  );
  if (report.textColumns.length && report.mode !== 'row-stream')
    lines.push(`compared as PostgreSQL's text: ${report.textColumns.join(', ')}`);
  if (report.uncomparedColumns.length)
    lines.push(`not in the table, not compared: ${report.uncomparedColumns.join(', ')}`);
  for (const d of report.differences) {
    const times = d.count > 1 ? ` ×${d.count}` : '';
    lines.push(`${d.kind}${times}${d.key ? ` ${d.key}` : ''}`);
    if (d.source) lines.push(`  source ${d.source}`);
    if (d.table) lines.push(`  table  ${d.table}`);
  }
  const recheck =
    report.settled > 0 || report.timing.waitMs > 0
      ? `; checked again after ${(report.timing.waitMs / 1000).toFixed(0)} s, ${report.settled} agreed by then`
      : '';
  lines.push(
    `${report.differences.length === 0 ? 'equal' : `${report.differences.length} differences`}${recheck} ` +
      `(${(report.timing.totalMs / 1000).toFixed(1)} s: table read ${(report.timing.tableReadMs / 1000).toFixed(1)} s, ` +
      `PostgreSQL ${(report.timing.sourceMs / 1000).toFixed(1)} s)`,
  );
  return `${lines.join('\n')}\n`;
}

async function openTables(
  warehouse: string | undefined,
): Promise<{ catalog: Catalog; objects: ObjectStore; close(): void }> {
  if (warehouse !== undefined) {
    const runtime = createEmbeddedRuntime({ warehouse, log: silentLogger });
    return { catalog: runtime.catalog, objects: runtime.objects, close: () => runtime.close() };
  }
  const config = loadCloudConfig();
  // The cloud clients take seconds to load: only --cloud pays for them.
  const { createCloudRuntime } = await import('../../shared/runtime/cloud.js');
  const runtime = createCloudRuntime(config);
  return { catalog: runtime.catalog, objects: runtime.objects, close: () => undefined };
}

export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'compare a table with its PostgreSQL source table: counts, then the differing rows',
  usage: USAGE,
  async run(argv, stream: ProgressStream = process.stderr) {
    const { values, positionals } = parseCommandLine({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...COMMON_OPTIONS,
        source: { type: 'string' },
        warehouse: { type: 'string' },
        cloud: { type: 'boolean' },
        'recheck-after': { type: 'string' },
      },
    });
    if (positionals.length > 1) throw new UsageError(`verify takes one table, got ${positionals.join(' ')}`);
    const table = parseTableName(positionals[0], 'verify');
    const sourceUrl = requireOption(values.source, 'source <postgres url>', 'verify');
    if (values.cloud && values.warehouse)
      throw new UsageError('verify: --cloud and --warehouse exclude each other');
    const warehouse = values.cloud
      ? undefined
      : existingWarehouse(requireOption(values.warehouse, 'warehouse <dir> (or --cloud)', 'verify'));
    const recheckAfterMs = recheckOption(values['recheck-after']);
    const tables = await openTables(warehouse);
    const source = await connectSource(sourceUrl);
    let bar: ReturnType<typeof createProgress> | undefined;
    try {
      const report = await verifyTable({
        catalog: tables.catalog,
        objects: tables.objects,
        table,
        source,
        ...(recheckAfterMs === undefined ? {} : { recheckAfterMs }),
        progress: {
          file(done, total) {
            bar ??= createProgress(total, stream);
            bar.tick('reading the table', 0);
            void done;
          },
          note(label) {
            bar ??= createProgress(0, stream);
            bar.note(label);
          },
        },
      });
      bar?.done();
      process.stdout.write(values.json ? `${reportJson(report)}\n` : reportText(report));
      return report.differences.length === 0 ? 0 : 1;
    } catch (error) {
      bar?.done();
      if (error instanceof NoSuchTableError || error instanceof VerifyError) {
        process.stderr.write(`datastream-iceberg verify: ${error.message}\n`);
        return 1;
      }
      throw error;
    } finally {
      await source.end();
      tables.close();
    }
  },
};
