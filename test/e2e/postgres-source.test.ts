// A real PostgreSQL source end to end. The seed guide's SQL and a seeded random workload (inserts,
// partial updates, deletes, re-inserts, multi-statement transactions, rollbacks) run on the stack's
// PostgreSQL; its committed changes are read through logical decoding (test_decoding on a slot, with
// commit times and LSNs) by the Datastream stand-in, which writes them as Datastream JSONL files; the
// files go through the emulator stack (upload to fake-gcs-server → ingest → Cloud Tasks → commit →
// REST catalog) shuffled and partly twice: files re-delivered under their own name, and events repeated
// in a later new file. PyIceberg (through the REST catalog, on gs://) and DuckDB (on a local copy of the
// table's files) must then read exactly what PostgreSQL's own SELECT returns, for keyed tables and the
// insert-only table alike.
//
// The workload is seeded: a failure prints the seed; rerun with DSI_PG_SOURCE_SEED=<seed>.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { canonicalJsonLine, sortedJsonText } from '../../shared/datastream/canonical-form.js';
import { parseJsonLossless, type JsonValue } from '../../shared/datastream/lossless-json.js';
import { tableIdentifier } from '../../shared/table/table-identifier.js';
import {
  changeFile,
  cutIntoFiles,
  readSlotAsEvents,
  type StandInEvent,
  type StandInFile,
} from '../support/datastream-stand-in.js';
import { storageClient } from '../support/emulator-clients.js';
import { isolate } from '../support/isolation.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { PY_CANON } from '../support/pyiceberg-compare.js';
import { DUCKDB_CONNECT, runPython } from '../support/python.js';
import { seeded, type Random } from '../support/random.js';
import { LANDING_PREFIX, startPipeline, type DeclaredTables, type Pipeline } from './pipeline.js';
import { runCliCommand } from './replay-command.js';
import {
  canonicalSelect,
  createTables,
  declaredTables,
  INSERT_ONLY_TABLE,
  runRandomWorkload,
  runSeedGuide,
  TABLE_NAMES,
  type WorkloadSummary,
} from './postgres-workload.js';

const SEED = Number(process.env.DSI_PG_SOURCE_SEED ?? Date.now() % 1_000_000);
const TRANSACTIONS = 80;
const SLOT = 'dsi_stand_in';
const CONCURRENT_UPLOADS = 4;
const RERUN = `seed ${SEED} (rerun with DSI_PG_SOURCE_SEED=${SEED})`;

// Both witnesses in one Python process (its start dominates a read): PyIceberg through the REST catalog
// on gs://, DuckDB on the local copy; every row of both, and PostgreSQL's, in canonical form.
const PY_READ_TABLES = `${DUCKDB_CONNECT}${PY_CANON}
import json, sys
from pyiceberg.catalog import load_catalog
con = duckdb_connect()
out = {}
for job in json.loads(sys.argv[1]):
    pg = dict(job["columns"])
    names = [c for c, _ in job["columns"]]
    def canonical(rows):
        return sorted(json.dumps({c: canon(r.get(c), pg[c]) for c in names}, sort_keys=True) for r in rows)
    table = load_catalog("default", **job["catalog"]).load_table(job["table"])
    pyiceberg = canonical(table.scan().to_arrow().to_pylist())
    # The copy out of the bucket: allow_moved_paths finds each file the metadata names under /metadata/
    # or /data/ of the given table folder; version names the current metadata file there.
    duckdb = canonical(con.execute("SELECT * FROM iceberg_scan(?, version = ?, allow_moved_paths = true)", [job["root"], job["version"]]).fetch_arrow_table().to_pylist())
    with open(job["expected"]) as f:
        expected = canonical(json.loads(line) for line in f if line.strip())
    out[job["id"]] = {"postgres": expected, "pyiceberg": pyiceberg, "duckdb": duckdb}
print(json.dumps(out))
`;

/** Per table: its canonical rows as PostgreSQL, PyIceberg and DuckDB return them, each sorted. */
type Read = Record<string, { postgres: string[]; pyiceberg: string[]; duckdb: string[] }>;

