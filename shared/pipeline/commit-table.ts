// commitTable: drain a table's pending change-sets into ONE copy-on-write snapshot, exactly once.
//   1. take the table's lease (its token goes into the snapshot summary; a zombie run is recognised);
//   2. load the table, creating it on first use from the change-set's schema plus the order columns;
//   3. list pending change-sets oldest first up to a budget (rows, bytes), skip those the table's recent
//      snapshots already record (a run that died after the catalog commit but before marking);
//   4. merge + plan + write files (shared/cow), evolve the schema in the same commit;
//   5. renew the lease (stop if it was lost or has too little time left), then commit one snapshot
//      asserting the table uuid and the snapshot main pointed at;
//   6. mark the change-sets committed; release the lease.
// A conflict (409) reloads and redoes from the new base, bounded. An unknown outcome (5xx, timeout) is
// resolved by reading the table back before anything else, and written files are never deleted.

import { randomUUID } from 'node:crypto';
import { decodeChangeSet, type DecodedChangeSet } from '../changes/change-set.js';
import type { ChangeEvent } from '../changes/change-event.js';
import type { ChangeSetInfo } from '../changes/change-set.js';
import { resolveUnknownCommit } from '../adapters/resolve-unknown-commit.js';
import { applyBatch, type ApplyCounts, type ApplyOptions } from '../cow/apply-batch.js';
import { checkPrimaryKey, evolveSchema } from '../cow/evolve-schema.js';
import { recordedChangesets } from '../cow/recorded-changesets.js';
import {
  CHANGESETS_SUMMARY_KEY,
  EVENT_UUID_COLUMN,
  LEASE_TOKEN_SUMMARY_KEY,
  NEWEST_SOURCE_TS_SUMMARY_KEY,
  ORDER_COLUMNS,
  TOMBSTONES_PROPERTY,
} from '../cow/table-properties.js';
import type { TableMetadata, TableRequirement, TableUpdate } from '../iceberg/spec/metadata-types.js';
import { SchemaEvolutionError } from '../iceberg/spec/schema.js';
import { currentSnapshot } from '../iceberg/spec/snapshot.js';
import { writeSnapshot } from '../iceberg/table-writer.js';
import type { NestedField, Schema } from '../iceberg/spec/types.js';
import type { Logger } from '../log.js';
import {
  CommitConflictError,
  CommitStateUnknownError,
  NoSuchTableError,
  TableAlreadyExistsError,
  type Catalog,
  type LoadedTable,
  type TableIdentifier,
} from '../ports/catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { ChangesetRecord, Lease, StateStore } from '../ports/state-store.js';
import { renderValue } from '../datastream/errors.js';
import { PG_TYPES_PROPERTY, PRIMARY_KEY_PROPERTY, type TableDirectory } from './table-directory.js';
import { engineTableRequest, textColumnTypes } from './table-request.js';
import { catalogIdentifier, parseTableKey } from '../names/table-key.js';

export interface CommitOptions extends ApplyOptions {
  /** Lease time to live (default 10 minutes). */
  leaseTtlMs?: number;
  /**
   * Renew the lease in the background this often while the run works (default off). A run that takes
   * longer than the lease's time to live then keeps its table instead of losing it to a retried task
   * and doing its work for nothing, while a crashed run's lease still ends one time to live later.
   */
  renewEveryMs?: number;
  /** Do not start a catalog commit with less lease time left than this (default 60 s). */
  minLeaseLeftMs?: number;
  /** Budget of one commit: change-sets, events and bytes (at least one change-set is always taken). */
  maxChangesets?: number;
  maxRows?: number;
  maxBytes?: number;
  /** Redo attempts after conflicts (409) or a commit found not to have landed (default 5). */
  maxAttempts?: number;
  /** How many snapshots of main are searched for change-sets already applied (default 100). */
  recentSnapshots?: number;
}

/** Test seams: each runs at one step of a run; throwing from one simulates a crash there. */
export interface CommitHooks {
  afterFilesWritten?(): Promise<void> | void;
  beforeCatalogCommit?(): Promise<void> | void;
  afterCatalogCommit?(): Promise<void> | void;
}

