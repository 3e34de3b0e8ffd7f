// `verify` benchmark: `npm run bench -- verify [--rows 1000000] [--rows-per-file 250000] [--repeat 3]`.
// Needs a PostgreSQL: DSI_POSTGRES_URL of a loaded stack, else `npm run bench` starts the stack's
// PostgreSQL alone for the run (scripts/stack/postgres.mjs, startStandalonePostgres).
//
// Loads --rows rows of an orders table (bigint key, uuid, numeric(18,4), bigint, text, boolean, double
// precision, jsonb, date, timestamptz, nullable text) into PostgreSQL (generate_series, in SQL) and the same
// rows into an Iceberg table of an embedded warehouse, written with the engine directly (the table the
// pipeline creates: engineTableRequest, files of --rows-per-file rows, one snapshot). Then times, each
// --repeat times (median reported):
//   copy     the baseline: `COPY (SELECT * FROM orders) TO STDOUT` through pg's connection (the COPY
//            protocol, bytes counted and dropped): the cost of moving the source table to the client once
//   read     the table's rows read through the one row read path (openTableScan, every live file),
//            nothing else: what verify's table side costs before it hashes a row
//   equal    verifyTable on the equal tables (read every table row and hash it, one fingerprint of the
//            whole source computed by PostgreSQL)
//   changed  verifyTable after a handful of changes made on PostgreSQL only (2 updates, 2 deletes, 1
//            insert), which it must find exactly: the range bisection, then both rows of each key
// and prints one JSON line at the end with every figure; verify_vs_copy is equal / copy.

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { LSN_COLUMN, SOURCE_TS_COLUMN } from '../../shared/cow/order-columns.js';
import { compileTableDefinition } from '../../shared/datastream/table.js';
import { daysFromCivil } from '../../shared/datastream/temporal.js';
import { writeDataFiles } from '../../shared/iceberg/data-file-writer.js';
import { writeSnapshot } from '../../shared/iceberg/snapshot-producer.js';
import type { Row } from '../../shared/iceberg/spec/values.js';
import { silentLogger } from '../../shared/log.js';
import { openTableScan } from '../../shared/pipeline/table-scan.js';
import { engineTableRequest } from '../../shared/pipeline/table-request.js';
import { createEmbeddedRuntime } from '../../shared/runtime/embedded.js';
import { connectSource } from '../../shared/verify/postgres-source.js';
import { verifyTable, type VerifyReport } from '../../shared/verify/verify-table.js';

const args = process.argv.slice(2);
const num = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROWS = num('rows', 1_000_000);
const ROWS_PER_FILE = num('rows-per-file', 250_000);
const REPEAT = Math.max(1, num('repeat', 3));

const COLUMNS: Array<[string, string]> = [
  ['id', 'bigint'],
  ['customer_id', 'uuid'],
  ['amount', 'numeric(18,4)'],
  ['counter', 'bigint'],
  ['status', 'text'],
  ['is_paid', 'boolean'],
  ['ratio', 'double precision'],
  ['attrs', 'jsonb'],
  ['created_on', 'date'],
  ['created_at', 'timestamptz'],
  ['note', 'text'],
];

const GENERATE = `SELECT i, md5(i::text)::uuid, ((i * 37) % 1000000) / 100.0, i * 1000003, 'status-' || (i % 7),
  i % 2 = 0, i / 7.0::float8, json_build_object('n', i, 'tag', 'x' || (i % 10))::jsonb,
  date '2020-01-01' + (i % 2000)::int, timestamptz '2020-01-01 00:00:00+00' + i * interval '1 second',
  CASE WHEN i % 10 = 0 THEN NULL ELSE md5(i::text) END`;

const EPOCH_2020_DAYS = daysFromCivil(2020, 1, 1);
const EPOCH_2020_MICROS = BigInt(Date.UTC(2020, 0, 1)) * 1000n;

/** Row i as PostgreSQL's GENERATE makes it, in the table's in-memory form. */
function row(i: number): Row {
  const md5 = createHash('md5').update(String(i)).digest('hex');
  return {
    id: BigInt(i),
    customer_id: `${md5.slice(0, 8)}-${md5.slice(8, 12)}-${md5.slice(12, 16)}-${md5.slice(16, 20)}-${md5.slice(20)}`,
    amount: BigInt((i * 37) % 1_000_000) * 100n,
    counter: BigInt(i) * 1_000_003n,
    status: `status-${i % 7}`,
    is_paid: i % 2 === 0,
    ratio: i / 7,
    attrs: `{"n":${i},"tag":"x${i % 10}"}`,
    created_on: EPOCH_2020_DAYS + (i % 2000),
    created_at: EPOCH_2020_MICROS + BigInt(i) * 1_000_000n,
    note: i % 10 === 0 ? null : md5,
    [SOURCE_TS_COLUMN]: 1000n,
    [LSN_COLUMN]: 1n,
  };
}