function shuffle<T>(random: Random, items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function sample<T>(random: Random, items: readonly T[], share: number): T[] {
  const chosen = items.filter(() => random() < share);
  return chosen.length || items.length === 0 ? chosen : [items[Math.floor(random() * items.length)]!];
}

/** Failures name the seed, so the run can be repeated exactly. */
async function withSeed<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Error) error.message = `${RERUN}: ${error.message}`;
    throw error;
  }
}

describe(`PostgreSQL through the Datastream stand-in and the emulator stack (${RERUN})`, () => {
  const random = seeded(SEED);
  const names = isolate('pg source');
  const schema = names.namespace;
  const tables: DeclaredTables = declaredTables(schema);
  const key = (name: string) => `${schema}.${name}`;
  const insertOnly = key(INSERT_ONLY_TABLE);
  let db: TestDatabase;
  let client: pg.Client;
  let pipeline: Pipeline;
  let dir: string;
  let summary: WorkloadSummary;
  const filesOf = new Map<string, StandInFile[]>();
  const eventsOf = new Map<string, StandInEvent[]>();

  // Files are uploaded in the given order, a few at a time as Datastream writes them (ingest runs as
  // several instances); two generations of one object name are never uploaded at the same time, so
  // each upload is delivered with its own generation.
  const deliver = async (files: StandInFile[]) => {
    const waiting = [...files];
    const uploading = new Set<string>();
    const uploader = async () => {
      while (waiting.length > 0) {
        const next = waiting.findIndex((f) => !uploading.has(f.name));
        if (next < 0) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        const file = waiting.splice(next, 1)[0]!;
        uploading.add(file.name);
        try {
          const { record } = await pipeline.upload(file.name, file.bytes);
          assert.notEqual(record.status, 'failed', `${file.name}: ${record.reason ?? ''}`);
        } finally {
          uploading.delete(file.name);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT_UPLOADS }, uploader));
    await pipeline.waitUntilApplied(Object.keys(tables));
  };

  /** PostgreSQL's rows of each table, canonical, one JSON line each, in a file the comparison reads. */
  const expectedFiles = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const name of TABLE_NAMES) {
      const rows = await client.query<{ row: string }>(canonicalSelect(schema, name));
      const path = join(dir, 'expected', `${key(name)}.jsonl`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, rows.rows.map((r) => `${r.row}\n`).join(''));
      out[key(name)] = path;
    }
    return out;
  };

  /** The table's files copied out of the bucket: the local table folder and its current metadata version. */
  const localCopy = async (table: string, round: string): Promise<{ root: string; version: string }> => {
    const loaded = await pipeline.runtime.catalog.loadTable(tableIdentifier(table));
    const location = loaded.metadata.location;
    const prefix = location.slice(`gs://${pipeline.bucket}/`.length);
    const [objects] = await storageClient()
      .bucket(pipeline.bucket)
      .getFiles({ prefix: `${prefix}/` });
    const root = join(dir, 'copies', round, table);
    for (const object of objects) {
      const [bytes] = await object.download();
      const path = join(root, object.name.slice(prefix.length + 1));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
    }
    const metadataFile = loaded.metadataLocation.slice(loaded.metadataLocation.lastIndexOf('/') + 1);
    return { root, version: metadataFile.replace(/\.metadata\.json$/, '') };
  };

  /** PyIceberg's and DuckDB's rows of every table next to PostgreSQL's. */
  const readAll = async (round: string): Promise<Read> => {
    const expected = await expectedFiles();
    const jobs = [];
    for (const [table, declared] of Object.entries(tables)) {
      jobs.push({
        id: table,
        catalog: pipeline.pyicebergCatalog(),
        table,
        columns: declared.columns,
        expected: expected[table]!,
        ...(await localCopy(table, round)),
      });
    }
    return runPython<Read>(PY_READ_TABLES, [JSON.stringify(jobs)]);
  };

  const assertReadExactly = (read: Read, table: string) => {
    const seen = read[table]!;
    assert.ok(seen.postgres.length > 0, `${table}: PostgreSQL has rows`);
    assert.deepEqual(seen.pyiceberg, seen.postgres, `${table}: PyIceberg against PostgreSQL`);
    assert.deepEqual(seen.duckdb, seen.postgres, `${table}: DuckDB against PostgreSQL`);
  };

  before(async () => {
    await withSeed(async () => {
      dir = mkdtempSync(join(tmpdir(), 'dsi-pg-source-'));
      db = await createTestDatabase(schema);
      client = await db.connect();
      await createTables(client, schema);
      await client.query("SELECT pg_create_logical_replication_slot($1, 'test_decoding')", [SLOT]);
      await runSeedGuide(client, schema);
      summary = await runRandomWorkload(client, schema, random, TRANSACTIONS);
      const { events } = await readSlotAsEvents(client, SLOT, tables, random);
      for (const event of events) eventsOf.set(event.table, [...(eventsOf.get(event.table) ?? []), event]);
      for (const [table, list] of eventsOf) {
        filesOf.set(
          table,
          cutIntoFiles(table, list, {
            landingPrefix: LANDING_PREFIX,
            random,
            maxEvents: 20,
            gzipShare: 0.25,
            // Keyed tables get events repeated in the next file from the start; the insert-only table
            // only in the second round (see the last test).
            maxOverlap: table === insertOnly ? 0 : 3,
          }),
        );
      }
      pipeline = await startPipeline({ label: 'pg source', trigger: 'cloudevent', tables });
    });
  });

  after(async () => {
    await pipeline?.close();
    await client?.end();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every file once in shuffled order, keyed files partly twice: PyIceberg and DuckDB read exactly PostgreSQL', async (t) => {
    await withSeed(async () => {
      t.diagnostic(
        `${summary.transactions} transactions (${summary.rolledBack} rolled back), ${summary.statements} statements; ` +
          [...eventsOf]
            .map(
              ([table, events]) => `${table}: ${events.length} events in ${filesOf.get(table)!.length} files`,
            )
            .join(', '),
      );
      const originals = [...filesOf.values()].flat();
      const keyedFiles = originals.filter((f) => f.table !== insertOnly);
      await deliver(shuffle(random, [...originals, ...sample(random, keyedFiles, 0.25)]));
      // The seed guide's checks: 888 kept, 1004 and 2026 gone.
      const products = await client.query<{ id: number }>(`SELECT id FROM "${schema}".products ORDER BY id`);
      assert.deepEqual(products.rows, [{ id: 888 }]);
      const read = await readAll('first');
      for (const table of Object.keys(tables)) assertReadExactly(read, table);
    });
  });

  let secondRound: Promise<Read> | undefined;
  // Files of every table delivered again after they were committed: under their own name (a new
  // generation), and as a new file repeating events of earlier ones; then every table read again.
  const deliverAgain = () =>
    (secondRound ??= withSeed(async () => {
      const again: StandInFile[] = [];
      for (const [table, files] of filesOf) {
        again.push(...sample(random, files, 0.3));
        const events = eventsOf.get(table)!;
        const repeated = sample(random, events, 4 / events.length).slice(0, 6);
        again.push(changeFile(LANDING_PREFIX, table, repeated, random, random() < 0.5));
      }
      await deliver(shuffle(random, again));
      return readAll('second');
    }));

  test('delivered again after being committed, the keyed tables still read exactly PostgreSQL', async () => {
    const read = await deliverAgain();
    await withSeed(async () => {
      for (const table of Object.keys(tables).filter((t) => t !== insertOnly)) assertReadExactly(read, table);
    });
  });

  test('delivered again after being committed, the insert-only table loses none of its rows', async () => {
    const read = await deliverAgain();
    await withSeed(async () => {
      const seen = read[insertOnly]!;
      const missing = (actual: string[]) => {
        const left = [...actual];
        return seen.postgres.filter((row) => {
          const at = left.indexOf(row);
          if (at >= 0) left.splice(at, 1);
          return at < 0;
        });
      };
      assert.deepEqual(missing(seen.pyiceberg), [], `${insertOnly}: rows PyIceberg lacks`);
      assert.deepEqual(missing(seen.duckdb), [], `${insertOnly}: rows DuckDB lacks`);
    });
  });

  test('delivered again after being committed, the insert-only table gains no row: it reads exactly PostgreSQL', async () => {
    const read = await deliverAgain();
    await withSeed(async () => assertReadExactly(read, insertOnly));
  });
});

