// Apply a merged batch of changes to a table copy-on-write, writing files only (no catalog call):
//   1. group the changes by key (oldest first, duplicates removed) and read the tombstones;
//   2. candidate files by key bounds from the manifests; confirm by reading only key + order columns;
//   3. per key, the changes newer than the stored row / tombstone are applicable; a stored key with any
//      marks its file for a rewrite (whole), a new key becomes an insert;
//   4. rewrite the marked files, write the inserts into new files sorted by key and rolled at the target
//      size, and write a new tombstone sidecar when the set changed.
// The caller commits `added`/`removed` (and the sidecar property) as one snapshot.
// A table without a primary key is insert-only: every distinct event (by uuid) appends a row.

import type { ChangeEvent } from '../changes/change-event.js';
import type { TableMetadata } from '../iceberg/metadata-types.js';
import type { DataFile } from '../iceberg/parquet-data-file.js';
import { readRowsDataFile } from '../iceberg/parquet-data-file.js';
import {
  currentSchema,
  readLiveDataFiles,
  writeDataFiles,
  type FileStore,
  type LiveDataFile,
} from '../iceberg/table-writer.js';
import type { NestedField } from '../iceberg/types.js';
import type { Row } from '../iceberg/values.js';
import { candidateFiles } from './candidate-files.js';
import { conformKey, conformRow, widenedFields } from './conform.js';
import { compareKey, keyString } from './keys.js';
import {
  applicable,
  foldChanges,
  groupByKey,
  maxOrder,
  rowOrder,
  setRowOrder,
  type KeyChanges,
} from './merge.js';
import {
  DEFAULT_TOMBSTONE_RETENTION_MS,
  ORDER_COLUMNS,
  TOMBSTONE_RETENTION_PROPERTY,
  TOMBSTONES_PROPERTY,
} from './table-properties.js';
import { pruneTombstones, readTombstones, writeTombstones } from './tombstones.js';

export interface ApplyOptions {
  /** Target data file size in bytes (default 128 MiB); files are rolled at an estimated row count. */
  targetFileSizeBytes?: number;
  /** Source-time window a tombstone is kept (default 7 days). */
  tombstoneRetentionMs?: number;
}

export interface ApplyCounts {
  events: number;
  duplicates: number;
  /** Changes not newer than the stored row or the key's tombstone (dropped). */
  stale: number;
  inserted: number;
  updated: number;
  deleted: number;
  tombstones: number;
  candidateFiles: number;
  rewrittenFiles: number;
  rewrittenBytes: number;
}

export interface AppliedBatch {
  added: DataFile[];
  removed: string[];
  /** New sidecar location when the tombstone set changed (to set as TOMBSTONES_PROPERTY). */
  tombstonesLocation?: string;
  counts: ApplyCounts;
}

const DEFAULT_TARGET = 128 * 1024 * 1024;

function fieldsByName(metadata: TableMetadata, names: readonly string[]): NestedField[] {
  const schema = currentSchema(metadata);
  return names.map((name) => {
    const field = schema.fields.find((f) => f.name === name);
    if (!field) throw new Error(`table ${metadata.location} has no column ${name}`);
    return field;
  });
}

/** Rows per file so that a file is about the target size, from the bytes per row of existing files. */
function rowsPerFile(live: readonly LiveDataFile[], target: number): number {
  let bytes = 0;
  let rows = 0;
  for (const f of live) {
    bytes += f.dataFile.fileSizeInBytes;
    rows += f.dataFile.recordCount;
  }
  const perRow = rows > 0 && bytes > 0 ? bytes / rows : 64; // a small compressed row before any data
  return Math.max(1, Math.floor(target / perRow));
}