export interface CommitDependencies {
  catalog: Catalog;
  objects: ObjectStore;
  state: StateStore;
  log: Logger;
  /** Source column types for the table property pg-types when the table is created. */
  tables?: TableDirectory;
  /** Who runs (logged and stored in the lease); default a random id per call. */
  holder?: string;
  now?: () => number;
  options?: CommitOptions;
  hooks?: CommitHooks;
}

export type CommitResult =
  | {
      status: 'committed';
      table: string;
      snapshotId: string;
      operation: 'append' | 'overwrite';
      changesets: string[];
      /** Change-sets found already applied by the table and only marked. */
      alreadyApplied: string[];
      counts: ApplyCounts;
      attempts: number;
    }
  | { status: 'nothing-to-do'; table: string; alreadyApplied: string[] }
  | { status: 'lease-busy'; table: string }
  | { status: 'lease-lost'; table: string; reason: string }
  | { status: 'failed'; table: string; reason: string };

const DEFAULTS = {
  leaseTtlMs: 10 * 60_000,
  renewEveryMs: 0,
  minLeaseLeftMs: 60_000,
  maxChangesets: 500,
  maxRows: 2_000_000,
  maxBytes: 512 * 1024 * 1024,
  maxAttempts: 5,
  recentSnapshots: 100,
};

class LeaseLostError extends Error {}

/** The catalog identifier of a table key (shared/names/table-key.ts: parsed, never split at a '.'). */
export function tableIdentifier(table: string): TableIdentifier {
  return catalogIdentifier(parseTableKey(table));
}

interface LoadedChangeset {
  record: ChangesetRecord;
  decoded: DecodedChangeSet;
}

export async function commitTable(deps: CommitDependencies, table: string): Promise<CommitResult> {
  const now = deps.now ?? Date.now;
  const options = { ...DEFAULTS, ...deps.options };
  const holder = deps.holder ?? randomUUID();
  const log = deps.log.with({ table, holder });
  let lease = await deps.state.acquireLease(table, holder, options.leaseTtlMs, now());
  if (!lease) {
    log.info('lease held by another run');
    return { status: 'lease-busy', table };
  }
  const leaseRef: { current: Lease } = { current: lease };
  const heartbeat = options.renewEveryMs ? keepRenewing(deps, leaseRef, options, log) : undefined;
  try {
    return await run(deps, table, leaseRef, log);
  } catch (error) {
    if (error instanceof LeaseLostError) {
      log.warn('lease lost: stopping before the commit', { reason: error.message });
      return { status: 'lease-lost', table, reason: error.message };
    }
    if (error instanceof SchemaEvolutionError) {
      log.error('table failed: schema change cannot be applied', { reason: error.message });
      return { status: 'failed', table, reason: error.message };
    }
    throw error;
  } finally {
    // Stop renewing before releasing: a renewal landing after the release would hold the table again.
    await heartbeat?.stop();
    lease = leaseRef.current;
    await deps.state.releaseLease(lease);
  }
}

/** Renews the lease every renewEveryMs until stopped; a lost lease is left for the commit step to see. */
function keepRenewing(
  deps: CommitDependencies,
  lease: { current: Lease },
  options: typeof DEFAULTS,
  log: Logger,
): { stop: () => Promise<void> } {
  const now = deps.now ?? Date.now;
  let inFlight: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = (async () => {
      try {
        const renewed = await deps.state.renewLease(lease.current, options.leaseTtlMs, now());
        if (renewed) lease.current = renewed;
        else log.warn('lease renewal refused: another run holds the table', { token: lease.current.token });
      } catch (error) {
        log.warn('lease renewal failed; retrying', { reason: (error as Error).message });
      } finally {
        inFlight = undefined;
      }
    })();
  }, options.renewEveryMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await inFlight;
    },
  };
}

