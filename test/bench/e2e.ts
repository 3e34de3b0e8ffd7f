// Freshness benchmark on the emulator stack: `npm run bench -- e2e [--files 50] [--interval-ms 250]
// [--trigger pubsub|cloudevent] [--seed 1]`.
// Uploads small Datastream CDC files of several tables to fake-gcs-server at a steady pace, through the
// whole cloud path (GCS notification → Pub/Sub push → ingest, Cloud Tasks → commit, the Iceberg REST
// catalog, tables in the bucket), and measures per file the time from its upload (object stored) to the
// first catalog snapshot whose summary records every change-set of the file, by polling the catalog.
// Uses the running stack whose environment is loaded; otherwise starts one on STACK_PORT_OFFSET (default
// 50) and stops it at the end. The last line is one JSON object with p50_ms and p95_ms.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { recordedChangesets } from '../../shared/cow/recorded-changesets.js';
import { tableIdentifier } from '../../shared/table/table-identifier.js';
import { fileIdOf } from '../../shared/pipeline/ingest-file.js';
import { seeded, type Random } from '../support/random.js';
import { REPO_ROOT } from '../support/scenarios.js';

const args = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback;
}
const FILES = Number(option('files', '50'));
const INTERVAL_MS = Number(option('interval-ms', '250'));
const TRIGGER = option('trigger', 'pubsub') as 'pubsub' | 'cloudevent';
const SEED = Number(option('seed', '1'));
const POLL_MS = 100;
const TIMEOUT_MS = 180_000;

interface StackModule {
  startStack(options: { owner: string }): Promise<{ env: Record<string, string> }>;
  stopStack(options?: { ownedBy?: number }): Promise<{ stopped: number }>;
  stackIsRunning(): { env: Record<string, string> } | undefined;
}

/** The stack's environment: the loaded one, a running stack at the offset, or one started here. */
async function ensureStack(): Promise<() => Promise<void>> {
  if (process.env.DSI_STORAGE_EMULATOR_HOST && process.env.ICEBERG_REST_URI) return async () => undefined;
  process.env.STACK_PORT_OFFSET ??= '50';
  const stack = (await import(
    pathToFileURL(join(REPO_ROOT, 'scripts', 'stack', 'stack.mjs')).href
  )) as StackModule;
  const running = stack.stackIsRunning();
  if (running) {
    Object.assign(process.env, running.env);
    return async () => undefined;
  }
  const { env } = await stack.startStack({ owner: 'test' });
  Object.assign(process.env, env);
  delete process.env.STORAGE_EMULATOR_HOST; // see test/support/stack-env.ts
  const stop = async () => {
    await stack.stopStack({ ownedBy: process.pid });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stop().finally(() => process.exit(130)));
  }
  return stop;
}

// ---- a small realistic CDC workload: a few tables, files of 20–120 events, inserts, updates, deletes ----

const TABLES = {
  products: {
    primary_keys: ['id'],
    columns: [
      ['id', 'integer'],
      ['name', 'varchar(100)'],
      ['price', 'numeric(10,2)'],
      ['updated_at', 'timestamp'],
    ],
  },
  customers: {
    primary_keys: ['id'],
    columns: [
      ['id', 'bigint'],
      ['email', 'text'],
      ['active', 'boolean'],
      ['updated_at', 'timestamptz'],
    ],
  },
  orders: {
    primary_keys: ['order_id'],
    columns: [
      ['order_id', 'bigint'],
      ['customer_id', 'bigint'],
      ['amount', 'numeric(18,4)'],
      ['status', 'text'],
      ['created_at', 'timestamptz'],
    ],
  },
} as const;
type TableName = keyof typeof TABLES;
const TABLE_NAMES = Object.keys(TABLES) as TableName[];
const KEYS_PER_TABLE = 400;

