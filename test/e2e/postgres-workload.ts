// The source side of the PostgreSQL end-to-end test: four tables in one schema of a test database, the
// seed guide's SQL, and a seeded random mix of inserts, partial updates, deletes, re-inserts,
// multi-statement transactions and rollbacks over the column types of the fixtures. The tables:
//   products     the seed guide's table (id 888 kept; 1004 and 2026 inserted at 77.7, re-priced 88.8, deleted)
//   orders       bigint key; uuid, numeric(18,4), bigint, text, boolean, double precision, jsonb, text[],
//                date, time, timestamptz, timestamp, bytea
//   order_items  a two-column key; varchar(40), integer, integer[]
//   audit_log    no primary key: insert-only, identical rows included
// Values stay small (no TOAST), so an UPDATE's decoded row is always complete.

import type pg from 'pg';
import type { Random } from '../support/random.js';
import type { DeclaredTables } from './pipeline.js';

const TABLES: Record<string, { columns: Array<[string, string]>; primary_keys: string[] }> = {
  products: {
    primary_keys: ['id'],
    columns: [
      ['id', 'integer'],
      ['name', 'varchar(100)'],
      ['price', 'numeric(10,2)'],
      ['updated_at', 'timestamp'],
    ],
  },
  orders: {
    primary_keys: ['order_id'],
    columns: [
      ['order_id', 'bigint'],
      ['customer_id', 'uuid'],
      ['amount', 'numeric(18,4)'],
      ['big_counter', 'bigint'],
      ['status', 'text'],
      ['is_paid', 'boolean'],
      ['ratio', 'double precision'],
      ['attrs', 'jsonb'],
      ['tags', 'text[]'],
      ['created_on', 'date'],
      ['pickup_time', 'time'],
      ['created_at', 'timestamptz'],
      ['local_at', 'timestamp'],
      ['blob', 'bytea'],
    ],
  },
  order_items: {
    primary_keys: ['order_id', 'line_no'],
    columns: [
      ['order_id', 'bigint'],
      ['line_no', 'integer'],
      ['sku', 'varchar(40)'],
      ['qty', 'integer'],
      ['scores', 'integer[]'],
    ],
  },
  audit_log: {
    primary_keys: [],
    columns: [
      ['id', 'bigint'],
      ['msg', 'text'],
      ['at', 'timestamptz'],
      ['detail', 'jsonb'],
    ],
  },
};

export const INSERT_ONLY_TABLE = 'audit_log';

