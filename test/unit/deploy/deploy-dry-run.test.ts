// scripts/deploy.sh --dry-run: the printed command list holds every step of the deployment with the flags
// the design depends on, and names what the functions will look for (queue ids, the Firestore index of
// the real query, an environment their config loader accepts).

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queueIdForTable } from '../../../shared/adapters/gcp/cloud-tasks-queue.js';
import { parseTableKey, tableKey } from '../../../shared/names/table-key.js';
import { loadCloudConfig, parseTableDefinitions } from '../../../shared/config.js';
import {
  REPO_ROOT,
  commandsOf,
  optionValue,
  optionValues,
  parseOutput,
  runScript,
  type ScriptOutput,
} from './script-output.js';

const PROJECT = 'acme-data';
const REGION = 'europe-west1';
const LANDING = 'acme-landing';
const LAKE = 'acme-lake';
const SA = (name: string) => `${name}@${PROJECT}.iam.gserviceaccount.com`;

// Names that collide once made readable (a_b, a-b) and one past the queue id length limit.
const TABLES = {
  'public.products': {
    primary_keys: ['id'],
    columns: [
      ['id', 'integer'],
      ['name', 'text'],
    ],
  },
  'public.a_b': { primary_keys: ['id'], columns: [['id', 'bigint']] },
  'public.a-b': { primary_keys: ['id'], columns: [['id', 'bigint']] },
  'Sales_Of_The_Northern_Region.Order_Items_Long_Enough_To_Be_Cut_As_Queue_Ids_Stop_At_100': {
    primary_keys: ['order_id', 'line'],
    columns: [
      ['order_id', 'bigint'],
      ['line', 'integer'],
      ['amount', 'numeric(12,2)'],
    ],
  },
};

