// The source side of `verify`: one read-only session on the PostgreSQL source (SELECT rights only, no
// replication). Every statement is a plain SELECT: range fingerprints are aggregates PostgreSQL computes
// (count and sum of row hashes, row-hash.ts), row hashes of a range and whole-table reads go through a
// cursor in batches, and only the differing rows come back as values (Datastream's payload JSON).

import pg from 'pg';
import type { IcebergValue } from '../iceberg/spec/values.js';
import type { KeyRange, RangeSource, RangeSummary } from './bisection.js';
import { quoteIdentifier, type ColumnForm } from './column-forms.js';
import { rowHashSql } from './row-hash.js';

/** Rows per FETCH of a cursor. */
const FETCH_ROWS = 20_000;
/** Ranges fingerprinted per statement (one UNION ALL branch each). */
const RANGES_PER_STATEMENT = 64;

export interface SourceRow {
  id: string;
  hash: bigint;
  /** The row as Datastream's payload JSON (text). */
  payload: string;
}

/** A session on the source, in UTC, read-only. */
export async function connectSource(connectionString: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  await client.query("SET TimeZone = 'UTC'");
  await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
  return client;
}

/** The source table's columns and their types (format_type), in column order; empty when there is no such table. */
export async function sourceColumns(
  client: pg.Client,
  schema: string,
  table: string,
): Promise<Map<string, string>> {
  const result = await client.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [schema, table],
  );
  return new Map(result.rows.map((r) => [r.name, r.type]));
}

export class PostgresTable implements RangeSource {
  private readonly from: string;
  private readonly hash: string;
  private readonly keyTexts: string[];
  private readonly payload: string;