/** The tables of `schema` as declared to the pipeline (`schema.table` → PostgreSQL types, keys). */
export function declaredTables(schema: string): DeclaredTables {
  return Object.fromEntries(Object.entries(TABLES).map(([name, t]) => [`${schema}.${name}`, t]));
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function createTables(client: pg.Client, schema: string): Promise<void> {
  await client.query(`CREATE SCHEMA ${q(schema)}`);
  for (const [name, table] of Object.entries(TABLES)) {
    const columns = table.columns.map(([c, type]) => `${q(c)} ${type}`);
    if (table.primary_keys.length) columns.push(`PRIMARY KEY (${table.primary_keys.map(q).join(', ')})`);
    await client.query(`CREATE TABLE ${q(schema)}.${q(name)} (${columns.join(', ')})`);
  }
}

/** The seed guide's validation SQL, as its statements ran. */
export async function runSeedGuide(client: pg.Client, schema: string): Promise<void> {
  const products = `${q(schema)}.products`;
  await client.query(
    `INSERT INTO ${products} (id, name, price, updated_at) VALUES (888, 'Dataflow_Ready_Test', 99.90, '2026-11-24 09:00:00')`,
  );
  for (const id of [1004, 2026]) {
    await client.query(
      `INSERT INTO ${products} (id, name, price, updated_at) VALUES ($1, 'Final_Validation_Item', 77.7, now())`,
      [id],
    );
    await client.query(`UPDATE ${products} SET price = 88.8, updated_at = now() WHERE id = $1`, [id]);
    await client.query(`DELETE FROM ${products} WHERE id = $1`, [id]);
  }
}

// ---------------------------------------------------------------------------------------------------
// Random values, in forms node-postgres sends as parameters (cast in the SQL).

const pick = <T>(random: Random, values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
const int = (random: Random, below: number) => Math.floor(random() * below);
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function uuid(random: Random): string {
  const hex = Array.from({ length: 32 }, () => int(random, 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function decimal(random: Random, integerDigits: number, scale: number): string {
  if (random() < 0.08) return pick(random, ['0', '99999999999999.9999', '-99999999999999.9999', '0.0001']);
  const whole = Array.from({ length: 1 + int(random, integerDigits) }, () => int(random, 10)).join('');
  const fraction = Array.from({ length: scale }, () => int(random, 10)).join('');
  return `${random() < 0.3 ? '-' : ''}${whole.replace(/^0+(?=\d)/, '')}.${fraction}`;
}

function bigint(random: Random): string {
  if (random() < 0.3)
    return pick(random, ['9007199254740993', '-9007199254740993', '9223372036854775807', '0']);
  return String(BigInt(int(random, 2 ** 31)) * BigInt(int(random, 2 ** 31)) * (random() < 0.5 ? -1n : 1n));
}

const TEXTS = [
  'NEW',
  'SHIPPED',
  '',
  'it\'s "quoted"',
  'back\\slash and {braces}',
  'tab\tand\nnewline',
  '취소됨',
  'ünïcødé 🚀',
  'null',
  ' spaces ',
];

function date(random: Random): string {
  if (random() < 0.1) return pick(random, ['0001-01-01', '9999-12-31', '1970-01-01']);
  return `${1900 + int(random, 200)}-${pad(1 + int(random, 12))}-${pad(1 + int(random, 28))}`;
}

function time(random: Random): string {
  return `${pad(int(random, 24))}:${pad(int(random, 60))}:${pad(int(random, 60))}.${pad(int(random, 1_000_000), 6)}`;
}

function timestamp(random: Random): string {
  if (random() < 0.1)
    return pick(random, ['1969-12-31 23:59:59.999999', '1970-01-01 00:00:00', '2038-01-19 03:14:08']);
  return `${date(random).replace(/^(0001|9999)/, '2001')} ${time(random)}`;
}

function jsonb(random: Random): string | null {
  return pick(random, [
    null,
    '{}',
    '[]',
    `{"channel":"web","n":[1,2,{"deep":null}],"k${int(random, 100)}":${int(random, 1000)}}`,
    `{"price":12.50,"ok":true,"text":"a \\"quoted\\" ü"}`,
    `[${int(random, 10)},"x",null]`,
    '42',
  ]);
}

function textArray(random: Random): Array<string | null> | null {
  return pick(random, [
    null,
    [],
    ['a', 'b'],
    ['x', null],
    ['with,comma', 'with "quote"', 'with space', '{}'],
    ['NULL'],
  ]);
}

function bytes(random: Random): Buffer | null {
  if (random() < 0.1) return null;
  return Buffer.from(Array.from({ length: int(random, 40) }, () => int(random, 256)));
}

const ORDER_VALUES: Record<string, (random: Random) => unknown> = {
  customer_id: (r) => (r() < 0.1 ? null : uuid(r)),
  amount: (r) => (r() < 0.1 ? null : decimal(r, 14, 4)),
  big_counter: (r) => bigint(r),
  status: (r) => pick(r, TEXTS),
  is_paid: (r) => pick(r, [true, false, null]),
  ratio: (r) => pick(r, [0.1, -1.5e-7, 1e300, Math.PI, 0, null, r() * 1000]),
  attrs: (r) => jsonb(r),
  tags: (r) => textArray(r),
  created_on: (r) => date(r),
  pickup_time: (r) => time(r),
  created_at: (r) => `${timestamp(r)}+00`,
  local_at: (r) => timestamp(r),
  blob: (r) => bytes(r),
};

const CASTS: Record<string, string> = Object.fromEntries(TABLES.orders!.columns);

// ---------------------------------------------------------------------------------------------------
// The random mix. The live and deleted keys are tracked so updates, deletes and re-inserts hit real
// rows; a rolled-back transaction restores them.

interface Keys {
  liveOrders: bigint[];
  deletedOrders: bigint[];
  items: Array<[bigint, number]>;
  audits: unknown[][];
  nextOrder: bigint;
  nextAudit: number;
}

export interface WorkloadSummary {
  transactions: number;
  rolledBack: number;
  statements: number;
}

export async function runRandomWorkload(
  client: pg.Client,
  schema: string,
  random: Random,
  transactions: number,
): Promise<WorkloadSummary> {
  const t = (name: string) => `${q(schema)}.${q(name)}`;
  let keys: Keys = {
    liveOrders: [],
    deletedOrders: [],
    items: [],
    audits: [],
    nextOrder: random() < 0.5 ? 1n : 9007199254740990n,
    nextAudit: 1,
  };
  const copy = (k: Keys): Keys => ({
    ...k,
    liveOrders: [...k.liveOrders],
    deletedOrders: [...k.deletedOrders],
    items: [...k.items],
    audits: [...k.audits],
  });

  const insertOrder = async (k: Keys, id: bigint) => {
    const names = Object.keys(ORDER_VALUES);
    const values = names.map((name) => ORDER_VALUES[name]!(random));
    await client.query(
      `INSERT INTO ${t('orders')} (order_id, ${names.map(q).join(', ')}) VALUES ($1::bigint, ${names.map((n, i) => `$${i + 2}::${CASTS[n]}`).join(', ')})`,
      [String(id), ...values],
    );
    k.liveOrders.push(id);
    k.deletedOrders = k.deletedOrders.filter((d) => d !== id);
  };

  const updateOrder = async (id: bigint) => {
    const names = Object.keys(ORDER_VALUES);
    const chosen = names.filter(() => random() < 0.25);
    if (chosen.length === 0) chosen.push(pick(random, names));
    await client.query(
      `UPDATE ${t('orders')} SET ${chosen.map((n, i) => `${q(n)} = $${i + 2}::${CASTS[n]}`).join(', ')} WHERE order_id = $1::bigint`,
      [String(id), ...chosen.map((n) => ORDER_VALUES[n]!(random))],
    );
  };

  const operations: Array<(k: Keys) => Promise<void>> = [
    // a new order
    async (k) => {
      await insertOrder(k, k.nextOrder);
      k.nextOrder += 1n + BigInt(int(random, 3));
    },
    // a new order changed again in the same transaction
    async (k) => {
      const id = k.nextOrder;
      k.nextOrder += 1n;
      await insertOrder(k, id);
      await updateOrder(id);
    },
    // a partial update
    async (k) => {
      if (k.liveOrders.length) await updateOrder(pick(random, k.liveOrders));
    },
    // a delete
    async (k) => {
      if (!k.liveOrders.length) return;
      const id = pick(random, k.liveOrders);
      await client.query(`DELETE FROM ${t('orders')} WHERE order_id = $1::bigint`, [String(id)]);
      k.liveOrders = k.liveOrders.filter((o) => o !== id);
      k.deletedOrders.push(id);
    },
    // a deleted key inserted again
    async (k) => {
      if (k.deletedOrders.length) await insertOrder(k, pick(random, k.deletedOrders));
    },
    // an item of an order
    async (k) => {
      const order = k.liveOrders.length ? pick(random, k.liveOrders) : 424242n;
      const line = 1 + k.items.filter(([o]) => o === order).length + int(random, 2);
      if (k.items.some(([o, l]) => o === order && l === line)) return;
      await client.query(
        `INSERT INTO ${t('order_items')} VALUES ($1::bigint, $2::integer, $3::varchar(40), $4::integer, $5::integer[])`,
        [
          String(order),
          line,
          pick(random, TEXTS).slice(0, 40),
          int(random, 100) - 10,
          pick(random, [null, [], [1, 2, 3], [null, -7]]),
        ],
      );
      k.items.push([order, line]);
    },
    // an item's quantity changed, or the item removed
    async (k) => {
      if (!k.items.length) return;
      const [order, line] = pick(random, k.items);
      if (random() < 0.6) {
        await client.query(
          `UPDATE ${t('order_items')} SET qty = qty + 1 WHERE order_id = $1::bigint AND line_no = $2`,
          [String(order), line],
        );
      } else {
        await client.query(`DELETE FROM ${t('order_items')} WHERE order_id = $1::bigint AND line_no = $2`, [
          String(order),
          line,
        ]);
        k.items = k.items.filter(([o, l]) => !(o === order && l === line));
      }
    },
    // an audit row (now and then one identical to an earlier one: the insert-only table keeps both)
    async (k) => {
      const values =
        k.audits.length && random() < 0.2
          ? pick(random, k.audits)
          : [String(k.nextAudit++), pick(random, TEXTS), `${timestamp(random)}+00`, jsonb(random)];
      await client.query(
        `INSERT INTO ${t('audit_log')} VALUES ($1::bigint, $2::text, $3::timestamptz, $4::jsonb)`,
        values,
      );
      k.audits.push(values);
    },
  ];

  const summary: WorkloadSummary = { transactions: 0, rolledBack: 0, statements: 0 };
  for (let i = 0; i < transactions; i++) {
    const before = copy(keys);
    const statements = 1 + int(random, 4);
    await client.query('BEGIN');
    for (let s = 0; s < statements; s++) {
      await pick(random, operations)(keys);
      summary.statements += 1;
    }
    if (random() < 0.15) {
      await client.query('ROLLBACK');
      keys = before;
      summary.rolledBack += 1;
    } else {
      await client.query('COMMIT');
    }
    summary.transactions += 1;
  }
  return summary;
}

/**
 * SQL selecting every row of a table in the canonical form of the fixtures (and of `show`): integers
 * exact, numeric(p,s) as text with s decimals, jsonb as its value, dates and times as ISO text with
 * microseconds, timestamptz in UTC with `Z`, bytea as base64.
 */
export function canonicalSelect(schema: string, name: string): string {
  const table = TABLES[name]!;
  const value = (column: string, type: string): string => {
    const c = q(column);
    const base = type.replace(/\(.*\)/, '').trim();
    if (type.endsWith('[]')) return c;
    switch (base) {
      case 'numeric':
        return `${c}::text`;
      case 'date':
        return `to_char(${c}, 'YYYY-MM-DD')`;
      case 'time':
        return `to_char(${c}, 'HH24:MI:SS.US')`;
      case 'timestamp':
        return `to_char(${c}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
      case 'timestamptz':
        return `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
      case 'bytea':
        return `translate(encode(${c}, 'base64'), E'\\n', '')`;
      default:
        return c;
    }
  };
  const pairs = table.columns.map(([c, type]) => `'${c}', ${value(c, type)}`);
  return `SELECT json_build_object(${pairs.join(', ')})::text AS row FROM ${q(schema)}.${q(name)}`;
}

export const TABLE_NAMES = Object.keys(TABLES);