const seconds = (ms: number): number => Number((ms / 1000).toFixed(3));
const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** `COPY … TO STDOUT` through pg's connection: the COPY protocol, data counted and dropped. */
function copyOut(client: pg.Client, sql: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let failed: Error | undefined;
    const submittable = {
      submit(connection: { query(text: string): void }) {
        connection.query(sql);
      },
      handleCopyData(msg: { chunk: Buffer }) {
        bytes += msg.chunk.length;
      },
      handleCommandComplete() {},
      handleError(error: Error) {
        failed = error;
      },
      handleReadyForQuery() {
        if (failed) reject(failed);
        else resolve(bytes);
      },
      handleCopyInResponse() {},
      handleRowDescription() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
    };
    void client.query(submittable as unknown as pg.QueryConfig);
  });
}

async function main(): Promise<void> {
  const adminUrl = process.env.DSI_POSTGRES_URL;
  if (!adminUrl) throw new Error('DSI_POSTGRES_URL is not set: run through `npm run bench -- verify`');
  const database = `dsi_bench_verify_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const dir = mkdtempSync(join(tmpdir(), 'dsi-bench-verify-'));
  const owner = new pg.Client({ connectionString: url.toString() });
  await owner.connect();
  try {
    // the source
    let t = performance.now();
    await owner.query('CREATE SCHEMA bench');
    await owner.query(
      `CREATE TABLE bench.orders (${COLUMNS.map(([c, type]) => `${c} ${type}`).join(', ')}, PRIMARY KEY (id))`,
    );
    await owner.query(`INSERT INTO bench.orders ${GENERATE} FROM generate_series(0::bigint, ${ROWS - 1}) i`);
    await owner.query('VACUUM ANALYZE bench.orders');
    const loadPg = performance.now() - t;

    // the table, as the pipeline creates it, written by the engine
    t = performance.now();
    const runtime = createEmbeddedRuntime({ warehouse: dir, log: silentLogger });
    const compiled = compileTableDefinition(
      { schema: 'bench', name: 'orders' },
      { columns: COLUMNS, primaryKeys: ['id'] },
    );
    await runtime.catalog.createNamespace(['bench']);
    const created = await runtime.catalog.createTable(
      ['bench'],
      engineTableRequest('orders', compiled.schema, ['id'], compiled.columns),
    );
    const files = [];
    for (let start = 0; start < ROWS; start += ROWS_PER_FILE) {
      const rows: Row[] = [];
      for (let i = start; i < Math.min(ROWS, start + ROWS_PER_FILE); i++) rows.push(row(i));
      files.push(
        ...(await writeDataFiles(created.metadata, runtime.objects, rows, { maxRowsPerFile: ROWS_PER_FILE })),
      );
    }
    const snap = await writeSnapshot(created.metadata, runtime.objects, { added: files });
    await runtime.catalog.commitTable(
      { namespace: ['bench'], name: 'orders' },
      snap.requirements,
      snap.updates,
    );
    const loadIceberg = performance.now() - t;
    console.log(
      `loaded ${ROWS} rows: PostgreSQL ${seconds(loadPg)} s, Iceberg ${seconds(loadIceberg)} s (${files.length} files)`,
    );

    const source = await connectSource(url.toString());
    const verify = async (): Promise<{ ms: number; report: VerifyReport }> => {
      gc();
      const began = performance.now();
      const report = await verifyTable({
        catalog: runtime.catalog,
        objects: runtime.objects,
        table: { namespace: 'bench', name: 'orders' },
        source,
        recheckAfterMs: 0,
      });
      return { ms: performance.now() - began, report };
    };

    const readOnly = async (): Promise<number> => {
      gc();
      const began = performance.now();
      const scan = await openTableScan(runtime.catalog, runtime.objects, {
        namespace: 'bench',
        name: 'orders',
      });
      let rows = 0;
      for (let i = 0; i < scan.files.length; i++) rows += (await scan.readFile(i)).length;
      if (rows !== ROWS) throw new Error(`read ${rows} rows, wrote ${ROWS}`);
      return performance.now() - began;
    };

    const reads: number[] = [];
    const copies: number[] = [];
    let copyBytes = 0;
    const equal: Array<{ ms: number; report: VerifyReport }> = [];
    for (let r = 0; r < REPEAT; r++) {
      gc();
      const began = performance.now();
      copyBytes = await copyOut(source, 'COPY (SELECT * FROM bench.orders) TO STDOUT');
      copies.push(performance.now() - began);
      reads.push(await readOnly());
      equal.push(await verify());
      const last = equal[equal.length - 1]!;
      if (last.report.differences.length !== 0)
        throw new Error(`equal tables reported ${last.report.differences.length} differences`);
      console.log(
        `run ${r + 1}: copy ${seconds(copies[r]!)} s (${(copyBytes / 1e6).toFixed(0)} MB); read the table ${seconds(reads[r]!)} s; ` +
          `verify (equal) ${seconds(last.ms)} s ` +
          `(table read ${seconds(last.report.timing.tableReadMs)} s, PostgreSQL ${seconds(last.report.timing.sourceMs)} s)`,
      );
    }

    // a handful of changes on PostgreSQL only
    const at = (share: number) => Math.floor(ROWS * share);
    await owner.query(`UPDATE bench.orders SET status = 'changed' WHERE id IN (${at(0.1)}, ${at(0.55)})`);
    await owner.query(`DELETE FROM bench.orders WHERE id IN (${at(0.3)}, ${ROWS - 1})`);
    await owner.query(`INSERT INTO bench.orders ${GENERATE} FROM (SELECT ${ROWS + 10}::bigint AS i) i`);
    const expected = [
      `changed ${at(0.1)}`,
      `extra ${at(0.3)}`,
      `changed ${at(0.55)}`,
      `extra ${ROWS - 1}`,
      `missing ${ROWS + 10}`,
    ];
    const changed: Array<{ ms: number; report: VerifyReport }> = [];
    for (let r = 0; r < REPEAT; r++) {
      changed.push(await verify());
      const { report, ms } = changed[r]!;
      const found = report.differences.map((d) => `${d.kind} ${/"id":(\d+)/.exec(d.key ?? '')?.[1]}`);
      if (JSON.stringify(found) !== JSON.stringify(expected))
        throw new Error(`expected ${expected.join(', ')}; verify found ${found.join(', ')}`);
      console.log(
        `run ${r + 1}: verify (5 differences) ${seconds(ms)} s: ${report.ranges.hashed} ranges hashed, ` +
          `${report.ranges.fetched} fetched (${report.ranges.rowsFetched} row hashes)`,
      );
    }
    await source.end();
    runtime.close();

    const copyMs = median(copies);
    const equalMs = median(equal.map((e) => e.ms));
    const changedMs = median(changed.map((e) => e.ms));
    const last = changed[changed.length - 1]!.report;
    const figures = {
      rows: ROWS,
      files: files.length,
      copy_s: seconds(copyMs),
      copy_mb: Number((copyBytes / 1e6).toFixed(1)),
      verify_s: seconds(equalMs),
      read_s: seconds(median(reads)),
      verify_table_read_s: seconds(median(equal.map((e) => e.report.timing.tableReadMs))),
      verify_postgres_s: seconds(median(equal.map((e) => e.report.timing.sourceMs))),
      verify_changed_s: seconds(changedMs),
      changed_differences: last.differences.length,
      changed_ranges_hashed: last.ranges.hashed,
      changed_row_hashes_fetched: last.ranges.rowsFetched,
      verify_vs_copy: Number((equalMs / copyMs).toFixed(2)),
      verify_postgres_vs_copy: Number(
        (median(equal.map((e) => e.report.timing.sourceMs)) / copyMs).toFixed(2),
      ),
      verify_vs_read_plus_copy: Number((equalMs / (median(reads) + copyMs)).toFixed(2)),
      verify_changed_vs_copy: Number((changedMs / copyMs).toFixed(2)),
      repeat: REPEAT,
    };
    console.log(
      `median of ${REPEAT}: copy ${figures.copy_s} s, verify ${figures.verify_s} s (${figures.verify_vs_copy}× copy), ` +
        `verify with 5 differences ${figures.verify_changed_s} s (${figures.verify_changed_vs_copy}× copy)`,
    );
    console.log(JSON.stringify(figures));
  } finally {
    await owner.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
