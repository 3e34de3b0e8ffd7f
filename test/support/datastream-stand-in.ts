// A hand-written stand-in for Google Datastream (there is no Datastream emulator): it reads a
// PostgreSQL database's committed changes through logical decoding (the `test_decoding` plugin on a
// slot) and writes them as Datastream's JSONL change files for a PostgreSQL source, in the envelope the
// project's fixtures and the docs describe:
//   uuid, read_timestamp, source_timestamp (the commit time, millisecond precision), object
//   (`<schema>_<table>`), read_method `postgresql-cdc`, stream_name, schema_key (a hash of the table's
//   columns), sort_keys [source ms, lsn], source_metadata {schema, table, is_deleted, change_type,
//   tx_id, lsn, primary_keys}, payload (every column: the new row for INSERT and UPDATE, the key with
//   nulls elsewhere for DELETE, as pgoutput's default replica identity gives).
// Payload values are rendered by PostgreSQL itself from the decoded text (numeric as an exact JSON
// number, jsonb inline, arrays as JSON arrays, timestamptz as UTC ISO with microseconds and `Z`,
// timestamp without a zone, bytea as base64), the forms the fixtures' README lists. The `lsn` is the
// change's own WAL position (each change of a transaction has its own), so two changes of one row in
// one transaction keep their order. Object names follow Datastream's layout:
// <prefix><schema>_<table>/yyyy/mm/dd/hh/mm/<40 hex>_postgresql-cdc_<n>_<n>_<n>.jsonl[.gz].
// What it does not imitate: backfill, Avro, TOASTed values an UPDATE left unchanged (refused), and the
// exact rotation of files (the caller cuts them).

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type pg from 'pg';
import type { Random } from './random.js';
import { parseTestDecoding, type DecodedChange, type DecodedTransaction } from './test-decoding.js';

/** A declared table (the DSI_TABLES / tables.json shape). */
export interface StandInTable {
  columns: Array<[string, string]>;
  primary_keys: string[];
}

export interface StandInEvent {
  /** `schema.table` */
  table: string;
  uuid: string;
  sourceMs: number;
  lsn: string;
  /** The event as one JSONL line (no newline). */
  line: string;
}

export interface StandInFile {
  /** Object name in the landing bucket. */
  name: string;
  bytes: Buffer;
  table: string;
  events: StandInEvent[];
}

