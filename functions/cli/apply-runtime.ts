// The embedded runtime as `apply` and `run` use it: table tasks commit in-process as they are queued,
// and a table whose task failed for good is collected with its reason for the report (and dropped from
// it when a later task of the table succeeds). A file seen before still has its tables drained: an
// earlier run may have died (or failed to commit) after staging it, leaving its change-sets pending.
// A file an earlier run died reading (left 'processing' by a process that is gone) is finished first,
// whether or not it is among the files given.

import type { TableDefinition } from '../../shared/datastream/table.js';
import { randomUUID } from 'node:crypto';
import { holderState } from '../../shared/adapters/embedded/process-holder.js';
import { createLogger, silentLogger, type Logger } from '../../shared/log.js';
import { ingestFile, type IngestOutcome } from '../../shared/pipeline/ingest-file.js';
import type { UndeclaredTables } from '../../shared/pipeline/table-directory.js';
import {
  describePropertiesNotTaken,
  propertiesNotTaken,
  WRITE_MODES,
  type WriteMode,
} from '../../shared/pipeline/declared-properties.js';
import { parseTableKey } from '../../shared/names/table-key.js';
import { NoSuchTableError } from '../../shared/ports/catalog.js';
import { tableIdentifier } from '../../shared/pipeline/table-info.js';
import { createEmbeddedRuntime, type EmbeddedRuntime } from '../../shared/runtime/embedded.js';
import { commitTaskRunner } from '../embedded-commit.js';
import { UsageError } from './args.js';
import { objectOf, type SourceEntry } from './source-files.js';

export interface TableFailure {
  table: string;
  error: string;
}

export interface ApplyRuntime {
  runtime: EmbeddedRuntime;
  /** Tables whose last task failed for good (kept up to date in place). */
  failures: TableFailure[];
  /** Ingest one file (stage its change-sets; their commits run on the queue). */
  ingest(entry: SourceEntry): Promise<IngestOutcome>;
  /** Ingest again the files left 'processing' by a process that died; their locations and outcomes. */
  finishAbandoned(): Promise<Array<{ file: string; outcome: IngestOutcome }>>;
  /**
   * An outcome as it stands once the commits ran: a staged file (now or by an earlier run) is failed when
   * a commit rejected one of its change-sets (types learnt from the file that the table, created meanwhile, cannot take).
   */
  settle(outcome: IngestOutcome): Promise<IngestOutcome>;
}

/** Far above the files a local run has in flight at once. */
const PROCESSING_LIMIT = 100_000;

/** `--undeclared-tables create|reject` (default create): what ingest does with a table nobody declared. */
export function undeclaredTablesOption(value: string | undefined): UndeclaredTables {
  if (value === undefined || value === 'create' || value === 'reject') return value ?? 'create';
  throw new UsageError(`--undeclared-tables must be create or reject, not "${value}"`);
}

/** `--write-mode copy-on-write|merge-on-read|auto`: how the tables this run creates change stored rows. */
export function writeModeOption(value: string | undefined): WriteMode | undefined {
  if (value === undefined || (WRITE_MODES as readonly string[]).includes(value))
    return value as WriteMode | undefined;
  throw new UsageError(`--write-mode must be one of ${WRITE_MODES.join(', ')}, not "${value}"`);
}

/**
 * One line per table given that exists and holds other values than the properties this run would create
 * it with (a `--write-mode`, or a declaration changed since): they are not applied to it, and the user
 * who asked for them is told so.
 */
export async function propertiesNotTakenNotes(
  runtime: EmbeddedRuntime,
  tables: Iterable<string>,
): Promise<string[]> {
  const notes: string[] = [];
  for (const table of new Set(tables)) {
    const asked = runtime.tables.creationProperties?.(parseTableKey(table));
    if (!asked || Object.keys(asked).length === 0) continue;
    let properties: Record<string, string> | undefined;
    try {
      properties = (await runtime.catalog.loadTable(tableIdentifier(table))).metadata.properties;
    } catch (error) {
      if (error instanceof NoSuchTableError) continue;
      throw error;
    }
    const notTaken = propertiesNotTaken(asked, properties);
    if (notTaken.length > 0) notes.push(describePropertiesNotTaken(table, notTaken));
  }
  return notes;
}

