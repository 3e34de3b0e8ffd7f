// `datastream-iceberg apply`: Datastream files applied once, in the order given, then exit.

import { relative } from 'node:path';
import type { IngestOutcome } from '../../shared/pipeline/ingest-file.js';
import { COMMON_OPTIONS, parseCommandLine, requireOption, UsageError } from './args.js';
import {
  openApplyRuntime,
  propertiesNotTakenNotes,
  stagedEvents,
  undeclaredTablesOption,
  writeModeOption,
} from './apply-runtime.js';
import type { CliCommand } from './command.js';
import { createProgress } from './progress.js';
import { collectFiles } from './source-files.js';
import { declaredTables, TABLES_FILE } from './tables-file.js';

const USAGE = `usage: datastream-iceberg apply <files|folders…> --warehouse <dir> [--tables <tables.json>]
       [--undeclared-tables create|reject] [--write-mode copy-on-write|merge-on-read|auto] [--json]

Applies Datastream change files (.jsonl, .jsonl.gz, .avro) once, in the order given (a folder's files in
path order), commits every table they change, then exits. A file already applied is skipped; a file that
fails validation is rejected with a reason naming it (and the line, column and value) and changes nothing.
What an earlier run left undone is finished: the change-sets of the files' tables still waiting for a
commit (that run died or its commit failed) and any file a run that died left half-read. Other apply or
run processes may work on the same warehouse at once: a table one of them is committing is waited for.

options:
  --warehouse <dir>     the warehouse folder (catalog.db and the table files); created when missing
  --tables <file>       declared tables (${TABLES_FILE} format); default: the nearest ${TABLES_FILE} in the
                        first folder given or a folder above it; tables already in the catalog are read
                        from there
  --undeclared-tables   create (default): a table neither declared nor in the catalog is created from
                        its files (Avro schema, else types inferred from JSON values); reject: such
                        files are rejected until the table is declared
  --write-mode          how the tables this run creates change stored rows: copy-on-write (default:
                        rewrite the data files), merge-on-read (position delete files, new versions in
                        new files) or auto (per data file); a table's write_mode in ${TABLES_FILE} wins
  --json                one JSON object on stdout: per file its outcome, table failures, counts
  --verbose             structured logs (JSON lines) on stdout
  -h, --help            this help

A progress bar is drawn on stderr when stderr is a terminal.

exit codes: 0 every file applied or already applied, 1 a file was rejected or a table failed, 2 usage`;

function describe(outcome: IngestOutcome): string {
  switch (outcome.status) {
    case 'staged':
      return outcome.changesets.map((c) => `${c.events} events of ${c.table}`).join(', ');
    case 'failed':
      return 'rejected';
    case 'duplicate':
      return `already ${outcome.previous}`;
    case 'ignored':
      return 'ignored';
  }
}

export const applyCommand: CliCommand = {
  name: 'apply',
  summary: 'apply Datastream files once, in the order given (folders in path order), then exit',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCommandLine({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...COMMON_OPTIONS,
        warehouse: { type: 'string' },
        tables: { type: 'string' },
        'undeclared-tables': { type: 'string' },
        'write-mode': { type: 'string' },
      },
    });
    const warehouse = requireOption(values.warehouse, 'warehouse <dir>', 'apply');
    if (positionals.length === 0) throw new UsageError('apply needs at least one file or folder');
    const undeclaredTables = undeclaredTablesOption(values['undeclared-tables']);
    const writeMode = writeModeOption(values['write-mode']);
    const files = collectFiles(positionals);
    const declared = declaredTables(values.tables, positionals);
    const { runtime, failures, ingest, finishAbandoned, settle } = openApplyRuntime({
      warehouse,
      tables: declared.tables,
      undeclaredTables,
      ...(writeMode ? { writeMode } : {}),
      verbose: values.verbose === true,
    });
    const results: Array<{ file: string; outcome: IngestOutcome }> = [];
    const started = Date.now();
    const progress = createProgress(files.length);
    let abandoned: Array<{ file: string; outcome: IngestOutcome }> = [];
    let notes: string[] = [];
    try {
      abandoned = await finishAbandoned();
      for (const entry of files) {
        const outcome = await ingest(entry);
        results.push({ file: entry.path, outcome });
        progress.tick(`${relative(entry.root, entry.path)}: ${describe(outcome)}`, stagedEvents(outcome));
      }
      progress.note('committing');
      await runtime.queue.drain();
      const staged = [...abandoned, ...results].flatMap((r) =>
        r.outcome.status === 'staged' ? r.outcome.changesets.map((c) => c.table) : [],
      );
      notes = await propertiesNotTakenNotes(runtime, staged);
      for (const r of [...abandoned, ...results]) r.outcome = await settle(r.outcome);
    } finally {
      progress.done();
      runtime.close();
    }
    const count = (status: IngestOutcome['status']): number =>
      results.filter((r) => r.outcome.status === status).length;
    const counts = {
      files: results.length,
      staged: count('staged'),
      rejected: count('failed'),
      duplicate: count('duplicate'),
      ignored: count('ignored'),
      events: results.reduce((sum, r) => sum + stagedEvents(r.outcome), 0),
    };
    if (values.json) {
      const report = {
        warehouse: runtime.warehouse,
        catalog: runtime.catalogPath,
        tablesFile: declared.source ?? null,
        files: results,
        abandoned,
        failures,
        notes,
        counts,
        elapsedMs: Date.now() - started,
      };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      for (const r of [...abandoned, ...results]) {
        if (r.outcome.status === 'failed') process.stdout.write(`rejected: ${r.outcome.reason}\n`);
      }
      if (abandoned.length > 0) {
        process.stdout.write(`${abandoned.length} files left half-read by a run that died: read again\n`);
      }
      for (const f of failures) process.stdout.write(`table ${f.table} failed: ${f.error}\n`);
      process.stdout.write(
        `${counts.files} files: ${counts.staged} staged (${counts.events} events), ${counts.rejected} rejected, ` +
          `${counts.duplicate} already seen, ${counts.ignored} ignored; catalog ${runtime.catalogPath}` +
          `${declared.source ? `; tables from ${declared.source}` : ''}\n`,
      );
    }
    for (const note of notes) process.stderr.write(`note: ${note}\n`);
    const abandonedRejected = abandoned.some((r) => r.outcome.status === 'failed');
    return counts.rejected > 0 || abandonedRejected || failures.length > 0 ? 1 : 0;
  },
};
