// The test stack's PostgreSQL (DSI_POSTGRES_URL): a database of one test's own, created empty and
// dropped at the end with whatever replication slots the test left on it (a slot keeps WAL and makes a
// database impossible to drop).

import pg from 'pg';
import { stackEnv } from './stack-env.js';

export interface TestDatabase {
  readonly name: string;
  /** Connection string of the test's database (the superuser `postgres`, trust authentication). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** A client connected to the test's database, in UTC. */
  connect(): Promise<pg.Client>;
  /** Drops the database (and its replication slots). */
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function connectTo(url: string): Promise<pg.Client> {
  // TimeZone=UTC: timestamptz values and the decoded commit times print in UTC.
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' });
  await client.connect();
  return client;
}

/** A client on the server's `postgres` database, for what is cluster-wide (roles, databases). */
export function connectAdmin(): Promise<pg.Client> {
  return connectTo(stackEnv('DSI_POSTGRES_URL'));
}

/** A new database named `name` ([a-z0-9_], unique per test: use isolate().namespace or its id). */
export async function createTestDatabase(name: string): Promise<TestDatabase> {
  const adminUrl = stackEnv('DSI_POSTGRES_URL');
  const admin = await connectTo(adminUrl);
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const parsed = new URL(url);
  return {
    name,
    url,
    host: parsed.hostname,
    port: Number(parsed.port),
    connect: () => connectTo(url),
    async drop() {
      const client = await connectTo(adminUrl);
      try {
        await client.query(
          'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1',
          [name],
        );
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
