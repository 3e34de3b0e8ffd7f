// `datastream-iceberg run`: a local folder watched as the landing bucket on the embedded defaults. Files
// are applied as they appear (and again when overwritten: a new generation), each table committed as its
// change-sets are staged; SIGINT or SIGTERM stops it cleanly: the file being read is finished, the
// queued commits are finished, the catalog is closed.

import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import { createLogger } from '../../shared/log.js';
import { COMMON_OPTIONS, integerOption, parseCommandLine, requireOption, UsageError } from './args.js';
import { openApplyRuntime, stagedEvents, undeclaredTablesOption, writeModeOption } from './apply-runtime.js';
import type { CliCommand } from './command.js';
import { FolderWatch } from './folder-watch.js';
import { objectOf } from './source-files.js';
import { declaredTables, TABLES_FILE } from './tables-file.js';

const DEFAULT_POLL_MS = 1000;

const USAGE = `usage: datastream-iceberg run <folder> --warehouse <dir> [--tables <${TABLES_FILE}>] [--poll-ms <n>] [--once]
       [--undeclared-tables create|reject] [--write-mode copy-on-write|merge-on-read|auto]

Watches <folder> as the landing bucket (bucket = the folder's name, object = the path below it) and
applies Datastream files as they appear, on the embedded defaults: staged per table and committed as one
snapshot per table run. A file is taken once its size and modification time hold still for one poll (so
a file being copied in is not read half-way); an overwritten file is applied again as a new generation;
a file already applied (by run or apply) is not. Logs one JSON object per line on stdout. SIGINT or
SIGTERM stops it cleanly: the current file and the queued commits finish first.

options:
  --warehouse <dir>   the warehouse folder (catalog.db and the table files); created when missing
  --tables <file>     declared tables; default: the nearest ${TABLES_FILE} in <folder> or above it
  --poll-ms <n>       how often the folder is scanned (default ${DEFAULT_POLL_MS})
  --once              apply what is there now, wait for the commits, exit (exit code as apply)
  --undeclared-tables create (default): a table neither declared nor in the catalog is created from its
                      files; reject: such files are rejected until the table is declared
  --write-mode        how the tables this run creates change stored rows: copy-on-write (default),
                      merge-on-read or auto; a table's write_mode in ${TABLES_FILE} wins
  -h, --help          this help

exit codes: 0 stopped cleanly (or --once with nothing rejected), 1 --once and a file was rejected or a
table failed, 2 usage`;

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'watch a local folder as the landing bucket and apply files as they appear',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCommandLine({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...COMMON_OPTIONS,
        warehouse: { type: 'string' },
        tables: { type: 'string' },
        'poll-ms': { type: 'string' },
        once: { type: 'boolean' },
        'undeclared-tables': { type: 'string' },
        'write-mode': { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('run needs exactly one folder');
    const folder = resolve(positionals[0]!);
    let isFolder = false;
    try {
      isFolder = statSync(folder).isDirectory();
    } catch {
      // reported below
    }
    if (!isFolder) throw new UsageError(`${positionals[0]} is not a folder`);
    const warehouse = requireOption(values.warehouse, 'warehouse <dir>', 'run');
    const pollMs = integerOption(values['poll-ms'], 'poll-ms', DEFAULT_POLL_MS);
    const once = values.once === true;
    const undeclaredTables = undeclaredTablesOption(values['undeclared-tables']);
    const writeMode = writeModeOption(values['write-mode']);
    const declared = declaredTables(values.tables, [folder]);
    const log = createLogger({ component: 'datastream-iceberg', command: 'run' });
    const { runtime, failures, ingest, finishAbandoned } = openApplyRuntime({
      warehouse,
      tables: declared.tables,
      undeclaredTables,
      ...(writeMode ? { writeMode } : {}),
      log,
    });
    const watch = new FolderWatch(folder, once);

    let stopping = false;
    let wake: (() => void) | undefined;
    const stop = (signal: NodeJS.Signals): void => {
      if (!stopping) log.notice('stopping: finishing the current file and the queued commits', { signal });
      stopping = true;
      wake?.();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    log.info('watching', {
      folder,
      warehouse: runtime.warehouse,
      tablesFile: declared.source ?? null,
      pollMs,
    });
    let rejected = 0;
    try {
      for (const { file, outcome } of await finishAbandoned()) {
        if (outcome.status === 'failed') rejected += 1;
        log.info('file left half-read by a run that died, done', { file, status: outcome.status });
      }
      while (!stopping) {
        for (const entry of watch.scan()) {
          if (stopping) break;
          const { name } = objectOf(entry);
          try {
            const outcome = await ingest(entry);
            watch.markApplied(entry);
            if (outcome.status === 'failed') rejected += 1;
            log.info('file done', { object: name, status: outcome.status, events: stagedEvents(outcome) });
          } catch (error) {
            // not the file's fault (e.g. it vanished mid-read): left unmarked, so the next scan retries it
            log.error('file not applied, will retry', { object: name, error });
          }
        }
        if (once || stopping) break;
        await new Promise<void>((done) => {
          const timer = setTimeout(done, pollMs);
          wake = () => {
            clearTimeout(timer);
            done();
          };
        });
        wake = undefined;
      }
      await runtime.queue.drain();
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      runtime.close();
    }
    log.info('stopped', { rejectedFiles: rejected, failedTables: failures.length });
    return once && (rejected > 0 || failures.length > 0) ? 1 : 0;
  },
};
