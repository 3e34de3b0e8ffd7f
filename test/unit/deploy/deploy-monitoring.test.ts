// scripts/deploy.sh --dry-run, the monitoring step: the log-based metrics match log lines the functions
// really write, the dashboard and the alert policies chart and watch exactly those metrics with the
// deployment's threshold and channels, every config decodes as its API message with nothing the API does
// not know (the Cloud SDK's generated message classes), and every printed gcloud command of the
// deployment parses with gcloud's own argument parser.

import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeAsApiMessages, parseWithGcloud, type ApiMessage } from './cloud-sdk.js';
import {
  REPO_ROOT,
  commandsOf,
  optionValue,
  parseOutput,
  runScript,
  type ScriptOutput,
} from './script-output.js';

const PROJECT = 'acme-data';
const METRICS = ['table-lag', 'pending-changesets', 'files-rejected', 'table-failures'];

type Json = Record<string, unknown>;

function source(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/** The rendered file a command reads through --NAME=PATH. */
function fileOf(output: ScriptOutput, command: string[], option: string): Json {
  const path = optionValue(command, option);
  assert.ok(path, `${command.join(' ')} has --${option}`);
  const text = output.files.get(path);
  assert.ok(text !== undefined, `${path} is written before ${command.slice(0, 4).join(' ')}`);
  return JSON.parse(text) as Json;
}

/** Every metric.type="…" a config's filters name. */
function metricTypes(config: unknown): string[] {
  return [...JSON.stringify(config).matchAll(/metric\.type=\\"([^\\]+)\\"/g)].map((m) => m[1]!);
}

describe('scripts/deploy.sh --dry-run: monitoring', () => {
  let output: ScriptOutput;
  let metrics: Map<string, Json>;
  let dashboard: Json;
  let policies: Map<string, Json>;

  before(() => {
    const run = runScript('deploy.sh', [
      '--dry-run',
      `--project=${PROJECT}`,
      '--region=europe-west1',
      '--bucket=acme-landing',
      '--lake-bucket=acme-lake',
      '--project-number=123456789012',
      '--lag-alert-minutes=45',
      '--notification-channel=1234,projects/ops/notificationChannels/987',
    ]);
    assert.equal(run.status, 0, run.stderr);
    output = parseOutput(run.stdout);
    metrics = new Map(
      commandsOf(output, 'gcloud', 'logging', 'metrics', 'create').map((c) => [
        c[4]!,
        fileOf(output, c, 'config-from-file'),
      ]),
    );
    const dashboards = commandsOf(output, 'gcloud', 'monitoring', 'dashboards', 'create');
    assert.equal(dashboards.length, 1);
    dashboard = fileOf(output, dashboards[0]!, 'config-from-file');
    policies = new Map(
      commandsOf(output, 'gcloud', 'alpha', 'monitoring', 'policies', 'create').map((c) => {
        const policy = fileOf(output, c, 'policy-from-file');
        return [policy.displayName as string, policy];
      }),
    );
  });

  it('creates the four log-based metrics, each named as its config names it', () => {
    assert.deepEqual(
      [...metrics.keys()],
      METRICS.map((m) => `dsi-${m}`),
    );
    for (const [name, config] of metrics) assert.equal(config.name, name);
  });

  it('measures log lines and fields the functions write, from the function that writes them', () => {
    const commit = source('shared/pipeline/commit-table.ts');
    const committedLine = commit.slice(commit.indexOf("log.info('committed', {"));
    const committedFields = committedLine.slice(0, committedLine.indexOf('});'));
    const lines: Record<string, { message: string; service: string; file: string; field?: string }> = {
      'dsi-table-lag': { message: 'committed', service: 'dsi-commit', file: commit, field: 'lagMs' },
      'dsi-pending-changesets': {
        message: 'committed',
        service: 'dsi-commit',
        file: commit,
        field: 'pendingChangesets',
      },
      'dsi-files-rejected': {
        message: 'file rejected',
        service: 'dsi-ingest',
        file: source('shared/pipeline/ingest-file.ts'),
      },
      'dsi-table-failures': {
        message: 'table commit failed',
        service: 'dsi-commit',
        file: source('functions/commit.ts'),
      },
    };
    for (const [name, want] of Object.entries(lines)) {
      const config = metrics.get(name)!;
      const filter = config.filter as string;
      assert.ok(
        want.file.includes(`log.error('${want.message}'`) || want.file.includes(`log.info('${want.message}'`),
        `the functions log "${want.message}"`,
      );
      assert.ok(filter.includes(`jsonPayload.message="${want.message}"`), `${name}: ${filter}`);
      assert.ok(filter.includes(`resource.labels.service_name="${want.service}"`), `${name}: ${filter}`);
      // Gen 2 functions are Cloud Run services: their logs are cloud_run_revision entries.
      assert.ok(filter.includes('resource.type="cloud_run_revision"'), `${name}: ${filter}`);
      if (want.field) {
        assert.ok(committedFields.includes(want.field), `the committed line carries ${want.field}`);
        assert.equal(config.valueExtractor, `EXTRACT(jsonPayload.${want.field})`);
        assert.equal((config.metricDescriptor as Json).valueType, 'DISTRIBUTION');
      } else {
        assert.equal((config.metricDescriptor as Json).valueType, 'INT64');
      }
    }
    // Per-table series: the lines carry `table` (the commit logger is made with it).
    for (const name of ['dsi-table-lag', 'dsi-pending-changesets', 'dsi-table-failures']) {
      assert.deepEqual(metrics.get(name)!.labelExtractors, { table: 'EXTRACT(jsonPayload.table)' });
    }
  });

  it('charts and alerts on exactly the metrics it creates, with the given threshold and channels', () => {
    const created = new Set([...metrics.keys()].map((name) => `logging.googleapis.com/user/${name}`));
    const charted = metricTypes(dashboard);
    assert.deepEqual(new Set(charted), created, 'the dashboard charts every metric');
    assert.deepEqual([...policies.keys()], ['dsi: table lag', 'dsi: file rejected', 'dsi: table failing']);
    const watched = [...policies.values()].flatMap(metricTypes);
    assert.deepEqual(watched, [
      'logging.googleapis.com/user/dsi-table-lag',
      'logging.googleapis.com/user/dsi-files-rejected',
      'logging.googleapis.com/user/dsi-table-failures',
    ]);
    const lag = policies.get('dsi: table lag')!;
    const condition = (lag.conditions as Json[])[0]!.conditionThreshold as Json;
    assert.equal(condition.thresholdValue, 45 * 60_000, 'the lag metric is in ms');
    assert.equal(condition.comparison, 'COMPARISON_GT');
    assert.match(JSON.stringify(dashboard), /"value":2700000/);
    for (const policy of policies.values()) {
      assert.deepEqual(policy.notificationChannels, [
        `projects/${PROJECT}/notificationChannels/1234`,
        'projects/ops/notificationChannels/987',
      ]);
    }
    const rejected = (policies.get('dsi: file rejected')!.conditions as Json[])[0]!
      .conditionThreshold as Json;
    assert.equal(rejected.thresholdValue, 0, 'any rejected file alerts');
  });

  it('every config decodes as its API message with no field or enum value the API does not know', () => {
    const items: { type: ApiMessage; json: string }[] = [
      ...[...metrics.values()].map((m) => ({
        type: 'logging.v2.LogMetric' as const,
        json: JSON.stringify(m),
      })),
      { type: 'monitoring.v1.Dashboard', json: JSON.stringify(dashboard) },
      ...[...policies.values()].map((p) => ({
        type: 'monitoring.v3.AlertPolicy' as const,
        json: JSON.stringify(p),
      })),
    ];
    // The check rejects what it should: a misspelt field and an unknown enum value, deep in a config.
    const broken = structuredClone(dashboard) as Json;
    const widget = ((broken.gridLayout as Json).widgets as Json[])[0]!;
    (widget.xyChart as Json).yAxsi = { label: 'typo' };
    const brokenPolicy = structuredClone(policies.get('dsi: table lag')!);
    ((brokenPolicy.conditions as Json[])[0]!.conditionThreshold as Json).comparison = 'COMPARISON_ABOVE';
    const outcomes = decodeAsApiMessages([
      ...items,
      { type: 'monitoring.v1.Dashboard', json: JSON.stringify(broken) },
      { type: 'monitoring.v3.AlertPolicy', json: JSON.stringify(brokenPolicy) },
    ]);
    const [brokenDashboard, brokenAlert] = outcomes.slice(items.length);
    assert.deepEqual(brokenDashboard!.unrecognized, ['$.gridLayout.widgets[0].xyChart.yAxsi']);
    assert.deepEqual(brokenAlert!.unrecognized, ['$.conditions[0].conditionThreshold.comparison']);
    for (const [i, outcome] of outcomes.slice(0, items.length).entries()) {
      assert.equal(outcome.error, undefined, `${items[i]!.type}: ${outcome.error}`);
      assert.deepEqual(outcome.unrecognized, [], `${items[i]!.type} ${items[i]!.json.slice(0, 80)}`);
    }
  });

  describe("gcloud's argument parser", () => {
    let cwd: string;
    let pubsub: ScriptOutput;
    before(() => {
      const run = runScript('deploy.sh', [
        '--dry-run',
        `--project=${PROJECT}`,
        '--region=europe-west1',
        '--bucket=acme-landing',
        '--trigger=pubsub',
        '--credential-mode=vended-credentials',
        `--tables=${join(REPO_ROOT, 'test/fixtures/iceberg/types/tables.json')}`,
      ]);
      assert.equal(run.status, 0, run.stderr);
      pubsub = parseOutput(run.stdout);
      // The parser opens --*-from-file paths: the printed files go where the commands expect them.
      cwd = mkdtempSync(join(tmpdir(), 'dsi-deploy-parse-'));
      for (const [path, content] of [...output.files, ...pubsub.files]) {
        mkdirSync(join(cwd, dirname(path)), { recursive: true });
        writeFileSync(join(cwd, path), content);
      }
    });
    after(() => rmSync(cwd, { recursive: true, force: true }));

    it('refuses what it should (an unknown flag), so acceptance means something', () => {
      const [outcome] = parseWithGcloud(
        [
          [
            'monitoring',
            'dashboards',
            'create',
            '--config-from-file=monitoring-config/dashboard.json',
            '--colour=red',
          ],
        ],
        cwd,
      );
      assert.equal(outcome!.ok, false);
      assert.match(outcome!.error!, /unrecognized arguments: --colour=red/);
    });

    it('accepts every gcloud command the deployment prints, with either trigger', (t) => {
      const commands = [...output.commands, ...pubsub.commands].filter((c) => c[0] === 'gcloud');
      assert.ok(
        commands.filter((c) => c.includes('monitoring') || c[1] === 'logging').length >= 16,
        'the monitoring commands of both runs are among them',
      );
      const outcomes = parseWithGcloud(
        commands.map((c) => c.slice(1)),
        cwd,
      );
      const absent: string[] = [];
      for (const [i, outcome] of outcomes.entries()) {
        const command = commands[i]!;
        // `gcloud biglake iceberg …` is newer than some SDKs (528.0.0 has no biglake group): a command
        // group the installed SDK lacks is reported, not failed; everything else must parse.
        if (
          !outcome.ok &&
          command[1] === 'biglake' &&
          /Invalid choice: 'biglake'/.test(outcome.error ?? '')
        ) {
          absent.push(command.slice(0, 5).join(' '));
          continue;
        }
        assert.ok(outcome.ok, `${command.join(' ')}\n${outcome.error}`);
        assert.equal(outcome.command, command.slice(0, outcome.command!.split(' ').length).join(' '));
      }
      if (absent.length > 0)
        t.diagnostic(`not in this Cloud SDK, not checked: ${[...new Set(absent)].join('; ')}`);
    });
  });

  it('refuses a lag threshold that is not a whole number of minutes and a malformed channel', () => {
    const base = ['--dry-run', `--project=${PROJECT}`, '--region=europe-west1', '--bucket=acme-landing'];
    for (const [args, message] of [
      [['--lag-alert-minutes=0'], /--lag-alert-minutes must be a whole number of minutes, at least 1, not 0/],
      [['--lag-alert-minutes=1.5'], /--lag-alert-minutes must be a whole number/],
      [['--notification-channel=a b'], /--notification-channel must be channel ids/],
    ] as Array<[string[], RegExp]>) {
      const run = runScript('deploy.sh', [...base, ...args]);
      assert.equal(run.status, 2, args.join(' '));
      assert.match(run.stderr, message);
    }
  });
});