// `verify --cloud` on the same deployment (configured like the functions), reading the source database
// with SELECT only: equal after the pipeline ran, then exactly the changes made behind its back (on
// PostgreSQL, never decoded into files): an update, a delete and an insert of a keyed table, a row
// removed and one added in the insert-only table.
describe(`verify against the source after the pipeline ran (${RERUN})`, () => {
  const random = seeded(SEED + 1);
  const names = isolate('pg verify');
  const schema = names.namespace;
  const tables: DeclaredTables = declaredTables(schema);
  const key = (name: string) => `${schema}.${name}`;
  let db: TestDatabase;
  let client: pg.Client;
  let pipeline: Pipeline;

  interface Reported {
    kind: string;
    key: unknown;
    source: unknown;
    table: unknown;
    count: number;
  }
  interface VerifyJson {
    table: string;
    mode: string;
    equal: boolean;
    counts: { source: number; table: number };
    settled: number;
    differences: Reported[];
  }

  const verify = async (table: string, recheckAfter: string) => {
    const run = await runCliCommand(
      'verify',
      [table, '--cloud', '--source', db.url, '--recheck-after', recheckAfter, '--json'],
      pipeline.environment,
    );
    assert.ok(run.code === 0 || run.code === 1, `${table}: exit ${run.code}: ${run.stderr}`);
    // lossless: order ids go past 2^53
    return { code: run.code, report: parseJsonLossless(run.stdout) as unknown as VerifyJson };
  };

  /** PostgreSQL's rows of a table (canonicalSelect), parsed, by a column's value. */
  const sourceRows = async (name: string, where = 'true') =>
    (await client.query<{ row: string }>(`${canonicalSelect(schema, name)} WHERE ${where}`)).rows.map((r) =>
      canonicalJsonLine(r.row),
    );
  const canonical = (value: unknown) => (value === null ? null : sortedJsonText(value as JsonValue));

  before(async () => {
    await withSeed(async () => {
      db = await createTestDatabase(schema);
      client = await db.connect();
      await createTables(client, schema);
      await client.query("SELECT pg_create_logical_replication_slot($1, 'test_decoding')", [SLOT]);
      await runSeedGuide(client, schema);
      await runRandomWorkload(client, schema, random, 40);
      const { events } = await readSlotAsEvents(client, SLOT, tables, random);
      pipeline = await startPipeline({ label: 'pg verify', trigger: 'cloudevent', tables });
      const byTable = new Map<string, StandInEvent[]>();
      for (const e of events) byTable.set(e.table, [...(byTable.get(e.table) ?? []), e]);
      for (const [table, list] of byTable) {
        for (const file of cutIntoFiles(table, list, {
          landingPrefix: LANDING_PREFIX,
          random,
          maxEvents: 25,
          gzipShare: 0.25,
          maxOverlap: 0,
        })) {
          const { record } = await pipeline.upload(file.name, file.bytes);
          assert.notEqual(record.status, 'failed', `${file.name}: ${record.reason ?? ''}`);
        }
      }
      await pipeline.waitUntilApplied(Object.keys(tables));
    });
  });

  after(async () => {
    await pipeline?.close();
    await client?.end();
    await db?.drop();
  });

  test('after the pipeline ran, every table equals its source: exit 0, no difference', async () => {
    await withSeed(async () => {
      for (const table of Object.keys(tables)) {
        const { code, report } = await verify(table, '0');
        assert.equal(code, 0, `${table}: ${JSON.stringify(report.differences)}`);
        assert.deepEqual(report.differences, []);
        assert.equal(report.counts.table, report.counts.source);
        assert.equal(report.mode, table === key(INSERT_ONLY_TABLE) ? 'row-multiset' : 'range-hash', table);
      }
    });
  });

  test('an update, a delete and an insert behind the pipeline: exactly those keys, with both rows', async () => {
    await withSeed(async () => {
      // Behind its back: the slot still holds these changes; nothing decodes them into files.
      const ids = (
        await client.query<{ id: string }>(
          `SELECT order_id::text AS id FROM "${schema}".orders ORDER BY order_id`,
        )
      ).rows.map((r) => r.id);
      assert.ok(ids.length >= 2, `${ids.length} orders`);
      const [updated, deleted] = [ids[0]!, ids[ids.length - 1]!];
      const inserted = (BigInt(ids[ids.length - 1]!) + 1000n).toString();
      const before = new Map<string, string>();
      for (const id of [updated, deleted])
        before.set(id, (await sourceRows('orders', `order_id = ${id}`))[0]!);
      await client.query(
        `UPDATE "${schema}".orders SET status = 'changed behind', amount = 1.5 WHERE order_id = $1`,
        [updated],
      );
      await client.query(`DELETE FROM "${schema}".orders WHERE order_id = $1`, [deleted]);
      await client.query(
        `INSERT INTO "${schema}".orders (order_id, status, attrs, tags, created_at, blob) VALUES ($1, 'new', '{"b":1.50,"a":[1,null]}', '{x,"y z"}', '2026-12-06 22:00:00.5+00', '\\x00ff')`,
        [inserted],
      );
      const { code, report } = await verify(key('orders'), '1');
      assert.equal(code, 1);
      assert.equal(report.mode, 'range-hash');
      assert.equal(report.counts.source, report.counts.table);
      const seen = report.differences.map((d) => ({
        kind: d.kind,
        key: canonical(d.key),
        source: canonical(d.source),
        table: canonical(d.table),
        count: d.count,
      }));
      const keyOf = (id: string) => canonicalJsonLine(`{"order_id":${id}}`);
      assert.deepEqual(seen, [
        {
          kind: 'changed',
          key: keyOf(updated),
          source: (await sourceRows('orders', `order_id = ${updated}`))[0],
          table: before.get(updated),
          count: 1,
        },
        { kind: 'extra', key: keyOf(deleted), source: null, table: before.get(deleted), count: 1 },
        {
          kind: 'missing',
          key: keyOf(inserted),
          source: (await sourceRows('orders', `order_id = ${inserted}`))[0],
          table: null,
          count: 1,
        },
      ]);
      // the tables nobody touched are still equal
      for (const name of ['products', 'order_items'])
        assert.equal((await verify(key(name), '0')).code, 0, name);
    });
  });

  test('the insert-only table: a row removed and a row added behind the pipeline, compared as a multiset', async () => {
    await withSeed(async () => {
      const table = `"${schema}".${INSERT_ONLY_TABLE}`;
      const first = await client.query<{ ctid: string }>(
        `SELECT ctid::text FROM ${table} ORDER BY id, ctid LIMIT 1`,
      );
      assert.equal(first.rows.length, 1, 'the workload wrote audit rows');
      const removed = (await sourceRows(INSERT_ONLY_TABLE, `ctid = '${first.rows[0]!.ctid}'::tid`))[0]!;
      await client.query(`DELETE FROM ${table} WHERE ctid = $1::tid`, [first.rows[0]!.ctid]);
      await client.query(
        `INSERT INTO ${table} VALUES (424242, 'added behind', '2026-12-06 22:00:00+00', '{"k":[]}')`,
      );
      const added = (await sourceRows(INSERT_ONLY_TABLE, 'id = 424242'))[0]!;
      const { code, report } = await verify(key(INSERT_ONLY_TABLE), '0');
      assert.equal(code, 1);
      assert.equal(report.mode, 'row-multiset');
      const seen = report.differences.map((d) => ({
        kind: d.kind,
        source: canonical(d.source),
        table: canonical(d.table),
        count: d.count,
      }));
      const expected = [
        { kind: 'missing', source: added, table: null, count: 1 },
        { kind: 'extra', source: null, table: removed, count: 1 },
      ];
      assert.deepEqual(
        seen.sort((a, b) => a.kind.localeCompare(b.kind)),
        expected.sort((a, b) => a.kind.localeCompare(b.kind)),
      );
    });
  });
});
