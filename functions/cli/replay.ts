// `datastream-iceberg replay`: run one source file through the pipeline again (shared/pipeline/replay-file.ts).
// A gs:// object is replayed on the cloud deployment the functions use, configured by the same environment
// variables (shared/config.ts): its tasks go to the table queues on Cloud Tasks and the commit function
// applies them. A local path is replayed on the embedded defaults of a warehouse folder, and its table
// tasks run here before the command returns.

import { existsSync } from 'node:fs';
import { loadCloudConfig } from '../../shared/config.js';
import { createLogger, silentLogger } from '../../shared/log.js';
import type { IngestDependencies } from '../../shared/pipeline/ingest-file.js';
import {
  ReplayError,
  parseGcsTarget,
  replayFile,
  resolveReplayTarget,
  type ReplayOutcome,
} from '../../shared/pipeline/replay-file.js';
import { createEmbeddedRuntime } from '../../shared/runtime/embedded.js';
import { commitTaskRunner } from '../embedded-commit.js';
import { parseCommandLine, reportCommandError, UsageError } from './args.js';
import type { CliCommand } from './command.js';
import { declaredTables } from './tables-file.js';

const USAGE = `usage: datastream-iceberg replay <gs://bucket/object[#generation] | path> [options]

Runs one Datastream file through the pipeline again, by what its file record says:
  applied or staged   its change-sets are queued again under new task names; change-sets the table
                      already holds are skipped, so an applied file leaves the table unchanged
  failed              ingested again (after the cause was fixed); a fixed file uploaded again is a new
                      generation and needs no replay
  never seen          ingested

gs:// objects use the cloud configuration of the functions (GOOGLE_CLOUD_PROJECT, DSI_WORK_ROOT,
DSI_CATALOG_*, DSI_FIRESTORE_*, DSI_TASKS_*, DSI_COMMIT_URL, DSI_TABLES; see the README); without
#generation the object's current generation is replayed. A local path needs --warehouse.

options:
  --warehouse <dir>      embedded defaults: the warehouse folder (catalog.db) the file was applied to
  --tables <tables.json> declared source tables (embedded defaults; else the nearest tables.json at or above the file)
  --json                 one JSON object on stdout instead of text
  --verbose              structured logs on stdout
  -h, --help             this help`;

function describe(outcome: ReplayOutcome): string {
  if (outcome.action === 'requeued') {
    const applied = outcome.tasks.filter((t) => t.changesetStatus === 'committed').length;
    return (
      `${outcome.file}#${outcome.generation}: ${outcome.tasks.length} change-set task(s) queued again ` +
      `(${applied} already applied, ${outcome.tasks.length - applied} pending)`
    );
  }
  const result = outcome.outcome;
  const what =
    result.status === 'staged'
      ? `staged ${result.changesets.map((c) => `${c.events} events of ${c.table}`).join(', ')}`
      : result.status === 'failed'
        ? `rejected again (${result.reason})`
        : result.status === 'duplicate'
          ? `already ${result.previous}`
          : `ignored (${result.reason})`;
  return `${outcome.file}#${outcome.generation} (was ${outcome.previous}): ${what}`;
}

async function replayOnCloud(target: string, verbose: boolean): Promise<ReplayOutcome> {
  const config = loadCloudConfig();
  // The cloud clients take seconds to load: only a gs:// replay pays for them.
  const { createCloudRuntime } = await import('../../shared/runtime/cloud.js');
  const runtime = createCloudRuntime(config);
  const deps: IngestDependencies = {
    ...runtime.ingestDependencies(),
    ...(verbose ? {} : { log: silentLogger }),
  };
  return replayFile(deps, await resolveReplayTarget(deps, target));
}

async function replayOnWarehouse(
  target: string,
  warehouse: string,
  tablesPath: string | undefined,
  verbose: boolean,
  failures: string[],
): Promise<ReplayOutcome> {
  const runtime = createEmbeddedRuntime({
    warehouse,
    // as apply and run: --tables, else the nearest tables.json at or above the file
    tables: declaredTables(tablesPath, [target]).tables,
    log: verbose ? createLogger({ component: 'datastream-iceberg' }) : silentLogger,
    onTask: commitTaskRunner(),
    onTaskGivenUp: (task, error) =>
      failures.push(`table ${task.table} failed: ${error instanceof Error ? error.message : String(error)}`),
  });
  try {
    const deps = runtime.ingestDependencies();
    const outcome = await replayFile(deps, await resolveReplayTarget(deps, target));
    await runtime.queue.drain();
    return outcome;
  } finally {
    runtime.close();
  }
}

export const replayCommand: CliCommand = {
  name: 'replay',
  summary: 'run one file again: re-queue an applied file (table unchanged), re-ingest a failed one',
  usage: USAGE,
  async run(argv) {
    let parsed;
    try {
      parsed = parseCommandLine({
        args: [...argv],
        allowPositionals: true,
        options: {
          warehouse: { type: 'string' },
          tables: { type: 'string' },
          json: { type: 'boolean' },
          verbose: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      reportCommandError({ command: 'replay', kind: 'usage', message: error.message, usage: USAGE }, argv);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const usage = (message: string): number => {
      reportCommandError({ command: 'replay', kind: 'usage', message, usage: USAGE }, argv);
      return 2;
    };
    if (positionals.length !== 1) return usage('give exactly one gs://bucket/object or path');
    const target = positionals[0]!;
    const cloud = target.startsWith('gs://');
    if (cloud && values.warehouse)
      return usage('--warehouse is for local paths; gs:// objects use the cloud');
    if (!cloud && !values.warehouse) return usage('a local path needs --warehouse <dir>');
    if (cloud && !parseGcsTarget(target)) return usage(`${target} is not gs://bucket/object[#generation]`);
    // as apply: a path that is not there is a mistake on the command line
    if (!cloud && !existsSync(target)) return usage(`no such file: ${target}`);

    const failures: string[] = [];
    let outcome: ReplayOutcome;
    try {
      outcome = cloud
        ? await replayOnCloud(target, values.verbose === true)
        : await replayOnWarehouse(
            target,
            values.warehouse!,
            values.tables,
            values.verbose === true,
            failures,
          );
    } catch (error) {
      if (error instanceof Error && error.name === 'ConfigError') return usage(error.message);
      if (!(error instanceof ReplayError)) throw error;
      process.stderr.write(`datastream-iceberg replay: ${error.message}\n`);
      if (values.json) process.stdout.write(`${JSON.stringify({ error: { message: error.message } })}\n`);
      return 1;
    }
    if (values.json) process.stdout.write(`${JSON.stringify({ ...outcome, failures })}\n`);
    else {
      process.stdout.write(`${describe(outcome)}\n`);
      for (const failure of failures) process.stdout.write(`${failure}\n`);
    }
    const rejected = outcome.action === 'ingested' && outcome.outcome.status === 'failed';
    return rejected || failures.length > 0 ? 1 : 0;
  },
};
