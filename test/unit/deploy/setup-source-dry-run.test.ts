// scripts/setup-source.sh --dry-run: logical decoding on the Cloud SQL instance, the grants, publication
// and slot through psql, Datastream's two connection profiles and a stream whose files land where the
// functions look for them (the landing prefix), in the format asked for; and the flag merge that keeps
// an instance's other database flags.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  REPO_ROOT,
  commandsOf,
  optionValue,
  parseOutput,
  runScript,
  type ScriptOutput,
} from './script-output.js';

const REQUIRED = [
  '--project=acme-data',
  '--region=us-central1',
  '--instance=pg-main',
  '--database=shop',
  '--bucket=acme-landing',
];

function sqlOf(output: ScriptOutput): string[] {
  return commandsOf(output, 'psql').map((command) => {
    assert.match(command[1]!, /^host=INSTANCE_IP port=5432 dbname=shop user=postgres sslmode=require$/);
    assert.deepEqual(command.slice(2, 4), ['-v', 'ON_ERROR_STOP=1']);
    assert.equal(command[4], '-c');
    return command[5]!;
  });
}

describe('scripts/setup-source.sh --dry-run', () => {
  let dir: string;
  let tablesFile: string;
  let json: ScriptOutput;
  let avro: ScriptOutput;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dsi-source-'));
    tablesFile = join(dir, 'tables.json');
    writeFileSync(
      tablesFile,
      JSON.stringify({
        'public.products': { primary_keys: ['id'], columns: [['id', 'integer']] },
        'public.orders': { primary_keys: ['id'], columns: [['id', 'bigint']] },
        // A name holding a quote is written quoted, as PostgreSQL writes it (shared/names/table-key.ts).
        'sales."Line""Items"': { primary_keys: ['id'], columns: [['id', 'bigint']] },
      }),
    );
    const first = runScript('setup-source.sh', ['--dry-run', ...REQUIRED, '--tables', tablesFile]);
    assert.equal(first.status, 0, first.stderr);
    json = parseOutput(first.stdout);
    const second = runScript('setup-source.sh', [
      '--dry-run',
      ...REQUIRED,
      '--format=avro',
      '--landing-prefix=streams/pg/',
      '--password-secret=projects/acme-data/secrets/datastream/versions/latest',
      '--no-start',
    ]);
    assert.equal(second.status, 0, second.stderr);
    avro = parseOutput(second.stdout);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('turns logical decoding on', () => {
    const patch = commandsOf(json, 'gcloud', 'sql', 'instances', 'patch');
    assert.equal(patch.length, 1);
    assert.equal(patch[0]![4], 'pg-main');
    assert.equal(optionValue(patch[0]!, 'database-flags'), 'cloudsql.logical_decoding=on');
  });

  it('grants replication, creates the publication of exactly the tables and the pgoutput slot', () => {
    const sql = sqlOf(json);
    assert.ok(sql.includes('ALTER USER "datastream" WITH REPLICATION;'));
    assert.ok(sql.some((s) => s.includes('GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "datastream"')));
    assert.ok(sql.some((s) => s.includes('GRANT SELECT ON ALL TABLES IN SCHEMA "sales" TO "datastream"')));
    const publication = sql.find((s) => s.includes('CREATE PUBLICATION'));
    assert.ok(publication, 'a publication');
    assert.match(
      publication,
      /IF NOT EXISTS \(SELECT 1 FROM pg_publication WHERE pubname = 'dsi_publication'\) THEN CREATE PUBLICATION "dsi_publication" FOR TABLE "public"."products", "public"."orders", "sales"."Line""Items";/,
    );
    const slot = sql.find((s) => s.includes('pg_create_logical_replication_slot'));
    assert.match(slot ?? '', /pg_create_logical_replication_slot\('dsi_slot', 'pgoutput'\) WHERE NOT EXISTS/);

    const whole = sqlOf(avro).find((s) => s.includes('CREATE PUBLICATION'));
    assert.match(whole ?? '', /FOR TABLES IN SCHEMA "public";/, 'without --tables: the whole schema');
  });

  it('creates the PostgreSQL and Cloud Storage connection profiles without a password on the command line', () => {
    const profiles = commandsOf(json, 'gcloud', 'datastream', 'connection-profiles', 'create');
    assert.deepEqual(
      profiles.map((c) => [c[4], optionValue(c, 'type')]),
      [
        ['dsi-stream-postgres', 'postgresql'],
        ['dsi-stream-gcs', 'google-cloud-storage'],
      ],
    );
    const source = profiles[0]!;
    assert.equal(optionValue(source, 'postgresql-database'), 'shop');
    assert.equal(optionValue(source, 'postgresql-username'), 'datastream');
    assert.ok(source.includes('--postgresql-prompt-for-password'));
    assert.ok(source.includes('--static-ip-connectivity'));
    assert.ok(
      !json.commands.flat().some((word) => word.startsWith('--postgresql-password')),
      'no password flag',
    );
    const withSecret = commandsOf(avro, 'gcloud', 'datastream', 'connection-profiles', 'create')[0]!;
    assert.equal(
      optionValue(withSecret, 'postgresql-secret-manager-stored-password'),
      'projects/acme-data/secrets/datastream/versions/latest',
    );
    const destination = profiles[1]!;
    assert.equal(optionValue(destination, 'bucket'), 'acme-landing');
    assert.equal(optionValue(destination, 'root-path'), '/');
  });

  it('creates and starts a JSON (gzip) stream into the landing prefix with the tables of tables.json', () => {
    const create = commandsOf(json, 'gcloud', 'datastream', 'streams', 'create');
    assert.equal(create.length, 1);
    const stream = create[0]!;
    assert.equal(optionValue(stream, 'source'), 'dsi-stream-postgres');
    assert.equal(optionValue(stream, 'destination'), 'dsi-stream-gcs');
    assert.ok(stream.includes('--backfill-all'));

    const sourceConfig = JSON.parse(
      json.files.get(optionValue(stream, 'postgresql-source-config')!) ?? 'null',
    );
    assert.deepEqual(sourceConfig, {
      includeObjects: {
        postgresqlSchemas: [
          { schema: 'public', postgresqlTables: [{ table: 'products' }, { table: 'orders' }] },
          { schema: 'sales', postgresqlTables: [{ table: 'Line"Items' }] },
        ],
      },
      replicationSlot: 'dsi_slot',
      publication: 'dsi_publication',
    });
    const destinationConfig = JSON.parse(
      json.files.get(optionValue(stream, 'gcs-destination-config')!) ?? 'null',
    );
    assert.deepEqual(destinationConfig, {
      path: '/cdc',
      fileRotationMb: 50,
      fileRotationInterval: '60s',
      jsonFileFormat: { schemaFileFormat: 'NO_SCHEMA_FILE', compression: 'GZIP' },
    });

    const start = commandsOf(json, 'gcloud', 'datastream', 'streams', 'update');
    assert.equal(start.length, 1);
    assert.equal(optionValue(start[0]!, 'state'), 'RUNNING');
  });

  it('writes Avro under another prefix and leaves the stream stopped with --no-start', () => {
    const stream = commandsOf(avro, 'gcloud', 'datastream', 'streams', 'create')[0]!;
    const destinationConfig = JSON.parse(
      avro.files.get(optionValue(stream, 'gcs-destination-config')!) ?? 'null',
    );
    assert.equal(destinationConfig.path, '/streams/pg');
    assert.deepEqual(destinationConfig.avroFileFormat, {});
    assert.equal(destinationConfig.jsonFileFormat, undefined);
    const sourceConfig = JSON.parse(
      avro.files.get(optionValue(stream, 'postgresql-source-config')!) ?? 'null',
    );
    assert.deepEqual(sourceConfig.includeObjects, { postgresqlSchemas: [{ schema: 'public' }] });
    assert.deepEqual(commandsOf(avro, 'gcloud', 'datastream', 'streams', 'update'), []);
  });

  it('refuses a missing required argument with a clear message and exit code 2', () => {
    for (const missing of ['--project', '--region', '--instance', '--database', '--bucket']) {
      const args = REQUIRED.filter((arg) => !arg.startsWith(`${missing}=`));
      const run = runScript('setup-source.sh', ['--dry-run', ...args]);
      assert.equal(run.status, 2, `exit code 2 without ${missing}`);
      assert.match(run.stderr, new RegExp(`${missing} is required`));
      assert.equal(run.stdout, '');
    }
    const run = runScript('setup-source.sh', ['--dry-run', ...REQUIRED, '--rotation-interval=5']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--rotation-interval must be an integer from 15 to 60 seconds, not 5/);
  });
});

describe('scripts/deploy/merge-database-flags.mjs', () => {
  const merge = (instance: unknown, ...flags: string[]) =>
    spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/deploy/merge-database-flags.mjs'), ...flags], {
      input: JSON.stringify(instance),
      encoding: 'utf8',
    });

  it('keeps the instance flags and sets the given ones', () => {
    const result = merge(
      {
        settings: {
          databaseFlags: [
            { name: 'max_connections', value: '200' },
            { name: 'cloudsql.logical_decoding', value: 'off' },
          ],
        },
      },
      'cloudsql.logical_decoding=on',
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'max_connections=200,cloudsql.logical_decoding=on');
  });

  it('prints nothing when the flags already have their values (no patch, no restart)', () => {
    const result = merge(
      { settings: { databaseFlags: [{ name: 'cloudsql.logical_decoding', value: 'on' }] } },
      'cloudsql.logical_decoding=on',
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '');
  });

  it('works for an instance without flags', () => {
    const result = merge({ settings: {} }, 'cloudsql.logical_decoding=on');
    assert.equal(result.stdout.trim(), 'cloudsql.logical_decoding=on');
  });
});