export function openApplyRuntime(options: {
  warehouse: string;
  tables: Record<string, TableDefinition>;
  undeclaredTables?: UndeclaredTables;
  writeMode?: WriteMode;
  log?: Logger;
  verbose?: boolean;
}): ApplyRuntime {
  // updated in place (callers hold the array): at most one entry per table, its latest failure
  const failures: TableFailure[] = [];
  const forget = (table: string): void => {
    const at = failures.findIndex((f) => f.table === table);
    if (at >= 0) failures.splice(at, 1);
  };
  const runner = commitTaskRunner();
  const runtime = createEmbeddedRuntime({
    warehouse: options.warehouse,
    tables: options.tables,
    ...(options.undeclaredTables ? { undeclaredTables: options.undeclaredTables } : {}),
    ...(options.writeMode ? { writeMode: options.writeMode } : {}),
    log: options.log ?? (options.verbose ? createLogger({ component: 'datastream-iceberg' }) : silentLogger),
    onTask: async (rt, task) => {
      await runner(rt, task);
      forget(task.table);
    },
    onTaskGivenUp: (task, error) => {
      forget(task.table);
      failures.push({ table: task.table, error: error instanceof Error ? error.message : String(error) });
    },
  });
  return {
    runtime,
    failures,
    async ingest(entry) {
      const info = await runtime.objects.stat(entry.path);
      const outcome = await ingestFile(runtime.ingestDependencies(), {
        ...objectOf(entry),
        generation: info?.generation ?? '0',
        location: entry.path,
      });
      if (outcome.status === 'duplicate' && outcome.previous === 'staged') {
        const record = await runtime.state.getFile(outcome.fileId);
        for (const table of Object.keys(record?.eventCounts ?? {})) {
          // a task of its own (not the change-set's, which this process may have run already): drains
          // whatever the table has pending, or finds nothing to do
          await runtime.queue.enqueue({ taskId: randomUUID(), table, changesetId: '' });
        }
      }
      return outcome;
    },
    async settle(outcome) {
      const staged =
        outcome.status === 'staged' || (outcome.status === 'duplicate' && outcome.previous === 'staged');
      if (!staged) return outcome;
      const record = await runtime.state.getFile(outcome.fileId);
      if (record?.status !== 'failed') return outcome;
      return { status: 'failed', fileId: outcome.fileId, reason: record.reason ?? 'rejected by the commit' };
    },
    async finishAbandoned() {
      const finished: Array<{ file: string; outcome: IngestOutcome }> = [];
      for (const record of await runtime.state.listFiles({ status: 'processing', limit: PROCESSING_LIMIT })) {
        // a holder alive (or of another host) is still at work; none: a record from before holders
        const holder = holderState(record.holder);
        if (record.holder !== undefined && holder !== 'dead' && holder !== 'this-process') continue;
        if (record.bucket === undefined || record.name === undefined) {
          runtime.log.warn('file left processing has no bucket and name: apply it again to finish it', {
            file: record.location,
          });
          continue;
        }
        if (!(await runtime.objects.stat(record.location))) {
          const reason = `${record.location}: removed before it was staged (a run died while reading it)`;
          await runtime.state.updateFile(record.fileId, {
            status: 'failed',
            reason,
            updatedAtMs: Date.now(),
          });
          finished.push({
            file: record.location,
            outcome: { status: 'failed', fileId: record.fileId, reason },
          });
          continue;
        }
        const outcome = await ingestFile(runtime.ingestDependencies(), {
          bucket: record.bucket,
          name: record.name,
          generation: record.generation,
          location: record.location,
        });
        finished.push({ file: record.location, outcome });
      }
      return finished;
    },
  };
}

/** Events an outcome staged (0 for a file not staged). */
export function stagedEvents(outcome: IngestOutcome): number {
  return outcome.status === 'staged' ? outcome.changesets.reduce((sum, c) => sum + c.events, 0) : 0;
}
