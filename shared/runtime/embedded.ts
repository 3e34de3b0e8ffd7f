// The embedded defaults: the whole pipeline in one process with no cloud. A warehouse folder holds
// catalog.db — one SQLite file with the Iceberg JDBC catalog tables (PyIceberg's SqlCatalog and Iceberg
// Java's JdbcCatalog open it directly) and the pipeline state — next to the table files and the staged
// change-sets. Table queues are in-process serial queues. Same engine as the cloud functions.
// Several processes may work on one warehouse at once: file records and leases name their process
// (host, pid, random id), so one that died is recognised and its work taken over at once.

import { ConfigError, loadReadLimits } from '../config.js';
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

/**
 * The warehouse folder (created when missing) and its catalog.db opened by `open`. A warehouse that is a
 * file, or a catalog.db that is no SQLite database, is a ConfigError naming the path (one line for the
 * operator), not a stack trace from the file system or the SQLite driver.
 */
function openCatalog<T>(
  warehouse: string,
  catalogPath: string,
  open: (db: Database.Database) => T,
): T & { db: Database.Database } {
  try {
    mkdirSync(warehouse, { recursive: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new ConfigError(`warehouse ${warehouse}: not a folder (a file is in the way)`);
    throw error;
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(catalogPath, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    return { ...open(db), db };
  } catch (error) {
    db?.close();
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^SQLITE_(NOTADB|CORRUPT|CANTOPEN)/.test(code))
      throw new ConfigError(`${catalogPath}: not a warehouse catalog (${(error as Error).message})`);
    throw error;
  }
}

export function createEmbeddedRuntime(options: EmbeddedOptions): EmbeddedRuntime {
  const warehouse = resolve(options.warehouse);
  const catalogPath = join(warehouse, CATALOG_FILE);
  const objects = new LocalObjectStore();
  const { db, state, catalog } = openCatalog(warehouse, catalogPath, (database) => ({
    state: new SqliteStateStore(database),
    catalog: new SqliteCatalog({
      database,
      warehouse,
      objectStore: objects,
      ...(options.catalogName ? { catalogName: options.catalogName } : {}),
    }),
  }));
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
