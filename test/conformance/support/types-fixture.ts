// The `types` scenario's table as Iceberg: its schema (PostgreSQL types through the project's type
// table), its expected rows converted from their canonical JSON forms into values.ts, and the canonical
// text of any value, the form the Python readers report, so both sides compare exactly.

import { readFileSync } from 'node:fs';
import { JSONParse, JSONStringify } from 'json-with-bigint';
import { postgresToIceberg } from '../../../shared/datastream/postgres-types.js';
import { buildSchema } from '../../../shared/iceberg/spec/schema.js';
import { formatDecimal } from '../../../shared/iceberg/spec/transforms.js';
import { parseDecimal, type IcebergType, type Schema } from '../../../shared/iceberg/spec/types.js';
import type { IcebergValue, Row } from '../../../shared/iceberg/spec/values.js';
import type { CanonicalValue } from './readers.js';

const FIXTURES = new URL('../../../../test/fixtures/iceberg/types/', import.meta.url);

interface TableDefinition {
  primary_keys: string[];
  columns: [string, string][];
}

export function typesSchema(): Schema {
  const tables = JSON.parse(readFileSync(new URL('tables.json', FIXTURES), 'utf8')) as Record<
    string,
    TableDefinition
  >;
  const def = tables['public.orders']!;
  return buildSchema(
    def.columns.map(([name, pg]) => ({
      name,
      type: postgresToIceberg(pg).iceberg,
      required: def.primary_keys.includes(name),
    })),
    { identifierFieldNames: def.primary_keys },
  );
}

function daysOf(iso: string): number {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d);
  return Math.round(date.getTime() / 86_400_000);
}

function microsOfTime(text: string): bigint {
  const [h, m, s] = text.split(':') as [string, string, string];
  const [whole, frac = ''] = s.split('.');
  return (
    (BigInt(h) * 3600n + BigInt(m) * 60n + BigInt(whole!)) * 1_000_000n +
    BigInt(frac.padEnd(6, '0').slice(0, 6))
  );
}

function decimalOf(text: string, scale: number): bigint {
  const negative = text.startsWith('-');
  const [int, frac = ''] = text.replace(/^[-+]/, '').split('.');
  const unscaled = BigInt(int! + frac.padEnd(scale, '0'));
  return negative ? -unscaled : unscaled;
}

function valueOf(type: IcebergType, pgType: string, v: unknown): IcebergValue {
  if (v === null || v === undefined) return null;
  if (typeof type !== 'string') {
    if (type.type === 'list') return (v as unknown[]).map((e) => valueOf(type.element, '', e));
    throw new Error(`fixture type ${type.type} not handled`);
  }
  if (pgType.startsWith('json')) return JSONStringify(v);
  switch (type) {
    case 'long':
      return BigInt(v as number | bigint);
    case 'int':
    case 'double':
    case 'float':
    case 'boolean':
    case 'string':
      return v as IcebergValue;
    case 'date':
      return daysOf(v as string);
    case 'time':
      return microsOfTime(v as string);
    case 'timestamp':
    case 'timestamptz': {
      const [date, time] = (v as string).replace(/Z$/, '').split('T') as [string, string];
      return BigInt(daysOf(date)) * 86_400_000_000n + microsOfTime(time);
    }
    case 'binary':
      return new Uint8Array(Buffer.from(v as string, 'base64'));
  }
  const dec = parseDecimal(type);
  if (dec) return decimalOf(v as string, dec.scale);
  throw new Error(`fixture type ${type} not handled`);
}

export function typesRows(schema: Schema): Row[] {
  const tables = JSON.parse(readFileSync(new URL('tables.json', FIXTURES), 'utf8')) as Record<
    string,
    TableDefinition
  >;
  const pg = new Map(tables['public.orders']!.columns);
  const lines = readFileSync(new URL('public.orders.jsonl', FIXTURES), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.map((line) => {
    const json = JSONParse(line) as Record<string, unknown>;
    const row: Row = {};
    for (const f of schema.fields) row[f.name] = valueOf(f.type, pg.get(f.name)!, json[f.name]);
    return row;
  });
}

/** The canonical text of a value, as the Python readers print it. */
export function canonical(type: IcebergType, v: IcebergValue): CanonicalValue {
  if (v === null) return null;
  if (typeof type !== 'string') {
    if (type.type === 'list') return (v as IcebergValue[]).map((e) => canonical(type.element, e));
    if (type.type === 'struct') {
      return Object.fromEntries(
        type.fields.map((f) => [f.name, canonical(f.type, (v as Row)[f.name] ?? null)]),
      );
    }
    return (v as Array<[IcebergValue, IcebergValue]>).map(([k, x]) => [
      canonical(type.key, k),
      canonical(type.value, x),
    ]);
  }
  if (type === 'boolean') return v ? 'true' : 'false';
  if (type === 'float' || type === 'double') {
    const n = v as number;
    return Number.isInteger(n) && Math.abs(n) < 1e16 ? `${n}.0` : String(n);
  }
  if (type === 'binary' || (typeof v === 'object' && v instanceof Uint8Array))
    return Buffer.from(v as Uint8Array).toString('base64');
  const dec = parseDecimal(type);
  if (dec) return formatDecimal(v as bigint, dec.scale);
  return String(v);
}

export function canonicalRow(schema: Schema, row: Row): Record<string, CanonicalValue> {
  return Object.fromEntries(schema.fields.map((f) => [f.name, canonical(f.type, row[f.name] ?? null)]));
}

/** Canonical rows of the types table in key order (order_id compared as an integer). */
export function byOrderId<T extends Record<string, unknown>>(rows: T[]): T[] {
  return [...rows].sort((a, b) => {
    const x = BigInt(a.order_id as string);
    const y = BigInt(b.order_id as string);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