async function run(
  deps: CommitDependencies,
  table: string,
  lease: { current: Lease },
  log: Logger,
): Promise<CommitResult> {
  const now = deps.now ?? Date.now;
  const startedMs = now();
  const options = { ...DEFAULTS, ...deps.options };
  const id = tableIdentifier(table);
  const pending = await deps.state.listPendingChangesets(table, options.maxChangesets);
  if (pending.length === 0) return { status: 'nothing-to-do', table, alreadyApplied: [] };

  const loaded = new Map<string, LoadedChangeset>();
  const load = async (record: ChangesetRecord): Promise<LoadedChangeset> => {
    let hit = loaded.get(record.id);
    if (!hit) {
      hit = { record, decoded: decodeChangeSet(await deps.objects.get(record.location)) };
      loaded.set(record.id, hit);
    }
    return hit;
  };

  const alreadyApplied: string[] = [];
  for (let attempt = 1; ; attempt++) {
    // a redo after a conflict may be a zombie's: it must still hold the lease to go on
    if (attempt > 1) await renew(deps, lease, options);
    const current = await loadOrCreate(deps, id, await load(pending[0]!));
    // 3. skip what the table already records, then take the budget
    const recorded = recordedChangesets(current.metadata, options.recentSnapshots);
    const applied = pending.filter((r) => recorded.has(r.id) && !alreadyApplied.includes(r.id));
    for (const r of applied) {
      await deps.state.markChangesetsCommitted([r.id], recorded.get(r.id)!, now());
      alreadyApplied.push(r.id);
    }
    if (applied.length > 0)
      log.info('change-sets already in the table, marked', { ids: applied.map((r) => r.id) });
    const batch: LoadedChangeset[] = [];
    let rows = 0;
    let bytes = 0;
    for (const record of pending) {
      if (recorded.has(record.id)) continue;
      // the budget is checked on the record and the object size, before anything is downloaded
      const size = await sizeOf(deps, record);
      const over = rows + record.eventCount > options.maxRows || bytes + size > options.maxBytes;
      if (batch.length > 0 && over) break;
      batch.push(await load(record));
      rows += record.eventCount;
      bytes += size;
    }
    if (batch.length === 0) return { status: 'nothing-to-do', table, alreadyApplied };

    // 4. schema evolution, merge and write
    let metadata = current.metadata;
    const updates: TableUpdate[] = [];
    const addedTypes: Record<string, string> = {};
    for (const cs of batch) {
      const evolved = evolveWithSource(metadata, cs, table);
      if (evolved.updates.length > 0) {
        log.notice('schema evolved', { added: evolved.added, widened: evolved.widened });
        metadata = evolved.metadata;
        Object.assign(addedTypes, addedTextColumnTypes(cs.decoded.info, evolved.added));
      }
    }
    if (metadata !== current.metadata) {
      const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id'])!;
      updates.push(
        { action: 'add-schema', schema, 'last-column-id': metadata['last-column-id'] },
        { action: 'set-current-schema', 'schema-id': -1 },
      );
      // New text columns keep their source types (json, numeric, …) for the readers after this commit.
      if (Object.keys(addedTypes).length > 0) {
        const known = current.metadata.properties?.[PG_TYPES_PROPERTY];
        const types = { ...(known ? (JSON.parse(known) as Record<string, string>) : {}), ...addedTypes };
        updates.push({ action: 'set-properties', updates: { [PG_TYPES_PROPERTY]: JSON.stringify(types) } });
      }
    }
    const primaryKeys = primaryKeysOf(current.metadata, batch[0]!.decoded.info.primaryKeys);
    const events: ChangeEvent[] = [];
    for (const cs of batch) for (const e of cs.decoded.events) events.push(e);
    // a long merge must not start on a lease about to run out
    await renew(deps, lease, options);
    const result = await applyBatch(metadata, deps.objects, primaryKeys, events, options);
    await deps.hooks?.afterFilesWritten?.();

    const ids = batch.map((cs) => cs.record.id);
    const written = await writeSnapshot(metadata, deps.objects, {
      added: result.added,
      removed: result.removed,
      summary: {
        [CHANGESETS_SUMMARY_KEY]: ids.join(','),
        [LEASE_TOKEN_SUMMARY_KEY]: String(lease.current.token),
        ...newestSourceTs(
          current.metadata,
          batch.map((cs) => cs.record),
        ),
      },
    });
    const requirements: TableRequirement[] = [
      ...written.requirements,
      { type: 'assert-current-schema-id', 'current-schema-id': current.metadata['current-schema-id'] },
    ];
    const allUpdates: TableUpdate[] = [...updates, ...written.updates];
    if (result.tombstonesLocation) {
      allUpdates.push({
        action: 'set-properties',
        updates: { [TOMBSTONES_PROPERTY]: result.tombstonesLocation },
      });
    }
    const snapshotId = String(written.snapshot['snapshot-id']);
    const base = currentSnapshot(current.metadata)?.['snapshot-id'] ?? null;

    // 5. the lease must still be ours, with time to spare, when the commit starts
    await renew(deps, lease, options);
    await deps.hooks?.beforeCatalogCommit?.();
    let outcome: 'landed' | 'redo';
    try {
      await deps.catalog.commitTable(id, requirements, allUpdates);
      outcome = 'landed';
    } catch (error) {
      if (error instanceof CommitConflictError) {
        outcome = 'redo';
        log.warn('commit conflict: redoing from the new base', { attempt, reason: error.message });
      } else if (error instanceof CommitStateUnknownError) {
        const resolved = await resolveUnknownCommit(deps.catalog, id, {
          snapshotId: written.snapshot['snapshot-id'],
          baseSnapshotId: base,
        });
        log.warn('commit state unknown, resolved from the table', { attempt, resolved, snapshotId });
        // not-landed: the base did not move, so rebuilding on it gives the same commit; redo covers both
        outcome = resolved === 'landed' ? 'landed' : 'redo';
      } else {
        throw error;
      }
    }
    if (outcome === 'redo') {
      if (attempt >= options.maxAttempts)
        throw new Error(`table ${table}: commit failed after ${attempt} attempts`);
      continue;
    }
    await deps.hooks?.afterCatalogCommit?.();
    // 6. mark
    await deps.state.markChangesetsCommitted(ids, snapshotId, now());
    const operation = result.removed.length > 0 ? 'overwrite' : 'append';
    const newestMs = written.snapshot.summary[NEWEST_SOURCE_TS_SUMMARY_KEY];
    log.info('committed', {
      snapshotId,
      operation,
      changesets: ids.length,
      ...result.counts,
      attempts: attempt,
      durationMs: now() - startedMs,
      // Freshness as an operator sees it: how far the table trails the newest change it now holds.
      ...(newestMs === undefined ? {} : { lagMs: now() - Number(newestMs) }),
      // Change-sets of this table still waiting after this commit (the backlog the dashboard shows).
      // The listing stops at maxChangesets, so at that size this is a lower bound.
      pendingChangesets: pending.length - ids.length - alreadyApplied.length,
    });
    return {
      status: 'committed',
      table,
      snapshotId,
      operation,
      changesets: ids,
      alreadyApplied,
      counts: result.counts,
      attempts: attempt,
    };
  }
}

