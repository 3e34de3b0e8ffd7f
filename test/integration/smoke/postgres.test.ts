// The stack's PostgreSQL: a real server with logical decoding on loopback. A logical slot with
// `test_decoding` sees a committed transaction with its xid, commit time and each change's LSN, and
// nothing of a rolled-back one: the properties the end-to-end source test builds on.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isolate } from '../../support/isolation.js';
import { createTestDatabase } from '../../support/postgres.js';

test('PostgreSQL runs with wal_level=logical on 127.0.0.1, and test_decoding decodes committed changes only', async () => {
  const db = await createTestDatabase(isolate('pg smoke').namespace);
  const client = await db.connect();
  try {
    const settings = await client.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('wal_level', 'listen_addresses') ORDER BY name",
    );
    assert.deepEqual(
      settings.rows.map((r) => `${r.name}=${r.setting}`),
      ['listen_addresses=127.0.0.1', 'wal_level=logical'],
    );
    await client.query('CREATE TABLE t (id integer PRIMARY KEY, name text)');
    await client.query("SELECT pg_create_logical_replication_slot('smoke', 'test_decoding')");
    await client.query("INSERT INTO t VALUES (1, 'it''s')");
    await client.query('BEGIN');
    await client.query("INSERT INTO t VALUES (2, 'rolled back')");
    await client.query('ROLLBACK');
    const changes = await client.query<{ lsn: string; xid: string; data: string }>(
      "SELECT lsn::text, xid::text, data FROM pg_logical_slot_get_changes('smoke', NULL, NULL, 'include-xids', '1', 'include-timestamp', '1')",
    );
    const lines = changes.rows.map((r) => r.data);
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(lines[0]!, /^BEGIN \d+$/);
    assert.equal(lines[1], "table public.t: INSERT: id[integer]:1 name[text]:'it''s'");
    assert.match(lines[2]!, /^COMMIT \d+ \(at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\+00\)$/);
    assert.match(changes.rows[1]!.lsn, /^[0-9A-F]+\/[0-9A-F]+$/);
  } finally {
    await client.end();
    await db.drop();
  }
});