const STREAM_NAME = 'projects/123456789012/locations/us-central1/streams/postgres-stand-in';

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function uuidOf(text: string): string {
  const hex = sha1(text);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** `2026-12-06 20:09:13.123456+00` (the plugin's commit time in UTC) → epoch microseconds. */
function commitMicros(text: string): bigint {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/.exec(text);
  if (!match) throw new Error(`commit time "${text}" is not in UTC (connect with TimeZone=UTC)`);
  const seconds = BigInt(Date.parse(`${match[1]}T${match[2]}Z`) / 1000);
  return seconds * 1_000_000n + BigInt((match[3] ?? '').padEnd(6, '0'));
}

/** Datastream's timestamp form: ISO-8601 UTC, millisecond value written with six digits. */
function isoMillis(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** SQL rendering the decoded text of a value ($n) as its Datastream JSON form. */
function jsonExpression(pgType: string, param: string): string {
  const type = pgType.trim().toLowerCase();
  const base = type.replace(/\(.*\)/, '').trim();
  if (type.endsWith('[]')) return `to_json(${param}::${type})`;
  switch (base) {
    case 'timestamptz':
    case 'timestamp with time zone':
      return `to_json(to_char(${param}::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))`;
    case 'timestamp':
    case 'timestamp without time zone':
      return `to_json(to_char(${param}::timestamp, 'YYYY-MM-DD"T"HH24:MI:SS.US'))`;
    case 'bytea':
      return `to_json(translate(encode(${param}::bytea, 'base64'), E'\\n', ''))`;
    default:
      return `to_json(${param}::${type})`;
  }
}

/** The payload object's JSON text: every declared column, in declaration order. */
async function payloadText(
  client: pg.Client,
  key: string,
  table: StandInTable,
  change: DecodedChange,
): Promise<string> {
  const decoded = new Map(change.columns.map((c) => [c.name, c.text]));
  for (const name of decoded.keys()) {
    if (!table.columns.some(([column]) => column === name)) {
      throw new Error(`${key}: decoded column ${name} is not declared`);
    }
  }
  const params: string[] = [];
  const expressions: string[] = [];
  for (const [name, type] of table.columns) {
    const text = decoded.get(name);
    if (text === undefined || text === null) continue;
    params.push(text);
    expressions.push(`${jsonExpression(type, `$${params.length}`)}::text`);
  }
  const rendered = expressions.length
    ? ((await client.query({ text: `SELECT ${expressions.join(', ')}`, values: params, rowMode: 'array' }))
        .rows[0] as string[])
    : [];
  let next = 0;
  const parts = table.columns.map(([name]) => {
    const text = decoded.get(name);
    const json = text === undefined || text === null ? 'null' : rendered[next++]!;
    return `${JSON.stringify(name)}:${json}`;
  });
  return `{${parts.join(',')}}`;
}

/**
 * Consumes every change waiting in a `test_decoding` slot and turns each into a Datastream event of
 * the declared tables (a change of an undeclared table is an error: the workload is the test's own).
 */
export async function readSlotAsEvents(
  client: pg.Client,
  slot: string,
  tables: Record<string, StandInTable>,
  /** Draws each event's read delay (read_timestamp is 0.5 to 15.5 s after the commit). */
  random: Random,
): Promise<{ events: StandInEvent[]; transactions: DecodedTransaction[] }> {
  const result = await client.query<{ lsn: string; data: string }>(
    "SELECT lsn::text AS lsn, data FROM pg_logical_slot_get_changes($1, NULL, NULL, 'include-xids', '1', 'include-timestamp', '1')",
    [slot],
  );
  const transactions = parseTestDecoding(result.rows);
  const events: StandInEvent[] = [];
  for (const transaction of transactions) {
    const sourceMs = Number(commitMicros(transaction.commitTime) / 1000n);
    for (const change of transaction.changes) {
      const key = `${change.schema}.${change.table}`;
      const table = tables[key];
      if (!table) throw new Error(`a change of ${key}, which is not declared`);
      const uuid = uuidOf(`${STREAM_NAME}|${transaction.xid}|${change.lsn}|${key}`);
      const deleted = change.action === 'DELETE';
      const readMs = sourceMs + 500 + Math.floor(random() * 15_000);
      const metadata =
        `{"schema":${JSON.stringify(change.schema)},"table":${JSON.stringify(change.table)},` +
        `"is_deleted":${deleted},"change_type":"${change.action}","tx_id":${transaction.xid},` +
        `"lsn":"${change.lsn}","primary_keys":${JSON.stringify(table.primary_keys)}}`;
      const line =
        `{"uuid":"${uuid}","read_timestamp":"${isoMillis(readMs)}","source_timestamp":"${isoMillis(sourceMs)}",` +
        `"object":${JSON.stringify(`${change.schema}_${change.table}`)},"read_method":"postgresql-cdc",` +
        `"stream_name":"${STREAM_NAME}","schema_key":"${sha1(JSON.stringify(table.columns))}",` +
        `"sort_keys":[${sourceMs},"${change.lsn}"],"source_metadata":${metadata},` +
        `"payload":${await payloadText(client, key, table, change)}}`;
      events.push({ table: key, uuid, sourceMs, lsn: change.lsn, line });
    }
  }
  return { events, transactions };
}

function folderOf(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}/${iso.slice(14, 16)}`;
}

/**
 * One change file of one table, named as Datastream names them (folder from the first event's source
 * time); gzip-compressed when asked, as Datastream's JSON-with-gzip files are.
 */
export function changeFile(
  landingPrefix: string,
  table: string,
  events: StandInEvent[],
  random: Random,
  gzip: boolean,
): StandInFile {
  if (events.length === 0) throw new Error(`a change file of ${table} needs events`);
  const [schema, name] = [table.slice(0, table.indexOf('.')), table.slice(table.indexOf('.') + 1)];
  const hash = sha1(`${table}|${events.map((e) => e.uuid).join(',')}|${random()}`);
  const numbers = `${Math.floor(random() * 2 ** 32) - 2 ** 31}_${1 + Math.floor(random() * 9)}_${Math.floor(random() * 100_000)}`;
  const text = Buffer.from(events.map((e) => `${e.line}\n`).join(''));
  return {
    name: `${landingPrefix}${schema}_${name}/${folderOf(events[0]!.sourceMs)}/${hash}_postgresql-cdc_${numbers}.jsonl${gzip ? '.gz' : ''}`,
    bytes: gzip ? gzipSync(text) : text,
    table,
    events,
  };
}

export interface CutOptions {
  landingPrefix: string;
  random: Random;
  /** Largest number of events in one file. */
  maxEvents: number;
  /** Share of files written gzip-compressed. */
  gzipShare: number;
  /** Largest number of events a file repeats from the end of the one before (0: none). */
  maxOverlap: number;
}

/**
 * Cuts one table's events (in commit order) into files of random sizes, each file possibly starting
 * with a few events the file before already had (Datastream may write an event again after a retry).
 */
export function cutIntoFiles(table: string, events: StandInEvent[], options: CutOptions): StandInFile[] {
  const files: StandInFile[] = [];
  let start = 0;
  while (start < events.length) {
    const size = 1 + Math.floor(options.random() * options.maxEvents);
    const end = Math.min(events.length, start + size);
    const overlap = files.length > 0 ? Math.floor(options.random() * (options.maxOverlap + 1)) : 0;
    const from = Math.max(0, start - overlap);
    files.push(
      changeFile(
        options.landingPrefix,
        table,
        events.slice(from, end),
        options.random,
        options.random() < options.gzipShare,
      ),
    );
    start = end;
  }
  return files;
}
