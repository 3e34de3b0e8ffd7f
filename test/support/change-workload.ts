// A generated Datastream workload for the crash and concurrency tests: JSONL change files of two tables
// (one with a composite key) whose events hit a small key space (so commits rewrite files and deletes
// meet later inserts) and are spread over the files at random (so files overlap in time, as Datastream's
// do). It writes, besides the files and their tables.json, the final rows the source would hold — the
// last change per key in source order, nothing for a deleted key — as expected/<table>.jsonl, the form
// compareTablesWithPyIceberg reads.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompareJob } from './pyiceberg-compare.js';
import { seeded, type Random } from './random.js';

export interface WorkloadOptions {
  files: number;
  eventsPerFile: number;
  /** Distinct keys per table (default 500). */
  keys?: number;
  seed?: number;
}

export interface Workload {
  /** The bucket folder (the files are below it). */
  bucket: string;
  /** Every file, in name order (which is not source order). */
  files: string[];
  tablesFile: string;
  events: number;
  tables: string[];
  /** PyIceberg comparison jobs of a warehouse's tables against the expected rows. */
  compareJobs(catalog: Record<string, string>, label: string): CompareJob[];
}

type Row = Record<string, number | string | null>;

interface TableSpec {
  table: string;
  primaryKeys: string[];
  columns: Array<[string, string]>;
  row(key: number, random: Random, at: string): Row;
}

const TABLES: TableSpec[] = [
  {
    table: 'products',
    primaryKeys: ['id'],
    columns: [
      ['id', 'integer'],
      ['name', 'varchar(100)'],
      ['price', 'numeric(10,2)'],
      ['updated_at', 'timestamp'],
    ],
    row: (key, random, at) => ({
      id: key,
      name: `Product ${key} ${Math.floor(random() * 1000)}`,
      price: (random() * 10_000).toFixed(2),
      updated_at: at,
    }),
  },
  {
    table: 'stock',
    primaryKeys: ['site', 'product_id'],
    columns: [
      ['site', 'integer'],
      ['product_id', 'integer'],
      ['quantity', 'bigint'],
      ['note', 'text'],
    ],
    row: (key, random) => ({
      site: key % 7,
      product_id: Math.floor(key / 7),
      quantity: Math.floor(random() * 1_000_000),
      note: random() < 0.3 ? null : `n${Math.floor(random() * 100)}`,
    }),
  },
];

function lsnText(lsn: number): string {
  const high = Math.floor(lsn / 2 ** 32)
    .toString(16)
    .toUpperCase();
  return `${high}/${(lsn % 2 ** 32).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** `2026-11-24T09:00:16.371000`: PostgreSQL timestamp text, also the canonical form of the expected rows. */
function timestampText(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000');
}

export function writeWorkload(dir: string, options: WorkloadOptions): Workload {
  const random = seeded(options.seed ?? 1);
  const keys = options.keys ?? 500;
  const bucket = join(dir, 'bucket');
  const filesPerTable = TABLES.map((_, i) =>
    Math.max(1, Math.floor(options.files / TABLES.length) + (i < options.files % TABLES.length ? 1 : 0)),
  );
  const lines: string[][][] = TABLES.map((_, i) => Array.from({ length: filesPerTable[i]! }, () => []));
  const finalRows = TABLES.map(() => new Map<number, Row | null>());
  let ts = Date.UTC(2026, 10, 24, 9, 0, 0);
  let lsn = 0x16cb000000;
  const total = options.files * options.eventsPerFile;
  for (let n = 0; n < total; n++) {
    ts += Math.floor(random() * 3);
    lsn += 1 + Math.floor(random() * 300);
    const t = Math.floor(random() * TABLES.length);
    const spec = TABLES[t]!;
    const key = Math.floor(random() * keys);
    const known = finalRows[t]!.get(key);
    const change = known ? (random() < 0.2 ? 'DELETE' : 'UPDATE') : 'INSERT';
    const deleted = change === 'DELETE';
    const row = spec.row(key, random, timestampText(ts - 250));
    const keyRow = Object.fromEntries(spec.primaryKeys.map((k) => [k, row[k]]));
    const payload = deleted
      ? { ...Object.fromEntries(spec.columns.map(([c]) => [c, null])), ...keyRow }
      : row;
    finalRows[t]!.set(key, deleted ? null : row);
    const iso = new Date(ts).toISOString().replace('Z', '000Z');
    const line = JSON.stringify({
      uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      read_timestamp: iso,
      source_timestamp: iso,
      object: `public_${spec.table}`,
      read_method: 'postgresql-cdc',
      stream_name: 'projects/1/locations/us-central1/streams/workload',
      schema_key: spec.table,
      sort_keys: [ts, lsnText(lsn)],
      source_metadata: {
        schema: 'public',
        table: spec.table,
        is_deleted: deleted,
        change_type: change,
        tx_id: 1_000_000 + n,
        lsn: lsnText(lsn),
        primary_keys: spec.primaryKeys,
      },
      payload,
    });
    const files = lines[t]!;
    files[Math.floor(random() * files.length)]!.push(line);
  }

  const files: string[] = [];
  TABLES.forEach((spec, t) => {
    const folder = join(bucket, `public_${spec.table}`);
    mkdirSync(folder, { recursive: true });
    lines[t]!.forEach((content, i) => {
      const path = join(folder, `${String(i).padStart(5, '0')}.jsonl`);
      writeFileSync(path, content.length ? `${content.join('\n')}\n` : '');
      files.push(path);
    });
  });
  files.sort();

  const tablesFile = join(dir, 'tables.json');
  writeFileSync(
    tablesFile,
    JSON.stringify(
      Object.fromEntries(
        TABLES.map((s) => [`public.${s.table}`, { primary_keys: s.primaryKeys, columns: s.columns }]),
      ),
    ),
  );
  mkdirSync(join(dir, 'expected'), { recursive: true });
  TABLES.forEach((spec, t) => {
    const rows = [...finalRows[t]!.values()].filter((r): r is Row => r !== null);
    writeFileSync(
      join(dir, 'expected', `public.${spec.table}.jsonl`),
      rows.map((r) => `${JSON.stringify(r)}\n`).join(''),
    );
  });
  return {
    bucket,
    files,
    tablesFile,
    events: total,
    tables: TABLES.map((s) => `public.${s.table}`),
    compareJobs: (catalog, label) =>
      TABLES.map((spec) => ({
        id: `${label} public.${spec.table}`,
        catalog,
        table: `public.${spec.table}`,
        columns: spec.columns,
        expected: join(dir, 'expected', `public.${spec.table}.jsonl`),
      })),
  };
}