  constructor(
    private readonly client: pg.Client,
    schema: string,
    table: string,
    forms: readonly ColumnForm[],
    private readonly keyForms: readonly ColumnForm[],
  ) {
    this.from = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
    this.hash = rowHashSql(forms);
    this.keyTexts = keyForms.map((f) => f.sql);
    this.payload = `json_build_object(${forms.map((f) => `'${f.name.replace(/'/g, "''")}', ${f.payloadSql}`).join(', ')})::text`;
  }

  /** The key id of a row from its key texts (the same id the table side builds). */
  static keyId(texts: readonly (string | null)[]): string {
    return JSON.stringify(texts);
  }

  private keyTuple(): string {
    const columns = this.keyForms.map(
      (f) => `${quoteIdentifier(f.name)}${f.keyParam?.collate ? ' COLLATE "C"' : ''}`,
    );
    return `(${columns.join(', ')})`;
  }

  private bound(key: readonly IcebergValue[], params: unknown[]): string {
    const values = this.keyForms.map((f, i) => {
      const param = f.keyParam!;
      params.push(param.text(key[i]!));
      return `$${params.length}::${param.cast}${param.collate ? ' COLLATE "C"' : ''}`;
    });
    return `(${values.join(', ')})`;
  }

  private where(range: KeyRange, params: unknown[]): string {
    const parts: string[] = [];
    if (range.lower) parts.push(`${this.keyTuple()} >= ${this.bound(range.lower, params)}`);
    if (range.upper) parts.push(`${this.keyTuple()} < ${this.bound(range.upper, params)}`);
    return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
  }

  async summarize(ranges: readonly KeyRange[]): Promise<RangeSummary[]> {
    const out: RangeSummary[] = [];
    for (let start = 0; start < ranges.length; start += RANGES_PER_STATEMENT) {
      const params: unknown[] = [];
      const branches = ranges
        .slice(start, start + RANGES_PER_STATEMENT)
        .map(
          (range, i) =>
            `SELECT ${i} AS r, count(*)::text AS n, coalesce(sum(${this.hash}), 0)::text AS s FROM ${this.from} ${this.where(range, params)}`,
        );
      const result = await this.client.query<{ r: number; n: string; s: string }>(
        branches.map((b) => `(${b})`).join(' UNION ALL '),
        params,
      );
      const byIndex = new Map(result.rows.map((row) => [Number(row.r), row]));
      for (let i = 0; i < branches.length; i++) {
        const row = byIndex.get(i)!;
        out.push({ count: Number(row.n), sum: BigInt(row.s) });
      }
    }
    return out;
  }

  async rowHashes(range: KeyRange): Promise<Array<{ id: string; hash: bigint }>> {
    const params: unknown[] = [];
    const out: Array<{ id: string; hash: bigint }> = [];
    await this.cursor(
      `SELECT ${[...this.keyTexts, this.hash].join(', ')} FROM ${this.from} ${this.where(range, params)}`,
      params,
      (row) => {
        const n = this.keyTexts.length;
        out.push({ id: PostgresTable.keyId(row.slice(0, n) as string[]), hash: BigInt(row[n] as string) });
      },
    );
    return out;
  }

  /** Fingerprint of the whole table (count and hash sum). */
  async total(): Promise<RangeSummary> {
    return (await this.summarize([{ lower: null, upper: null }]))[0]!;
  }

  /** Every row's key id and hash, ordered by key (the streamed comparison). */
  async streamRows(onRow: (id: string, hash: bigint) => void): Promise<void> {
    const n = this.keyTexts.length;
    const order = this.keyForms.length
      ? ` ORDER BY ${this.keyForms.map((f) => quoteIdentifier(f.name)).join(', ')}`
      : '';
    await this.cursor(
      `SELECT ${[...this.keyTexts, this.hash].join(', ')} FROM ${this.from}${order}`,
      [],
      (row) => onRow(PostgresTable.keyId(row.slice(0, n) as string[]), BigInt(row[n] as string)),
    );
  }

  /** Rows of a table without key: how many of each row hash. */
  async hashCounts(): Promise<Map<bigint, number>> {
    const counts = new Map<bigint, number>();
    await this.cursor(
      `SELECT h, count(*) FROM (SELECT ${this.hash} AS h FROM ${this.from}) rows GROUP BY h`,
      [],
      (row) => counts.set(BigInt(row[0] as string), Number(row[1])),
    );
    return counts;
  }

  /** The source rows with these key ids (key texts as the ids hold them), with hash and payload. */
  async rowsByKeys(ids: readonly string[]): Promise<SourceRow[]> {
    if (ids.length === 0) return [];
    const texts = ids.map((id) => JSON.parse(id) as string[]);
    const params = this.keyForms.map((_, i) => texts.map((t) => t[i]));
    const unnest = `unnest(${params.map((_, i) => `$${i + 1}::text[]`).join(', ')})`;
    const wanted = this.keyTexts.map((_, i) => `k${i}`);
    // a key column with a castable text is matched as its own type (the primary key's index serves)
    const match = this.keyForms
      .map((f, i) =>
        f.keyParam
          ? `${quoteIdentifier(f.name)} = wanted.k${i}::${f.keyParam.cast}`
          : `${f.sql} = wanted.k${i}`,
      )
      .join(' AND ');
    const result = await this.client.query({
      text: `SELECT ${[...this.keyTexts, this.hash, this.payload].join(', ')} FROM ${this.from}
              WHERE EXISTS (SELECT 1 FROM ${unnest} AS wanted(${wanted.join(', ')}) WHERE ${match})`,
      values: params,
      rowMode: 'array',
    });
    const n = this.keyTexts.length;
    return (result.rows as unknown[][]).map((row) => ({
      id: PostgresTable.keyId(row.slice(0, n) as string[]),
      hash: BigInt(row[n] as string),
      payload: row[n + 1] as string,
    }));
  }

  /** Source rows (of a table without key) with one of these hashes: each distinct row once, with its count. */
  async rowsByHashes(hashes: readonly bigint[]): Promise<Array<SourceRow & { count: number }>> {
    if (hashes.length === 0) return [];
    const result = await this.client.query({
      text: `SELECT h, min(p), count(*) FROM (SELECT ${this.hash} AS h, ${this.payload} AS p FROM ${this.from}) rows
              WHERE h = ANY($1::bigint[]) GROUP BY h`,
      values: [hashes.map(String)],
      rowMode: 'array',
    });
    return (result.rows as unknown[][]).map((row) => ({
      id: String(row[0]),
      hash: BigInt(row[0] as string),
      payload: row[1] as string,
      count: Number(row[2]),
    }));
  }

  /** Run a SELECT through a cursor, FETCH_ROWS rows at a time, rows as arrays. */
  private async cursor(sql: string, params: unknown[], onRow: (row: unknown[]) => void): Promise<void> {
    await this.client.query('BEGIN READ ONLY');
    try {
      await this.client.query({ text: `DECLARE verify_rows NO SCROLL CURSOR FOR ${sql}`, values: params });
      for (;;) {
        const batch = await this.client.query({
          text: `FETCH ${FETCH_ROWS} FROM verify_rows`,
          rowMode: 'array',
        });
        for (const row of batch.rows as unknown[][]) onRow(row);
        if (batch.rows.length < FETCH_ROWS) break;
      }
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}