export async function applyBatch(
  metadata: TableMetadata,
  store: FileStore,
  primaryKeys: readonly string[],
  batchEvents: readonly ChangeEvent[],
  options: ApplyOptions = {},
): Promise<AppliedBatch> {
  let events = batchEvents;
  const schema = currentSchema(metadata);
  const dataColumns = schema.fields
    .map((f) => f.name)
    .filter((n) => !(ORDER_COLUMNS as readonly string[]).includes(n));
  const counts: ApplyCounts = {
    events: events.length,
    duplicates: 0,
    stale: 0,
    inserted: 0,
    updated: 0,
    deleted: 0,
    tombstones: 0,
    candidateFiles: 0,
    rewrittenFiles: 0,
    rewrittenBytes: 0,
  };
  const longs = widenedFields(schema.fields);
  if (longs.length > 0) {
    events = events.map((e) => ({
      ...e,
      row: conformRow({ ...e.row }, longs),
      key: primaryKeys.length > 0 ? conformKey(e.key, fieldsByName(metadata, primaryKeys)) : e.key,
    }));
  }
  const live = await readLiveDataFiles(metadata, store);
  const perFile = rowsPerFile(live, options.targetFileSizeBytes ?? DEFAULT_TARGET);
  if (primaryKeys.length === 0) return appendOnly(metadata, store, events, dataColumns, perFile, counts);

  const keyFields = fieldsByName(metadata, primaryKeys);
  const orderFields = fieldsByName(metadata, ORDER_COLUMNS);
  const grouped = groupByKey(events);
  counts.duplicates = grouped.duplicates;
  const tombstonesLocation = metadata.properties?.[TOMBSTONES_PROPERTY];
  const tombstones = await readTombstones(store, tombstonesLocation, keyFields, orderFields);

  // 2. where each batch key is stored now, and at which order key
  const candidates = candidateFiles(
    live,
    keyFields[0]!,
    [...grouped.byKey.values()].map((g) => g.key[0] ?? null),
  );
  counts.candidateFiles = candidates.length;
  const storedAt = new Map<string, { file: LiveDataFile; order: ReturnType<typeof rowOrder> }>();
  for (const file of candidates) {
    const bytes = await store.get(file.dataFile.filePath);
    for (const row of readRowsDataFile(bytes, [...keyFields, ...orderFields], file.dataFile.filePath)) {
      conformRow(row, longs);
      const k = keyString(keyFields.map((f) => row[f.name] ?? null));
      if (grouped.byKey.has(k)) storedAt.set(k, { file, order: rowOrder(row) });
    }
  }

  // 3. applicable changes per key
  const changed = new Map<string, { group: KeyChanges; changes: ChangeEvent[] }>();
  const rewrite = new Map<string, LiveDataFile>();
  for (const [k, group] of grouped.byKey) {
    const stored = storedAt.get(k);
    const floor = maxOrder(stored?.order, tombstones.get(k)?.order);
    const changes = applicable(group.events, floor);
    counts.stale += group.events.length - changes.length;
    if (changes.length === 0) continue;
    changed.set(k, { group, changes });
    if (stored) rewrite.set(stored.file.dataFile.filePath, stored.file);
  }

  let tombstonesChanged = false;
  const record = (k: string, outcome: ReturnType<typeof foldChanges>, key: KeyChanges['key']): void => {
    if (outcome.kind === 'delete') {
      tombstones.set(k, { key, order: outcome.order });
      tombstonesChanged = true;
    } else if (tombstones.delete(k)) {
      tombstonesChanged = true;
    }
  };

  // 4a. rewrite the files holding changed keys, whole, in their order
  const added: DataFile[] = [];
  const removed: string[] = [];
  for (const file of rewrite.values()) {
    const bytes = await store.get(file.dataFile.filePath);
    counts.rewrittenFiles++;
    counts.rewrittenBytes += file.dataFile.fileSizeInBytes;
    const kept: Row[] = [];
    for (const row of readRowsDataFile(bytes, schema.fields, file.dataFile.filePath)) {
      conformRow(row, longs);
      const k = keyString(keyFields.map((f) => row[f.name] ?? null));
      const change = storedAt.get(k)?.file === file ? changed.get(k) : undefined;
      if (!change) {
        kept.push(row);
        continue;
      }
      const outcome = foldChanges(row, change.changes, dataColumns);
      record(k, outcome, change.group.key);
      changed.delete(k);
      if (outcome.kind === 'upsert') {
        kept.push(outcome.row);
        counts.updated++;
      } else {
        counts.deleted++;
      }
    }
    removed.push(file.dataFile.filePath);
    if (kept.length > 0)
      added.push(...(await writeDataFiles(metadata, store, kept, { maxRowsPerFile: perFile })));
  }

  // 4b. keys the table does not hold: inserts (sorted by key) or tombstones only
  const inserts: { key: KeyChanges['key']; row: Row }[] = [];
  for (const [k, { group, changes }] of changed) {
    const outcome = foldChanges(undefined, changes, dataColumns);
    record(k, outcome, group.key);
    if (outcome.kind === 'upsert') inserts.push({ key: group.key, row: outcome.row });
  }
  inserts.sort((a, b) => compareKey(a.key, b.key));
  counts.inserted = inserts.length;
  if (inserts.length > 0) {
    added.push(
      ...(await writeDataFiles(
        metadata,
        store,
        inserts.map((i) => i.row),
        { maxRowsPerFile: perFile },
      )),
    );
  }

  // 4c. tombstones: prune by source time, write a new sidecar only when the set changed
  let newest = 0;
  for (const e of events) newest = Math.max(newest, e.order.sourceTsMs);
  for (const t of tombstones.values()) newest = Math.max(newest, t.order.sourceTsMs);
  const retention =
    options.tombstoneRetentionMs ??
    Number(metadata.properties?.[TOMBSTONE_RETENTION_PROPERTY] ?? DEFAULT_TOMBSTONE_RETENTION_MS);
  if (pruneTombstones(tombstones, newest, retention) > 0) tombstonesChanged = true;
  counts.tombstones = tombstones.size;
  const result: AppliedBatch = { added, removed, counts };
  if (tombstonesChanged) {
    result.tombstonesLocation = await writeTombstones(
      store,
      metadata.location,
      keyFields,
      orderFields,
      tombstones,
    );
  }
  return result;
}

/** Insert-only: every distinct event (by uuid) is a row; deletes cannot name a row and are ignored. */
async function appendOnly(
  metadata: TableMetadata,
  store: FileStore,
  events: readonly ChangeEvent[],
  dataColumns: readonly string[],
  perFile: number,
  counts: ApplyCounts,
): Promise<AppliedBatch> {
  const seen = new Set<string>();
  const rows: Row[] = [];
  for (const e of events) {
    if (seen.has(e.uuid)) {
      counts.duplicates++;
      continue;
    }
    seen.add(e.uuid);
    if (e.op === 'delete') {
      counts.stale++;
      continue;
    }
    const row: Row = {};
    for (const c of dataColumns) row[c] = e.row[c] ?? null;
    setRowOrder(row, e.order);
    rows.push(row);
  }
  counts.inserted = rows.length;
  const added =
    rows.length > 0 ? await writeDataFiles(metadata, store, rows, { maxRowsPerFile: perFile }) : [];
  return { added, removed: [], counts };
}