function payload(table: TableName, key: number, random: Random, ts: number): string {
  const iso = new Date(ts).toISOString();
  switch (table) {
    case 'products':
      return `{"id":${key},"name":"product ${key}","price":${(random() * 999).toFixed(2)},"updated_at":"${iso.replace('Z', '')}"}`;
    case 'customers':
      return `{"id":${key},"email":"c${key}@example.com","active":${random() < 0.8},"updated_at":"${iso}"}`;
    case 'orders':
      return `{"order_id":${key},"customer_id":${1 + Math.floor(random() * KEYS_PER_TABLE)},"amount":${(random() * 5000).toFixed(4)},"status":"${['NEW', 'PAID', 'SHIPPED'][Math.floor(random() * 3)]}","created_at":"${iso}"}`;
  }
}

function cdcFile(
  namespace: string,
  table: TableName,
  random: Random,
  clock: { ms: number; lsn: number },
): Buffer {
  const lines: string[] = [];
  const events = 20 + Math.floor(random() * 100);
  for (let i = 0; i < events; i++) {
    clock.ms += 1 + Math.floor(random() * 20);
    clock.lsn += 1 + Math.floor(random() * 64);
    const key = 1 + Math.floor(random() * KEYS_PER_TABLE);
    const roll = random();
    const change = roll < 0.5 ? 'INSERT' : roll < 0.9 ? 'UPDATE' : 'DELETE';
    const lsn = `16/${clock.lsn.toString(16).toUpperCase().padStart(8, '0')}`;
    const at = new Date(clock.ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    lines.push(
      `{"uuid":"${crypto.randomUUID()}","read_timestamp":"${at}","source_timestamp":"${at}","object":"${namespace}_${table}",` +
        `"read_method":"postgresql-cdc","stream_name":"projects/1/locations/us-central1/streams/bench",` +
        `"schema_key":"bench","sort_keys":[${clock.ms},"${lsn}"],"source_metadata":{"schema":"${namespace}",` +
        `"table":"${table}","is_deleted":${change === 'DELETE'},"change_type":"${change}","tx_id":${clock.lsn},` +
        `"lsn":"${lsn}","primary_keys":${JSON.stringify(TABLES[table].primary_keys)}},` +
        `"payload":${payload(table, key, random, clock.ms)}}`,
    );
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

async function main(): Promise<void> {
  const stopStack = await ensureStack();
  try {
    await measure();
  } finally {
    await stopStack();
  }
}

async function measure(): Promise<void> {
  // Imported after the stack's environment is in place: the clients read it when they are built.
  const { startPipeline } = await import('../e2e/pipeline.js');
  const { isolate } = await import('../support/isolation.js');
  const namespace = isolate('bench').namespace;
  const tables = Object.fromEntries(
    TABLE_NAMES.map((t) => [
      `${namespace}.${t}`,
      {
        columns: TABLES[t].columns.map((c) => [...c] as [string, string]),
        primary_keys: [...TABLES[t].primary_keys],
      },
    ]),
  );
  const pipeline = await startPipeline({ label: 'bench e2e', trigger: TRIGGER, tables });
  const random = seeded(SEED);
  const clock = { ms: Date.UTC(2026, 10, 25, 9), lsn: 0x1000 };
  interface Tracked {
    name: string;
    table: string;
    events: number;
    fileId: string;
    uploadedAt: number;
    changesets?: string[];
    /** When ingest recorded the file staged (its change-sets written and queued). */
    stagedAt?: number;
    visibleAt?: number;
  }
  const tracked: Tracked[] = [];
  const started = Date.now();
  try {
    // Upload at a steady pace while the poller below watches the catalog.
    const uploads = (async () => {
      for (let i = 0; i < FILES; i++) {
        const table = TABLE_NAMES[i % TABLE_NAMES.length]!;
        const bytes = cdcFile(namespace, table, random, clock);
        const name = `cdc-staging/${namespace}_${table}/2026/11/25/09/00/bench_${String(i).padStart(3, '0')}.jsonl`;
        const due = started + i * INTERVAL_MS;
        if (Date.now() < due) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        const { generation, delivered } = await pipeline.put(name, bytes);
        tracked.push({
          name,
          table: `${namespace}.${table}`,
          events: bytes.toString('utf8').trimEnd().split('\n').length,
          fileId: fileIdOf({ bucket: pipeline.bucket, name, generation }),
          uploadedAt: Date.now(),
        });
        delivered.catch((error: unknown) => console.error(`${name}: ${String(error)}`));
      }
    })();

    const deadline = Date.now() + TIMEOUT_MS;
    let uploadsDone = false;
    void uploads.then(() => (uploadsDone = true));
    for (;;) {
      const now = Date.now();
      await Promise.all(
        tracked
          .filter((f) => !f.changesets)
          .map(async (f) => {
            const record = await pipeline.runtime.state.getFile(f.fileId);
            if (record?.status === 'failed') throw new Error(`${f.name} was rejected: ${record.reason}`);
            if (record?.status === 'staged') {
              f.changesets = record.changesetIds;
              f.stagedAt = record.updatedAtMs;
            }
          }),
      );
      const waiting = tracked.filter((f) => f.visibleAt === undefined);
      for (const table of new Set(waiting.map((f) => f.table))) {
        let recorded: Map<string, string>;
        try {
          const { metadata } = await pipeline.runtime.catalog.loadTable(tableIdentifier(table));
          recorded = recordedChangesets(metadata, 10_000);
        } catch {
          continue; // not created yet
        }
        const seenAt = Date.now();
        for (const f of waiting) {
          if (f.table === table && f.changesets?.every((id) => recorded.has(id))) f.visibleAt = seenAt;
        }
      }
      if (uploadsDone && tracked.every((f) => f.visibleAt !== undefined)) break;
      if (Date.now() > deadline) throw new Error(`files not visible after ${TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, POLL_MS - (Date.now() - now))));
    }
    await uploads;

    const latencies = tracked.map((f) => f.visibleAt! - f.uploadedAt).sort((a, b) => a - b);
    const snapshots: Record<string, number> = {};
    for (const table of Object.keys(tables)) {
      const { metadata } = await pipeline.runtime.catalog.loadTable(tableIdentifier(table));
      snapshots[table.slice(namespace.length + 1)] = metadata.snapshots?.length ?? 0;
    }
    const staged = tracked.map((f) => f.stagedAt! - f.uploadedAt).sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    const max = latencies[latencies.length - 1]!;
    const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
    const events = tracked.reduce((sum, f) => sum + f.events, 0);
    console.log(
      `${FILES} files (${events} events) over ${TABLE_NAMES.length} tables, one every ${INTERVAL_MS} ms, ` +
        `trigger ${TRIGGER}, catalog polled every ${POLL_MS} ms`,
    );
    console.log(
      `upload → snapshot visible in the catalog: p50 ${p50} ms, p95 ${p95} ms, max ${max} ms, mean ${mean.toFixed(0)} ms`,
    );
    console.log(
      `of which upload → staged by ingest: p50 ${percentile(staged, 50)} ms, p95 ${percentile(staged, 95)} ms`,
    );
    console.log(
      `snapshots per table: ${JSON.stringify(snapshots)} (a commit drains every pending change-set)`,
    );
    console.log(
      JSON.stringify({
        p50_ms: p50,
        p95_ms: p95,
        max_ms: max,
        mean_ms: Math.round(mean),
        staged_p50_ms: percentile(staged, 50),
        staged_p95_ms: percentile(staged, 95),
        files: FILES,
        events,
        tables: TABLE_NAMES.length,
        interval_ms: INTERVAL_MS,
        trigger: TRIGGER,
        poll_ms: POLL_MS,
        snapshots,
      }),
    );
  } finally {
    await pipeline.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
