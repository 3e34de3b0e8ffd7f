// scripts/setup-source.sh --sql-only against the stack's real PostgreSQL: the replication user gets
// REPLICATION and read access to the replicated schemas, the publication covers exactly the declared
// tables (or the whole schema without --tables), and a pgoutput logical slot exists; a second run
// changes nothing and succeeds. Checked in pg_catalog, not in the script's output.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { isolate } from '../../support/isolation.js';
import { connectAdmin, createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { REPO_ROOT } from '../../support/scenarios.js';
import { stackEnv } from '../../support/stack-env.js';

describe('scripts/setup-source.sh --sql-only on a real PostgreSQL', () => {
  const names = isolate('setup source');
  const user = `ds_${names.id}`;
  let db: TestDatabase;
  let client: pg.Client;
  let dir: string;

  const setupSource = (...args: string[]) => {
    const result = spawnSync(
      'bash',
      [
        join(REPO_ROOT, 'scripts', 'setup-source.sh'),
        '--sql-only',
        `--host=${db.host}`,
        `--port=${db.port}`,
        `--database=${db.name}`,
        '--admin-user=postgres',
        `--user=${user}`,
        '--sslmode=disable',
        ...args,
      ],
      {
        encoding: 'utf8',
        // psql of the server's own version first; no gcloud is needed (nor on PATH here).
        env: { ...process.env, PATH: `${stackEnv('DSI_POSTGRES_BIN')}:${process.env.PATH ?? ''}` },
      },
    );
    if (result.error) throw result.error;
    assert.equal(result.status, 0, `setup-source.sh failed:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  };

  before(async () => {
    db = await createTestDatabase(names.namespace);
    client = await db.connect();
    // The replication user exists beforehand (on Cloud SQL: `gcloud sql users create`).
    await client.query(`CREATE ROLE ${user} LOGIN`);
    await client.query('CREATE SCHEMA shop');
    await client.query('CREATE SCHEMA "Sales"');
    await client.query('CREATE TABLE shop.products (id integer PRIMARY KEY, price numeric(10,2))');
    await client.query('CREATE TABLE shop.orders (id bigint PRIMARY KEY)');
    await client.query('CREATE TABLE shop.not_replicated (id bigint PRIMARY KEY)');
    await client.query('CREATE TABLE "Sales"."Line""Items" (id bigint PRIMARY KEY)');
    dir = mkdtempSync(join(tmpdir(), 'dsi-source-sql-'));
    writeFileSync(
      join(dir, 'tables.json'),
      JSON.stringify({
        'shop.products': {
          primary_keys: ['id'],
          columns: [
            ['id', 'integer'],
            ['price', 'numeric(10,2)'],
          ],
        },
        'shop.orders': { primary_keys: ['id'], columns: [['id', 'bigint']] },
        // Names that are not lower-case identifiers are written quoted, as PostgreSQL writes them.
        '"Sales"."Line""Items"': { primary_keys: ['id'], columns: [['id', 'bigint']] },
      }),
    );
  });

  after(async () => {
    await client?.end();
    await db?.drop();
    // Roles are cluster-wide: dropped after the database that held its grants.
    const admin = await connectAdmin();
    try {
      await admin.query(`DROP ROLE IF EXISTS ${user}`);
    } finally {
      await admin.end();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('grants, creates the publication of exactly tables.json and a pgoutput slot, and runs again unchanged', async () => {
    const tablesFile = join(dir, 'tables.json');
    const output = setupSource(
      '--tables',
      tablesFile,
      '--publication=dsi_pub_tables',
      '--slot=dsi_slot_tables',
    );
    assert.match(output, /CREATE PUBLICATION/);
    // Idempotent: the same run again succeeds and creates nothing twice.
    setupSource('--tables', tablesFile, '--publication=dsi_pub_tables', '--slot=dsi_slot_tables');

    const role = await client.query<{ rolreplication: boolean }>(
      'SELECT rolreplication FROM pg_roles WHERE rolname = $1',
      [user],
    );
    assert.deepEqual(role.rows, [{ rolreplication: true }]);

    const privileges = await client.query<{ schema: string; usage: boolean }>(
      `SELECT nspname AS schema, has_schema_privilege($1, oid, 'USAGE') AS usage
         FROM pg_namespace WHERE nspname IN ('shop', 'Sales', 'public') ORDER BY nspname`,
      [user],
    );
    assert.deepEqual(privileges.rows, [
      { schema: 'Sales', usage: true },
      { schema: 'public', usage: true }, // PUBLIC's default usage on public, not the script's grant
      { schema: 'shop', usage: true },
    ]);
    const selects = await client.query<{ name: string; select: boolean }>(
      `SELECT n.nspname || '.' || c.relname AS name, has_table_privilege($1, c.oid, 'SELECT') AS select
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname IN ('shop', 'Sales') ORDER BY 1`,
      [user],
    );
    // The grant covers every table of a replicated schema (what the publication reads is narrower).
    assert.deepEqual(selects.rows, [
      { name: 'Sales.Line"Items', select: true },
      { name: 'shop.not_replicated', select: true },
      { name: 'shop.orders', select: true },
      { name: 'shop.products', select: true },
    ]);
    // Tables created later are readable too: the default privileges name the user.
    const defaults = await client.query<{ schema: string; acl: string }>(
      `SELECT n.nspname AS schema, d.defaclacl::text AS acl
         FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace
        WHERE d.defaclobjtype = 'r' ORDER BY 1`,
    );
    assert.deepEqual(
      defaults.rows.map((r) => r.schema),
      ['Sales', 'shop'],
    );
    for (const row of defaults.rows) assert.ok(row.acl.includes(`${user}=r/`), `${row.schema}: ${row.acl}`);
    await client.query('CREATE TABLE shop.later (id bigint)');
    const later = await client.query<{ select: boolean }>(
      "SELECT has_table_privilege($1, 'shop.later', 'SELECT') AS select",
      [user],
    );
    assert.equal(later.rows[0]?.select, true);

    const publication = await client.query<{ name: string }>(
      `SELECT schemaname || '.' || tablename AS name FROM pg_publication_tables
        WHERE pubname = 'dsi_pub_tables' ORDER BY 1`,
    );
    assert.deepEqual(
      publication.rows.map((r) => r.name),
      ['Sales.Line"Items', 'shop.orders', 'shop.products'],
    );
    const publications = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [
      'dsi_pub_tables',
    ]);
    assert.equal(publications.rowCount, 1);

    const slots = await client.query<{ plugin: string; slot_type: string; database: string }>(
      'SELECT plugin, slot_type, database FROM pg_replication_slots WHERE slot_name = $1',
      ['dsi_slot_tables'],
    );
    assert.deepEqual(slots.rows, [{ plugin: 'pgoutput', slot_type: 'logical', database: db.name }]);
  });

  it('without --tables publishes the whole schema, tables created later included', async () => {
    setupSource('--schema=shop', '--publication=dsi_pub_schema', '--slot=dsi_slot_schema');
    const schemas = await client.query<{ schema: string }>(
      `SELECT n.nspname AS schema FROM pg_publication_namespace pn
         JOIN pg_publication p ON p.oid = pn.pnpubid JOIN pg_namespace n ON n.oid = pn.pnnspid
        WHERE p.pubname = 'dsi_pub_schema'`,
    );
    assert.deepEqual(schemas.rows, [{ schema: 'shop' }]);
    await client.query('CREATE TABLE shop.added_later (id bigint PRIMARY KEY)');
    const tables = await client.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_publication_tables WHERE pubname = 'dsi_pub_schema' ORDER BY 1`,
    );
    assert.ok(
      tables.rows.some((r) => r.name === 'added_later'),
      JSON.stringify(tables.rows),
    );
    assert.ok(!tables.rows.some((r) => r.name === 'Line"Items'), 'another schema is not published');
    const slot = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
      'dsi_slot_schema',
    ]);
    assert.equal(slot.rowCount, 1);
  });
});
