// The whole pipeline on the embedded defaults in a temp folder: a local bucket copy, SqliteCatalog and
// SqliteStateStore in catalog.db, and an InProcessQueue whose tasks run commitTable. Used by the
// scenario tests (read back by PyIceberg) and the chaos test.

import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { InProcessQueue } from '../../../../shared/adapters/embedded/in-process-queue.js';
import { LocalObjectStore } from '../../../../shared/adapters/embedded/local-object-store.js';
import { SqliteCatalog } from '../../../../shared/adapters/embedded/sqlite-catalog.js';
import { SqliteStateStore } from '../../../../shared/adapters/embedded/sqlite-state-store.js';
import type { TableDefinition } from '../../../../shared/datastream/table.js';
import { silentLogger } from '../../../../shared/log.js';
import {
  commitTable,
  type CommitDependencies,
  type CommitResult,
} from '../../../../shared/pipeline/commit-table.js';
import { ingestFile, type IngestDependencies } from '../../../../shared/pipeline/ingest-file.js';
import { ConfiguredTableDirectory } from '../../../../shared/pipeline/table-directory.js';

export interface EmbeddedPipeline {
  dir: string;
  catalogDb: string;
  warehouse: string;
  catalog: SqliteCatalog;
  state: SqliteStateStore;
  objects: LocalObjectStore;
  queue: InProcessQueue;
  ingest: IngestDependencies;
  commit: CommitDependencies;
  results: CommitResult[];
  /** Ingest one object of the local bucket (name relative to it). */
  deliver(name: string, generation?: string): Promise<void>;
  close(): void;
}

export function embeddedPipeline(
  tables: Record<string, TableDefinition>,
  bucketRoot?: string,
): EmbeddedPipeline {
  const dir = mkdtempSync(join(tmpdir(), 'dsi-cow-'));
  const bucket = join(dir, 'bucket');
  if (bucketRoot) cpSync(bucketRoot, bucket, { recursive: true });
  const catalogDb = join(dir, 'catalog.db');
  const warehouse = join(dir, 'warehouse');
  const db = new Database(catalogDb);
  const objects = new LocalObjectStore();
  const catalog = new SqliteCatalog({ database: db, warehouse, objectStore: objects });
  const state = new SqliteStateStore(db);
  const directory = new ConfiguredTableDirectory(tables, catalog);
  const results: CommitResult[] = [];
  const commit: CommitDependencies = { catalog, objects, state, log: silentLogger, tables: directory };
  const queue = new InProcessQueue(
    async (task) => {
      results.push(await commitTable(commit, task.table));
    },
    {
      maxAttempts: 1,
      onGiveUp: (task, error) => {
        throw new Error(`commit of ${task.table} failed: ${String(error)}`);
      },
    },
  );
  const ingest: IngestDependencies = {
    objects,
    state,
    queue,
    tables: directory,
    workRoot: join(dir, 'work'),
    landingPrefix: '',
    log: silentLogger,
  };
  return {
    dir,
    catalogDb,
    warehouse,
    catalog,
    state,
    objects,
    queue,
    ingest,
    commit,
    results,
    async deliver(name, generation = '1') {
      await ingestFile(ingest, { bucket: 'landing', name, generation, location: join(bucket, name) });
    },
    close() {
      db.close();
    },
  };
}