async function renew(
  deps: CommitDependencies,
  lease: { current: Lease },
  options: typeof DEFAULTS,
): Promise<void> {
  const now = deps.now ?? Date.now;
  const at = now();
  if (lease.current.expiresAtMs <= at) {
    throw new LeaseLostError(`lease token ${lease.current.token} expired at ${lease.current.expiresAtMs}`);
  }
  const renewed = await deps.state.renewLease(lease.current, options.leaseTtlMs, at);
  if (!renewed) throw new LeaseLostError(`lease token ${lease.current.token} was taken over`);
  if (renewed.expiresAtMs - now() < options.minLeaseLeftMs) {
    throw new LeaseLostError(
      `lease token ${lease.current.token} has less than ${options.minLeaseLeftMs} ms left`,
    );
  }
  lease.current = renewed;
}

async function sizeOf(deps: CommitDependencies, record: ChangesetRecord): Promise<number> {
  return (await deps.objects.stat(record.location))?.size ?? 0;
}

/** The newest source timestamp applied so far: the base snapshot's, raised by the batch's change-sets. */
function newestSourceTs(base: TableMetadata, batch: readonly ChangesetRecord[]): Record<string, string> {
  const previous = currentSnapshot(base)?.summary[NEWEST_SOURCE_TS_SUMMARY_KEY];
  let newest = previous === undefined ? undefined : BigInt(previous);
  for (const record of batch) {
    const ms = record.maxOrder.split('/')[0];
    if (ms && (newest === undefined || BigInt(ms) > newest)) newest = BigInt(ms);
  }
  return newest === undefined ? {} : { [NEWEST_SOURCE_TS_SUMMARY_KEY]: newest.toString() };
}

