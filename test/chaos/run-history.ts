// Runs one random history through commitTable on the embedded catalog, in one write mode (the table is
// created with that mode's properties), with injected failures and, in some histories, maintenance runs
// (compaction, which folds position deletes, and snapshot expiry) between deliveries, and compares the
// final table (read with our own reader, for speed) with the model.
//
// Failure points, chosen per delivered file:
//   after-staging            the change-set is staged but its task never runs (a later run drains it)
//   after-files-written      the run dies after writing its data and delete files (lease not
//                            released: it expires); the table must read exactly as before and no
//                            snapshot may reference any file the run wrote
//   crash-at-commit          the run dies right before its catalog commit or while sending it (the
//                            commit does not land), every data, delete and manifest file written:
//                            same checks as after-files-written
//   after-catalog-commit     the run dies after the catalog commit, before marking the change-sets
//   unknown-landed           the catalog applies the commit but answers with an unknown state (5xx)
//   unknown-not-landed       the catalog answers with an unknown state without applying the commit
//   zombie-after-files       the lease expires after the files are written; a second worker takes it
//                            and commits; the first must stop before committing
//   zombie-before-commit     the lease expires right after the first worker renewed it; the second
//                            worker commits; the first one's commit must be refused and not redone
//   zombie-second-in-flight  the lease expires after the files are written; a second worker takes it
//                            and is still working when the first reaches its commit: the first must
//                            stop on its lease alone (the catalog's base check cannot catch this one)

import { tableKey } from '../../shared/changes/change-event.js';
import Database from 'better-sqlite3';
import { SqliteCatalog } from '../../shared/adapters/embedded/sqlite-catalog.js';
import { SqliteStateStore } from '../../shared/adapters/embedded/sqlite-state-store.js';
import { encodeChangeSet } from '../../shared/changes/change-set.js';
import { keyString } from '../../shared/cow/keys.js';
import { CHANGESETS_SUMMARY_KEY, LEASE_TOKEN_SUMMARY_KEY } from '../../shared/iceberg/table-properties.js';
import { currentSnapshot } from '../../shared/iceberg/spec/snapshot.js';
import { readLiveFiles, readTableRows } from '../../shared/iceberg/table-files.js';
import {
  AUTO_REWRITE_FRACTION_PROPERTY,
  ROW_GROUP_LIMIT_PROPERTY,
  WRITE_MODES,
  writeModeProperties,
  type WriteMode,
} from '../../shared/iceberg/table-properties.js';
import { maintainTable } from '../../shared/maintenance/maintain-table.js';
import type { TableRequirement, TableUpdate } from '../../shared/iceberg/spec/metadata-types.js';
import { silentLogger } from '../../shared/log.js';
import {
  commitTable,
  type CommitDependencies,
  type CommitHooks,
  type CommitResult,
} from '../../shared/pipeline/commit-table.js';
import { tableIdentifier } from '../../shared/table/table-identifier.js';
import { changesetLocation } from '../../shared/pipeline/ingest-file.js';
import {
  CommitStateUnknownError,
  NoSuchTableError,
  type Catalog,
  type CreateTableRequest,
  type LoadedTable,
  type TableIdentifier,
} from '../../shared/ports/catalog.js';
import type {
  ChangesetRecord,
  FileRecord,
  FileStatus,
  Lease,
  StateStore,
} from '../../shared/ports/state-store.js';
import { model, randomHistory, type History, type Random } from './history.js';
import { MemoryObjectStore } from './memory-object-store.js';
import { manifestReader, referencedFiles } from './referenced-files.js';