/** The KEY=VALUE list of --set-env-vars, which uses gcloud's `^|^` delimiter syntax. */
function envOf(command: string[]): Record<string, string> {
  const list = optionValue(command, 'set-env-vars') ?? '';
  assert.ok(list.startsWith('^|^'), `--set-env-vars uses the ^|^ delimiter: ${list}`);
  const env: Record<string, string> = {};
  for (const pair of list.slice(3).split('|')) {
    const at = pair.indexOf('=');
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

/** Equality then order fields of the pending change-set query, read from the Firestore adapter's source. */
function pendingQueryFields(): string[] {
  const source = readFileSync(join(REPO_ROOT, 'shared/adapters/gcp/firestore-state-store.ts'), 'utf8');
  const start = source.indexOf('async listPendingChangesets');
  assert.ok(start >= 0, 'the Firestore adapter has listPendingChangesets');
  const body = source.slice(start, source.indexOf('.get()', start));
  return [...body.matchAll(/\.(?:where|orderBy)\('([^']+)'/g)].map((match) => match[1]!);
}

function single(output: ScriptOutput, predicate: (command: string[]) => boolean, what: string): string[] {
  const found = output.commands.filter(predicate);
  assert.equal(found.length, 1, `exactly one command ${what}; found ${found.length}`);
  return found[0]!;
}

function hasBinding(output: ScriptOutput, resource: string[], member: string, role: string): boolean {
  return output.commands.some(
    (command) =>
      resource.every((word, i) => command[i] === word) &&
      optionValue(command, 'member') === member &&
      optionValue(command, 'role') === role,
  );
}

describe('scripts/deploy.sh --dry-run', () => {
  let dir: string;
  let tablesFile: string;
  let eventarc: ScriptOutput;
  let eventarcStdout: string;
  let pubsub: ScriptOutput;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dsi-deploy-'));
    tablesFile = join(dir, 'tables.json');
    writeFileSync(tablesFile, JSON.stringify(TABLES, null, 2));
    const common = ['--dry-run', '--project', PROJECT, '--region', REGION, '--landing-prefix=cdc/'];
    const first = runScript('deploy.sh', [
      ...common,
      `--bucket=${LANDING}`,
      '--lake-bucket',
      LAKE,
      '--tables',
      tablesFile,
      '--project-number=123456789012',
    ]);
    assert.equal(first.status, 0, first.stderr);
    eventarcStdout = first.stdout;
    eventarc = parseOutput(first.stdout);
    const second = runScript('deploy.sh', [...common, '--bucket', LANDING, '--trigger', 'pubsub']);
    assert.equal(second.status, 0, second.stderr);
    pubsub = parseOutput(second.stdout);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a complete shell script (bash -n accepts it)', () => {
    const check = spawnSync('bash', ['-n'], { input: eventarcStdout, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    // Besides gcloud, only the folder the monitoring configs are written to is made.
    const gcloud = eventarc.commands.filter((command) => command[0] === 'gcloud');
    assert.deepEqual(
      eventarc.commands.filter((command) => command[0] !== 'gcloud'),
      [['mkdir', '-p', 'monitoring-config']],
      'every step is a gcloud command',
    );
    assert.ok(
      gcloud.every(
        (command) =>
          command.some((word) => word === `--project=${PROJECT}`) || command[2] === 'add-iam-policy-binding',
      ),
      'every command names the project',
    );
  });

  it('enables the APIs of every service it uses', () => {
    const enable = single(eventarc, (c) => c[1] === 'services' && c[2] === 'enable', 'enabling APIs');
    for (const api of [
      'cloudfunctions',
      'run',
      'cloudbuild',
      'artifactregistry',
      'eventarc',
      'pubsub',
      'cloudtasks',
      'firestore',
      'storage',
      'biglake',
      'logging',
      'monitoring',
    ]) {
      assert.ok(enable.includes(`${api}.googleapis.com`), `${api} API enabled`);
    }
  });

  it('creates the landing and lake buckets when missing, in the region, IAM-only and never public', () => {
    const buckets = commandsOf(eventarc, 'gcloud', 'storage', 'buckets', 'create');
    assert.deepEqual(
      buckets.map((c) => c[4]),
      [`gs://${LANDING}`, `gs://${LAKE}`],
    );
    for (const bucket of buckets) {
      assert.equal(optionValue(bucket, 'location'), REGION);
      assert.ok(
        bucket.includes('--uniform-bucket-level-access') && bucket.includes('--public-access-prevention'),
      );
    }
    assert.equal(
      commandsOf(pubsub, 'gcloud', 'storage', 'buckets', 'create').length,
      1,
      'one bucket for both',
    );
  });

  it('creates one service account per job and grants each only its roles', () => {
    const created = commandsOf(eventarc, 'gcloud', 'iam', 'service-accounts', 'create').map((c) => c[4]);
    assert.deepEqual(created.sort(), ['dsi-commit', 'dsi-events', 'dsi-ingest', 'dsi-tasks']);

    const ingest = `serviceAccount:${SA('dsi-ingest')}`;
    const commit = `serviceAccount:${SA('dsi-commit')}`;
    const bucket = (name: string) => [
      'gcloud',
      'storage',
      'buckets',
      'add-iam-policy-binding',
      `gs://${name}`,
    ];
    const project = ['gcloud', 'projects', 'add-iam-policy-binding', PROJECT];
    assert.ok(hasBinding(eventarc, bucket(LANDING), ingest, 'roles/storage.objectViewer'));
    assert.ok(hasBinding(eventarc, bucket(LAKE), ingest, 'roles/storage.objectUser'));
    assert.ok(hasBinding(eventarc, project, ingest, 'roles/datastore.user'));
    assert.ok(hasBinding(eventarc, project, ingest, 'roles/cloudtasks.enqueuer'));
    assert.ok(hasBinding(eventarc, project, ingest, 'roles/cloudtasks.queueAdmin'));
    assert.ok(
      hasBinding(
        eventarc,
        ['gcloud', 'iam', 'service-accounts', 'add-iam-policy-binding', SA('dsi-tasks')],
        ingest,
        'roles/iam.serviceAccountUser',
      ),
      'ingest may sign tasks as the tasks account, and only as it',
    );
    assert.ok(hasBinding(eventarc, bucket(LAKE), commit, 'roles/storage.objectUser'));
    assert.ok(hasBinding(eventarc, project, commit, 'roles/datastore.user'));
    assert.ok(hasBinding(eventarc, project, commit, 'roles/biglake.editor'));
    assert.ok(hasBinding(eventarc, project, commit, 'roles/serviceusage.serviceUsageConsumer'));
    assert.ok(
      !hasBinding(eventarc, bucket(LANDING), commit, 'roles/storage.objectViewer'),
      'commit never reads the landing bucket',
    );

    const broad = eventarc.commands.filter((c) =>
      optionValues(c, 'role').some((role) =>
        /^roles\/(owner|editor|storage\.admin|iam\.serviceAccountTokenCreator)$/.test(role),
      ),
    );
    assert.deepEqual(broad, [], 'no broad role is granted to the functions');
  });

  it('creates the Firestore index of the real pending change-set query and the TTL policies', () => {
    const index = single(
      eventarc,
      (c) => c.slice(1, 5).join(' ') === 'firestore indexes composite create',
      'creating the index',
    );
    assert.equal(optionValue(index, 'collection-group'), 'dsi_changesets');
    const fields = optionValues(index, 'field-config').map((config) => {
      const match = /^field-path=([^,]+),order=ascending$/.exec(config);
      assert.ok(match, `ascending field: ${config}`);
      return match[1];
    });
    const query = pendingQueryFields();
    assert.deepEqual(query, ['table', 'status', 'createdAtMs', 'id'], 'the adapter query as documented');
    assert.deepEqual(fields, query, 'the index has the query fields in the query order');

    const ttl = commandsOf(eventarc, 'gcloud', 'firestore', 'fields', 'ttls', 'update');
    assert.deepEqual(ttl.map((c) => optionValue(c, 'collection-group')).sort(), [
      'dsi_changesets',
      'dsi_files',
    ]);
    for (const command of ttl) {
      assert.equal(command[5], 'expireAt');
      assert.ok(command.includes('--enable-ttl'));
    }
    assert.ok(
      !ttl.some((c) => optionValue(c, 'collection-group') === 'dsi_leases'),
      'leases never expire by TTL',
    );
  });

  it('creates one queue per table, named as the functions name it, one dispatch at a time', () => {
    const queues = commandsOf(eventarc, 'gcloud', 'tasks', 'queues', 'create');
    const expected = Object.keys(TABLES).map((table) =>
      queueIdForTable(tableKey(parseTableKey(table)), 'dsi'),
    );
    assert.equal(new Set(expected).size, expected.length, 'the sample tables have distinct queues');
    assert.deepEqual(
      queues.map((c) => c[4]),
      expected,
    );
    for (const queue of queues) {
      assert.ok(queue[4]!.length <= 100, `queue id within 100 characters: ${queue[4]}`);
      assert.equal(optionValue(queue, 'location'), REGION);
      assert.equal(optionValue(queue, 'max-concurrent-dispatches'), '1');
      assert.equal(optionValue(queue, 'max-attempts'), '-1');
    }
    const noTables = commandsOf(pubsub, 'gcloud', 'tasks', 'queues', 'create');
    assert.deepEqual(noTables, [], 'without --tables ingest creates the queues');
  });

  it('creates the BigLake catalog of the lake bucket', () => {
    const catalog = single(
      eventarc,
      (c) => c.slice(1, 5).join(' ') === 'biglake iceberg catalogs create',
      'creating the catalog',
    );
    assert.equal(catalog[5], LAKE);
    assert.equal(optionValue(catalog, 'catalog-type'), 'gcs-bucket');
    assert.equal(optionValue(catalog, 'credential-mode'), 'end-user');
  });

  it('deploys the commit function private, gen2 on nodejs22, with a timeout below the dispatch deadline', () => {
    const deploys = commandsOf(eventarc, 'gcloud', 'functions', 'deploy');
    assert.deepEqual(
      deploys.map((c) => c[3]),
      ['dsi-commit', 'dsi-ingest'],
      'commit first: ingest needs its URL',
    );
    const commit = deploys[0]!;
    for (const flag of ['--gen2', '--trigger-http', '--no-allow-unauthenticated'])
      assert.ok(commit.includes(flag), flag);
    assert.equal(optionValue(commit, 'runtime'), 'nodejs22');
    assert.equal(optionValue(commit, 'entry-point'), 'commit');
    assert.equal(optionValue(commit, 'source'), REPO_ROOT);
    assert.equal(optionValue(commit, 'service-account'), SA('dsi-commit'));
    const env = envOf(commit);
    const timeout = Number(/^(\d+)s$/.exec(optionValue(commit, 'timeout') ?? '')?.[1]);
    const deadline = Number(env.DSI_DISPATCH_DEADLINE_SECONDS);
    assert.ok(
      timeout > 0 && timeout < deadline,
      `commit timeout ${timeout} s below the dispatch deadline ${deadline} s`,
    );

    const invoker = single(
      eventarc,
      (c) => c.slice(1, 3).join(' ') === 'functions add-invoker-policy-binding' && c[3] === 'dsi-commit',
      'invoker of commit',
    );
    assert.equal(optionValue(invoker, 'member'), `serviceAccount:${SA('dsi-tasks')}`);
  });

  it('gives both functions an environment the functions accept, with the tables file as DSI_TABLES', () => {
    for (const deploy of commandsOf(eventarc, 'gcloud', 'functions', 'deploy')) {
      const env = envOf(deploy);
      const config = loadCloudConfig(env);
      assert.equal(config.project, PROJECT);
      assert.equal(config.landingPrefix, 'cdc/');
      assert.equal(config.landingBucket, LANDING);
      assert.equal(config.workRoot, `gs://${LAKE}/dsi-work`);
      assert.equal(config.catalog.warehouse, `gs://${LAKE}`);
      assert.equal(config.tasks.location, REGION);
      assert.equal(config.tasks.serviceAccountEmail, SA('dsi-tasks'));
      assert.equal(config.tasks.queuePrefix, 'dsi');
      assert.equal(config.tasks.createMissingQueues, true);
      assert.equal(config.tasks.commitUrl, `https://dsi-commit-123456789012.${REGION}.run.app`);
      assert.deepEqual(config.tables, parseTableDefinitions(JSON.stringify(TABLES), 'tables.json'));
    }
  });

  it('deploys ingest on the Eventarc object-finalized trigger of the landing bucket', () => {
    const ingest = commandsOf(eventarc, 'gcloud', 'functions', 'deploy', 'dsi-ingest')[0]!;
    assert.ok(ingest.includes('--gen2') && ingest.includes('--retry'));
    assert.equal(optionValue(ingest, 'runtime'), 'nodejs22');
    assert.equal(optionValue(ingest, 'entry-point'), 'ingest');
    assert.deepEqual(optionValues(ingest, 'trigger-event-filters').sort(), [
      `bucket=${LANDING}`,
      'type=google.cloud.storage.object.v1.finalized',
    ]);
    assert.equal(optionValue(ingest, 'trigger-location'), REGION);
    assert.equal(optionValue(ingest, 'trigger-service-account'), SA('dsi-events'));
    assert.ok(Number(optionValue(ingest, 'timeout')?.replace(/s$/, '')) <= 540, 'event-driven limit');
    const agent = 'serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com';
    assert.ok(
      hasBinding(eventarc, ['gcloud', 'projects', 'add-iam-policy-binding'], agent, 'roles/pubsub.publisher'),
    );
    assert.ok(
      hasBinding(
        eventarc,
        ['gcloud', 'projects', 'add-iam-policy-binding'],
        `serviceAccount:${SA('dsi-events')}`,
        'roles/eventarc.eventReceiver',
      ),
    );
  });

  it('in pubsub mode deploys ingestPubsub behind a prefix-filtered notification and an authenticated push', () => {
    const ingest = commandsOf(pubsub, 'gcloud', 'functions', 'deploy', 'dsi-ingest')[0]!;
    assert.equal(optionValue(ingest, 'entry-point'), 'ingestPubsub');
    assert.ok(ingest.includes('--trigger-http') && ingest.includes('--no-allow-unauthenticated'));
    assert.deepEqual(optionValues(ingest, 'trigger-event-filters'), []);

    const notification = single(
      pubsub,
      (c) => c.slice(1, 5).join(' ') === 'storage buckets notifications create',
      'the notification',
    );
    assert.equal(notification[5], `gs://${LANDING}`);
    assert.equal(optionValue(notification, 'topic'), `projects/${PROJECT}/topics/dsi-landing`);
    assert.equal(optionValue(notification, 'event-types'), 'OBJECT_FINALIZE');
    assert.equal(optionValue(notification, 'object-prefix'), 'cdc/');
    assert.equal(optionValue(notification, 'payload-format'), 'json');

    const subscription = single(
      pubsub,
      (c) => c.slice(1, 4).join(' ') === 'pubsub subscriptions create',
      'the push subscription',
    );
    assert.equal(optionValue(subscription, 'topic'), 'dsi-landing');
    assert.equal(
      optionValue(subscription, 'push-endpoint'),
      `https://dsi-ingest-PROJECT_NUMBER.${REGION}.run.app`,
    );
    assert.equal(optionValue(subscription, 'push-auth-service-account'), SA('dsi-events'));
    const ackDeadline = Number(optionValue(subscription, 'ack-deadline'));
    assert.ok(
      ackDeadline > Number(optionValue(ingest, 'timeout')?.replace(/s$/, '')),
      'ack deadline above the ingest timeout',
    );

    const invoker = single(
      pubsub,
      (c) => c.slice(1, 3).join(' ') === 'functions add-invoker-policy-binding' && c[3] === 'dsi-ingest',
      'invoker of ingest',
    );
    assert.equal(optionValue(invoker, 'member'), `serviceAccount:${SA('dsi-events')}`);
  });

  it('with --no-create-queues tells the functions so and grants no queue administration', () => {
    const run = runScript('deploy.sh', [
      '--dry-run',
      `--project=${PROJECT}`,
      `--region=${REGION}`,
      `--bucket=${LANDING}`,
      `--tables=${tablesFile}`,
      '--no-create-queues',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const output = parseOutput(run.stdout);
    for (const deploy of commandsOf(output, 'gcloud', 'functions', 'deploy')) {
      assert.equal(envOf(deploy).DSI_CREATE_QUEUES, 'false');
    }
    assert.ok(!output.commands.some((c) => optionValue(c, 'role') === 'roles/cloudtasks.queueAdmin'));
    assert.equal(
      commandsOf(output, 'gcloud', 'tasks', 'queues', 'create').length,
      Object.keys(TABLES).length,
    );
  });

  it('refuses a missing required argument or inconsistent settings with a clear message and exit code 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--region', REGION, '--bucket', LANDING], /--project is required \(or set GOOGLE_CLOUD_PROJECT\)/],
      [['--project', PROJECT, '--bucket', LANDING], /--region is required/],
      [['--project', PROJECT, '--region', REGION], /--bucket is required/],
      [
        ['--project', PROJECT, '--region', REGION, '--bucket', LANDING, '--commit-timeout', '1800'],
        /--commit-timeout must be an integer below the dispatch deadline \(1800 s\)/,
      ],
      [
        ['--project', PROJECT, '--region', REGION, '--bucket', LANDING, '--trigger', 'http'],
        /--trigger must be eventarc or pubsub/,
      ],
      [
        ['--project', PROJECT, '--region', REGION, '--bucket', LANDING, '--no-create-queues'],
        /--no-create-queues needs --tables/,
      ],
      [
        ['--project', PROJECT, '--region', REGION, '--bucket', LANDING, '--landing-prefix='],
        /the landing bucket is also the lake bucket: give Datastream's --landing-prefix, or a separate --lake-bucket/,
      ],
      [
        ['--project', PROJECT, '--region', REGION, '--bucket', LANDING, '--work-prefix', 'cdc/work'],
        /--work-prefix cdc\/work and --landing-prefix cdc\/ overlap in the same bucket/,
      ],
      [['--project'], /option --project needs a value/],
      [['--frobnicate'], /unknown argument: --frobnicate/],
    ];
    for (const [args, message] of cases) {
      const run = runScript('deploy.sh', ['--dry-run', ...args]);
      assert.equal(run.status, 2, `exit code 2 for ${args.join(' ')}`);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /--help/);
      assert.equal(run.stdout, '', 'nothing printed before the arguments are valid');
    }
    const badTables = join(dir, 'bad.json');
    writeFileSync(badTables, '{"products": {}}');
    const run = runScript('deploy.sh', [
      '--dry-run',
      `--project=${PROJECT}`,
      `--region=${REGION}`,
      `--bucket=${LANDING}`,
      `--tables=${badTables}`,
    ]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /bad\.json: table key "products" must be schema\.table/);
  });

  it('prints its usage with --help', () => {
    const run = runScript('deploy.sh', ['--help']);
    assert.equal(run.status, 0);
    assert.match(run.stdout, /^Usage: scripts\/deploy\.sh --project ID --region REGION --bucket BUCKET/);
  });
});