const ORDER_FIELDS: NestedField[] = ORDER_COLUMNS.map((name, i) => ({
  id: 1_000_000 + i,
  name,
  required: false,
  type: 'long',
}));
const EVENT_UUID_FIELD: NestedField = {
  id: 1_000_002,
  name: EVENT_UUID_COLUMN,
  required: false,
  type: 'string',
};

/** The engine's columns, which evolution adds to a table that lacks them (one created before they were). */
function withEngineColumns(schema: Schema, primaryKeys: readonly string[]): Schema {
  const engine = primaryKeys.length > 0 ? ORDER_FIELDS : [...ORDER_FIELDS, EVENT_UUID_FIELD];
  return {
    ...schema,
    fields: [...schema.fields, ...engine.filter((f) => !schema.fields.some((g) => g.name === f.name))],
  };
}

function primaryKeysOf(metadata: TableMetadata, fallback: string[]): string[] {
  const property = metadata.properties?.[PRIMARY_KEY_PROPERTY];
  return property === undefined ? fallback : property.split(',').filter(Boolean);
}

async function loadOrCreate(
  deps: CommitDependencies,
  id: TableIdentifier,
  first: LoadedChangeset,
): Promise<LoadedTable> {
  try {
    return await deps.catalog.loadTable(id);
  } catch (error) {
    if (!(error instanceof NoSuchTableError)) throw error;
  }
  const info = first.decoded.info;
  // The change-set says which source types its values were coerced with; an older one does not, and
  // the directory (config) tells them instead.
  const columns = info.sourceTypes
    ? Object.entries(info.sourceTypes).map(([name, pgType]) => ({ name, pgType }))
    : deps.tables
      ? ((await deps.tables.resolve(info.table))?.columns ?? [])
      : [];
  const request = engineTableRequest(id.name, info.schema, info.primaryKeys, columns, info.learntFrom);
  await deps.catalog.createNamespace(id.namespace);
  try {
    return await deps.catalog.createTable(id.namespace, request);
  } catch (error) {
    if (error instanceof TableAlreadyExistsError) return deps.catalog.loadTable(id);
    throw error;
  }
}

/**
 * Evolve the schema by one change-set; a change that cannot be applied names, besides the column and
 * both types, the file the change-set came from and the first line and value of that column in it.
 */
function evolveWithSource(metadata: TableMetadata, cs: LoadedChangeset, table: string) {
  try {
    const primaryKeys = primaryKeysOf(metadata, cs.decoded.info.primaryKeys);
    checkPrimaryKey(primaryKeys, cs.decoded.info.primaryKeys, table);
    return evolveSchema(metadata, withEngineColumns(cs.decoded.info.schema, primaryKeys), table, {
      learnt: cs.decoded.info.learntFrom !== undefined,
    });
  } catch (error) {
    if (!(error instanceof SchemaEvolutionError)) throw error;
    const { source } = cs.decoded.info;
    let where = `${source.bucket}/${source.name}#${source.generation}`;
    const column = /column "([^"]+)"/.exec(error.message)?.[1];
    const event = column === undefined ? undefined : cs.decoded.events.find((e) => e.row[column] != null);
    if (event && column !== undefined) {
      where = `${event.source.object}:${event.source.line}: column "${column}", value ${renderValue(event.row[column])}`;
    }
    throw new SchemaEvolutionError(`${error.message} (change-set ${cs.record.id} from ${where})`);
  }
}

/** Source types of the text columns a change-set brought into the table. */
function addedTextColumnTypes(info: ChangeSetInfo, added: readonly string[]): Record<string, string> {
  if (!info.sourceTypes || added.length === 0) return {};
  const names = new Set(added);
  const columns = Object.entries(info.sourceTypes)
    .filter(([name]) => names.has(name))
    .map(([name, pgType]) => ({ name, pgType }));
  return textColumnTypes(info.schema, columns);
}