export const CRASH_POINTS = [
  'after-staging',
  'after-files-written',
  'crash-at-commit',
  'after-catalog-commit',
  'unknown-landed',
  'unknown-not-landed',
  'zombie-after-files',
  'zombie-before-commit',
  'zombie-second-in-flight',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** What a run must never produce: every counter 0. */
export interface Violations {
  lost: number;
  duplicated: number;
  resurrected: number;
  wrong: number;
  unexpected: number;
  /** Change-sets recorded by more than one snapshot (applied twice). */
  reapplied: number;
  /** Snapshots committed under a lease token that had been taken over. */
  zombieSnapshots: number;
  pendingLeft: number;
  /**
   * A crash before the catalog commit that changed what the table reads, or a file written by such a
   * crashed run (data, delete or manifest) that a snapshot references, then or later.
   */
  crashLeftVisible: number;
}

export function noViolations(): Violations {
  return {
    lost: 0,
    duplicated: 0,
    resurrected: 0,
    wrong: 0,
    unexpected: 0,
    reapplied: 0,
    zombieSnapshots: 0,
    pendingLeft: 0,
    crashLeftVisible: 0,
  };
}

export interface HistoryOutcome extends Violations {
  seed: number;
  mode: WriteMode;
  events: number;
  files: number;
  commits: number;
  /** Row groups that commits copied as bytes (rewrites that re-encoded only the edited groups). */
  copiedRowGroups: number;
  /** Data files removed by commit snapshots (copy-on-write rewrites, whole files deleted). */
  rewrittenDataFiles: number;
  /** Distinct position delete files that commit snapshots added. */
  deleteFilesCommitted: number;
  /** Delete files written by runs that then died before their commit (none may be referenced). */
  deleteFilesOfCrashedRuns: number;
  maintainRuns: number;
  /** Live delete files before maintenance runs minus after (what compaction folded away). */
  deleteFilesFolded: number;
  crashes: Partial<Record<CrashPoint, number>>;
}

class Crash extends Error {}

/** The state store, able to "die" holding the lease (a crashed process releases nothing). */
class ChaosState implements StateStore {
  dead = false;
  readonly tokens = new Map<string, number>();
  constructor(private readonly inner: StateStore) {}
  createFile(r: FileRecord) {
    return this.inner.createFile(r);
  }
  getFile(id: string) {
    return this.inner.getFile(id);
  }
  updateFile(id: string, p: Partial<Omit<FileRecord, 'fileId'>>) {
    return this.inner.updateFile(id, p);
  }
  listFiles(f?: { status?: FileStatus; limit?: number }) {
    return this.inner.listFiles(f);
  }
  putChangeset(r: ChangesetRecord) {
    return this.inner.putChangeset(r);
  }
  getChangeset(id: string) {
    return this.inner.getChangeset(id);
  }
  listPendingChangesets(table: string, limit: number) {
    return this.inner.listPendingChangesets(table, limit);
  }
  markChangesetsCommitted(ids: string[], snapshotId: string, atMs: number) {
    return this.inner.markChangesetsCommitted(ids, snapshotId, atMs);
  }
  markChangesetRejected(id: string, reason: string, atMs: number) {
    return this.inner.markChangesetRejected(id, reason, atMs);
  }
  async acquireLease(table: string, holder: string, ttlMs: number, nowMs: number) {
    const lease = await this.inner.acquireLease(table, holder, ttlMs, nowMs);
    if (lease) this.tokens.set(holder, lease.token);
    return lease;
  }
  renewLease(lease: Lease, ttlMs: number, nowMs: number) {
    return this.inner.renewLease(lease, ttlMs, nowMs);
  }
  async releaseLease(lease: Lease) {
    if (!this.dead) await this.inner.releaseLease(lease);
  }
}

/** The catalog, able to answer one commit with an unknown state, applied or not, or to die sending it. */
export class ChaosCatalog implements Catalog {
  readonly name = 'chaos';
  next: 'unknown-landed' | 'unknown-not-landed' | undefined;
  /** Set: the next commit kills the process while its request is sent (it does not land). */
  dieAtCommit: (() => never) | undefined;
  constructor(
    private readonly inner: Catalog,
    /** Table properties of every table created (the write mode's). */
    private readonly properties: Record<string, string>,
  ) {}
  createNamespace(ns: string[], p?: Record<string, string>) {
    return this.inner.createNamespace(ns, p);
  }
  namespaceExists(ns: string[]) {
    return this.inner.namespaceExists(ns);
  }
  listNamespaces() {
    return this.inner.listNamespaces();
  }
  listTables(ns: string[]) {
    return this.inner.listTables(ns);
  }
  /** Rows per Parquet row group of the tables this catalog creates (undefined: the default). */
  rowGroupLimit: number | undefined = undefined;
  createTable(ns: string[], r: CreateTableRequest) {
    const properties = { ...r.properties, ...this.properties };
    if (this.rowGroupLimit !== undefined) properties[ROW_GROUP_LIMIT_PROPERTY] = String(this.rowGroupLimit);
    return this.inner.createTable(ns, { ...r, properties });
  }
  loadTable(t: TableIdentifier) {
    return this.inner.loadTable(t);
  }
  dropTable(t: TableIdentifier) {
    return this.inner.dropTable(t);
  }
  async commitTable(t: TableIdentifier, req: TableRequirement[], upd: TableUpdate[]): Promise<LoadedTable> {
    const die = this.dieAtCommit;
    this.dieAtCommit = undefined;
    if (die) die();
    const mode = this.next;
    this.next = undefined;
    if (mode === 'unknown-not-landed') throw new CommitStateUnknownError('injected: 503 before applying');
    const result = await this.inner.commitTable(t, req, upd);
    if (mode === 'unknown-landed') throw new CommitStateUnknownError('injected: timeout after applying');
    return result;
  }
}

const TTL = 60_000;

/** The write mode a history of `--write-mode all` runs in: the modes take turns by seed. */
export function modeOfSeed(seed: number): WriteMode {
  return WRITE_MODES[((seed % WRITE_MODES.length) + WRITE_MODES.length) % WRITE_MODES.length]!;
}

/**
 * What a table reads now: its current snapshot and its rows, sorted. A table not created yet reads as
 * one created without a snapshot (a run creates the table before it writes anything: no rows either way).
 */
async function tableState(catalog: Catalog, objects: MemoryObjectStore, table: string): Promise<string> {
  let metadata;
  try {
    ({ metadata } = await catalog.loadTable(tableIdentifier(table)));
  } catch (error) {
    if (error instanceof NoSuchTableError) return 'no snapshot:';
    throw error;
  }
  const snapshot = currentSnapshot(metadata);
  if (!snapshot) return 'no snapshot:';
  const rows = (await readTableRows(metadata, objects)).map((r) =>
    JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
  );
  return `${String(snapshot['snapshot-id'])}:${rows.sort().join('\n')}`;
}

export async function runHistory(
  seed: number,
  random: Random,
  crashRate = 0.5,
  maxSteps = 60,
  mode: WriteMode = modeOfSeed(seed),
  /** Run maintenance between deliveries in half the histories (false: never). */
  maintenance = true,
): Promise<HistoryOutcome> {
  const history = randomHistory(random, { n: 0 }, maxSteps);
  // 60% of the histories write row groups of 2-5 rows into large files, so rewrites splice copied groups
  // with new ones; the others write tiny files (many files per table) most of the time
  const rowGroupLimit = random() < 0.6 ? 2 + Math.floor(random() * 4) : undefined;
  const targetFileSize =
    rowGroupLimit === undefined && random() < 0.7 ? 100 + Math.floor(random() * 400) : 128 * 1024 * 1024;
  const table = tableKey(history.shape.ref);
  const db = new Database(':memory:');
  const objects = new MemoryObjectStore();
  const properties = writeModeProperties(mode);
  // auto: half the histories move the share of changed rows above which a file is rewritten, so both
  // choices are common with files of a few rows
  if (mode === 'auto' && random() < 0.5)
    properties[AUTO_REWRITE_FRACTION_PROPERTY] = String([0.5, 0.75, 0.9][Math.floor(random() * 3)]);
  const catalog = new ChaosCatalog(
    new SqliteCatalog({ database: db, warehouse: '/chaos/warehouse', objectStore: objects }),
    properties,
  );
  // half the histories run maintenance between some deliveries and once more at the end, so the table
  // compared with the model has had its deletes folded
  const maintenanceRate = random() < 0.5 && maintenance ? 0.2 : 0;
  catalog.rowGroupLimit = rowGroupLimit;
  const state = new ChaosState(new SqliteStateStore(db));
  const clock = { t: 1_800_000_000_000 };
  const zombies = new Set<string>();
  const outcome: HistoryOutcome = {
    seed,
    mode,
    events: history.events.length,
    files: history.files.length,
    commits: 0,
    copiedRowGroups: 0,
    rewrittenDataFiles: 0,
    deleteFilesCommitted: 0,
    deleteFilesOfCrashedRuns: 0,
    maintainRuns: 0,
    deleteFilesFolded: 0,
    crashes: {},
    ...noViolations(),
  };
  let holders = 0;
  const reader = manifestReader(objects);
  const crashedRunFiles = new Set<string>();
  const seenSnapshots = new Set<string>();
  const committedDeletes = new Set<string>();
  const loadIfExists = async () => {
    try {
      return (await catalog.loadTable(tableIdentifier(table))).metadata;
    } catch (error) {
      if (error instanceof NoSuchTableError) return undefined;
      throw error;
    }
  };
  // counts what each new commit snapshot did (read before maintenance may expire it)
  const observe = async () => {
    const metadata = await loadIfExists();
    for (const snapshot of metadata?.snapshots ?? []) {
      const id = String(snapshot['snapshot-id']);
      if (seenSnapshots.has(id)) continue;
      seenSnapshots.add(id);
      if (snapshot.summary.operation === 'replace') continue; // compaction
      outcome.rewrittenDataFiles += Number(snapshot.summary['deleted-data-files'] ?? 0);
      for (const path of (await referencedFiles([snapshot], reader)).deletes) committedDeletes.add(path);
    }
  };
  const deps = (hooks?: CommitHooks): CommitDependencies => ({
    catalog,
    objects,
    state,
    log: silentLogger,
    holder: `w${holders++}`,
    now: () => clock.t,
    options: {
      leaseTtlMs: TTL,
      minLeaseLeftMs: 1000,
      maxRows: 1 + Math.floor(random() * 80),
      // tiny files: many files per table, so candidate pruning and partial rewrites are exercised
      targetFileSizeBytes: targetFileSize,
    },
    hooks,
  });
  const run = async (hooks?: CommitHooks): Promise<CommitResult | undefined> => {
    const d = deps(hooks);
    try {
      const result = await commitTable(d, table);
      await observe();
      if (result.status === 'committed') {
        outcome.commits++;
        outcome.copiedRowGroups += result.counts.copiedRowGroups;
      }
      if (result.status === 'lease-busy') {
        clock.t += TTL + 1; // the crashed holder's lease runs out; the queue retries later
        return run(hooks);
      }
      if (result.status === 'failed') throw new Error(`commit failed: ${result.reason}`);
      return result;
    } catch (error) {
      if (!(error instanceof Crash)) throw error;
      state.dead = false;
      await observe();
      return undefined;
    }
  };
  const maintain = async (): Promise<void> => {
    if (!(await loadIfExists())) return;
    const liveDeletes = async () => (await readLiveFiles((await loadIfExists())!, objects)).deletes.length;
    const before = await liveDeletes();
    for (let attempt = 1; ; attempt++) {
      const result = await maintainTable(
        { catalog, objects, state, log: silentLogger, holder: `m${holders++}`, now: () => clock.t },
        table,
        {
          // against the default 128 MiB target every file here is small: two in a partition make a bin
          minInputFiles: 2,
          expireOlderThanMs: 0,
          retainLast: 1 + Math.floor(random() * 3),
          // the store keeps no object times, so orphan removal would only report
          removeOrphans: false,
          leaseTtlMs: TTL,
          minLeaseLeftMs: 1000,
        },
      );
      if (result.status === 'lease-busy' && attempt < 3) {
        clock.t += TTL + 1; // a crashed run's lease runs out first
        continue;
      }
      if (result.status !== 'done')
        throw new Error(`maintenance ended ${result.status}: ${'reason' in result ? result.reason : ''}`);
      break;
    }
    outcome.maintainRuns++;
    outcome.deleteFilesFolded += Math.max(0, before - (await liveDeletes()));
  };
  const takeOver = async (zombie: string): Promise<void> => {
    zombies.add(zombie);
    clock.t += TTL + 1;
    const second = await run();
    if (second?.status !== 'committed')
      throw new Error(`the second worker did not commit: ${second?.status}`);
  };

  for (const [i, events] of history.files.entries()) {
    await stage(history, i, events, objects, state, clock.t++);
    const point: CrashPoint | undefined =
      random() < crashRate ? CRASH_POINTS[Math.floor(random() * CRASH_POINTS.length)] : undefined;
    // a failure counts when it happened (a run with nothing left to apply reaches no hook)
    const count = () => {
      if (point) outcome.crashes[point] = (outcome.crashes[point] ?? 0) + 1;
    };
    if (point === 'after-staging') count();
    const die = () => {
      count();
      state.dead = true;
      throw new Crash(point);
    };
    switch (point) {
      case 'after-staging':
        break;
      case 'after-files-written':
      case 'crash-at-commit': {
        const before = await tableState(catalog, objects, table);
        const firstWritten = objects.written.length;
        let died = false;
        const dieHere = (): never => {
          died = true;
          return die();
        };
        if (point === 'after-files-written') await run({ afterFilesWritten: dieHere });
        else if (random() < 0.5) await run({ beforeCatalogCommit: dieHere });
        else {
          catalog.dieAtCommit = dieHere;
          await run();
          catalog.dieAtCommit = undefined;
        }
        if (!died) break;
        const written = objects.written.slice(firstWritten);
        for (const path of written) crashedRunFiles.add(path);
        outcome.deleteFilesOfCrashedRuns += written.filter((p) => p.endsWith('-deletes.parquet')).length;
        if ((await tableState(catalog, objects, table)) !== before) outcome.crashLeftVisible++;
        break;
      }
      case 'after-catalog-commit':
        await run({ afterCatalogCommit: die });
        break;
      case 'unknown-landed':
      case 'unknown-not-landed':
        catalog.next = point;
        await run();
        if (catalog.next === undefined) count();
        catalog.next = undefined;
        break;
      case 'zombie-after-files':
      case 'zombie-before-commit': {
        const holder = `w${holders}`;
        let fired = false;
        const hook = async () => {
          fired = true;
          count();
          await takeOver(holder);
        };
        const first = await run(
          point === 'zombie-after-files' ? { afterFilesWritten: hook } : { beforeCatalogCommit: hook },
        );
        if (fired && first?.status !== 'lease-lost') throw new Error(`a zombie run ended ${first?.status}`);
        break;
      }
      case 'zombie-second-in-flight': {
        const holder = `w${holders}`;
        let second: Promise<CommitResult | undefined> | undefined;
        let releaseSecond = () => {};
        const firstDone = new Promise<void>((resolve) => (releaseSecond = resolve));
        const hook = async () => {
          count();
          zombies.add(holder);
          clock.t += TTL + 1;
          // the second worker runs until its files are written, then waits for the first to finish
          await new Promise<void>((reached) => {
            second = run({
              afterFilesWritten: async () => {
                reached();
                await firstDone;
              },
            });
          });
        };
        const first = await run({ afterFilesWritten: hook });
        releaseSecond();
        if (second) {
          if (first?.status !== 'lease-lost') throw new Error(`a zombie run ended ${first?.status}`);
          const result = await second;
          if (result?.status !== 'committed') throw new Error(`the second worker ended ${result?.status}`);
        }
        break;
      }
      default:
        await run();
    }
    if (maintenanceRate > 0 && random() < maintenanceRate) await maintain();
  }
  // the queue keeps retrying until nothing is left
  for (let i = 0; i < 100; i++) {
    const result = await run();
    if (result?.status === 'nothing-to-do') break;
  }
  if (maintenanceRate > 0) await maintain();

  // compare with the model
  const { metadata } = await catalog.loadTable(tableIdentifier(table));
  const rows = await readTableRows(metadata, objects);
  const expected = model(history);
  const seen = new Map<string, number>();
  for (const row of rows) {
    const k = keyString(history.shape.primaryKeys.map((c) => row[c] ?? null));
    seen.set(k, (seen.get(k) ?? 0) + 1);
    const want = expected.get(k);
    if (!want) {
      if (history.deletedKeys.has(k)) outcome.resurrected++;
      else outcome.unexpected++;
    } else if (
      (seen.get(k) ?? 0) === 1 &&
      Object.keys(want).some((c) => JSON.stringify(String(row[c])) !== JSON.stringify(String(want[c])))
    ) {
      outcome.wrong++;
    }
  }
  for (const [k, n] of seen) if (n > 1 && expected.has(k)) outcome.duplicated += n - 1;
  for (const k of expected.keys()) if (!seen.has(k)) outcome.lost++;
  const recorded = new Map<string, number>();
  for (const snapshot of metadata.snapshots ?? []) {
    for (const id of (snapshot.summary[CHANGESETS_SUMMARY_KEY] ?? '').split(',').filter(Boolean)) {
      recorded.set(id, (recorded.get(id) ?? 0) + 1);
    }
    const token = snapshot.summary[LEASE_TOKEN_SUMMARY_KEY];
    for (const zombie of zombies) if (String(state.tokens.get(zombie)) === token) outcome.zombieSnapshots++;
  }
  for (const n of recorded.values()) if (n > 1) outcome.reapplied += n - 1;
  await observe();
  outcome.deleteFilesCommitted = committedDeletes.size;
  for (const path of (await referencedFiles(metadata.snapshots ?? [], reader)).all)
    if (crashedRunFiles.has(path)) outcome.crashLeftVisible++;
  outcome.pendingLeft = (await state.listPendingChangesets(table, 10_000)).length;
  db.close();
  return outcome;
}

async function stage(
  history: History,
  index: number,
  events: History['events'],
  objects: MemoryObjectStore,
  state: StateStore,
  now: number,
): Promise<void> {
  const header = {
    table: history.shape.ref,
    // each delivery is its own object generation, so a re-delivered file is a new change-set
    source: { bucket: 'landing', name: `chaos/${index}.jsonl`, generation: '1' },
    schema: history.shape.schema,
    primaryKeys: history.shape.primaryKeys,
  };
  const bytes = encodeChangeSet(
    header,
    events.map((e) => ({ ...e, source: { object: header.source.name, line: 1 } })),
  );
  const { readChangeSetInfo } = await import('../../shared/changes/change-set.js');
  const info = readChangeSetInfo(bytes);
  const table = tableKey(history.shape.ref);
  const location = changesetLocation('/chaos/work', history.shape.ref, info.id);
  await objects.put(location, bytes);
  await state.putChangeset({
    id: info.id,
    table,
    fileId: `file-${index}`,
    location,
    eventCount: info.eventCount,
    minOrder: '',
    maxOrder: '',
    status: 'pending',
    createdAtMs: now,
  });
}
