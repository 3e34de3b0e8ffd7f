// The embedded defaults: the whole pipeline in one process with no cloud. A warehouse folder holds
// catalog.db — one SQLite file with the Iceberg JDBC catalog tables (PyIceberg's SqlCatalog and Iceberg
// Java's JdbcCatalog open it directly) and the pipeline state — next to the table files and the staged
// change-sets. Table queues are in-process serial queues. Same engine as the cloud functions.
// Several processes may work on one warehouse at once: file records and leases name their process
// (host, pid, random id), so one that died is recognised and its work taken over at once.

import { loadReadLimits } from '../config.js';
import type { ReadLimits } from '../datastream/read-limits.js';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InProcessQueue, type TaskHandler } from '../adapters/embedded/in-process-queue.js';
import { LocalObjectStore } from '../adapters/embedded/local-object-store.js';
import { SqliteCatalog } from '../adapters/embedded/sqlite-catalog.js';
import { SQLITE_BUSY_TIMEOUT_MS, SqliteStateStore } from '../adapters/embedded/sqlite-state-store.js';
import { holderState, processHolder } from '../adapters/embedded/process-holder.js';
import type { TableDefinition } from '../datastream/table.js';
import { createLogger, type Logger } from '../log.js';
import type { IngestDependencies } from '../pipeline/ingest-file.js';
import {
  ConfiguredTableDirectory,
  type TableDirectory,
  type UndeclaredTables,
} from '../pipeline/table-directory.js';
import type { CommitDependencies } from '../pipeline/commit-table.js';
import type { CommitTask } from '../ports/task-queue.js';

import type { WriteMode } from '../iceberg/table-properties.js';

export const CATALOG_FILE = 'catalog.db';

export interface EmbeddedOptions {
  warehouse: string;
  tables?: Record<string, TableDefinition>;
  /** What ingest does with a table nobody declared (default 'create': learnt from its files). */
  undeclaredTables?: UndeclaredTables;
  /** Write mode of the tables created (a declared one wins); default copy-on-write. */
  writeMode?: WriteMode;
  catalogName?: string;
  landingPrefix?: string;
  /** What one file may make ingest hold; by default the DSI_MAX_* environment variables, else read-limits.ts. */
  readLimits?: Partial<ReadLimits>;
  log?: Logger;
  /** Runs each table task (the commit); without one, tasks are only recorded. */
  onTask?: (runtime: EmbeddedRuntime, task: CommitTask) => Promise<void>;
  onTaskGivenUp?: (task: CommitTask, error: unknown) => void;
}

export interface EmbeddedRuntime {
  warehouse: string;
  catalogPath: string;
  objects: LocalObjectStore;
  state: SqliteStateStore;
  catalog: SqliteCatalog;
  queue: InProcessQueue;
  tables: TableDirectory;
  log: Logger;
  ingestDependencies(): IngestDependencies;
  commitDependencies(): CommitDependencies;
  close(): void;
}

export function createEmbeddedRuntime(options: EmbeddedOptions): EmbeddedRuntime {
  const warehouse = resolve(options.warehouse);
  mkdirSync(warehouse, { recursive: true });
  const catalogPath = join(warehouse, CATALOG_FILE);
  const db = new Database(catalogPath, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  const objects = new LocalObjectStore();
  const state = new SqliteStateStore(db);
  const catalog = new SqliteCatalog({
    database: db,
    warehouse,
    objectStore: objects,
    ...(options.catalogName ? { catalogName: options.catalogName } : {}),
  });
  const log = options.log ?? createLogger({ component: 'datastream-iceberg' });
  const tables = new ConfiguredTableDirectory(options.tables ?? {}, catalog, {
    ...(options.undeclaredTables ? { undeclaredTables: options.undeclaredTables } : {}),
    ...(options.writeMode ? { writeMode: options.writeMode } : {}),
  });
  // The queue's handler needs the runtime the queue is part of: a holder breaks the cycle.
  const holder: { runtime?: EmbeddedRuntime } = {};
  const handler: TaskHandler = async (task) => {
    if (options.onTask && holder.runtime) await options.onTask(holder.runtime, task);
  };
  const queue = new InProcessQueue(handler, {
    onGiveUp: (task, error) => {
      log.error('table task failed for good', { table: task.table, changeset: task.changesetId, error });
      // kept for `status` until a commit of the table succeeds
      state.recordTableFailure(
        task.table,
        error instanceof Error ? error.message : String(error),
        Date.now(),
      );
      options.onTaskGivenUp?.(task, error);
    },
  });
  const runtime: EmbeddedRuntime = {
    warehouse,
    catalogPath,
    objects,
    state,
    catalog,
    queue,
    tables,
    log,
    commitDependencies: () => ({ catalog, objects, state, log, tables, holder: processHolder() }),
    ingestDependencies: () => ({
      objects,
      state,
      queue,
      tables,
      workRoot: join(warehouse, '_work'),
      landingPrefix: options.landingPrefix ?? '',
      log,
      readLimits: options.readLimits ?? loadReadLimits(process.env),
      holder: processHolder(),
      holderIsAlive: (holder) => holderState(holder) === 'alive',
    }),
    close: () => db.close(),
  };
  holder.runtime = runtime;
  return runtime;
}
