// Apply a merged batch of changes to a table copy-on-write, writing files only (no catalog call):
//   1. group the changes by key (oldest first, duplicates removed) and read the tombstones;
//   2. candidate files by key bounds from the manifests; confirm by reading only key + order columns;
//   3. per key, the changes newer than the stored row / tombstone are applicable; a stored key with any
//      marks its file for a rewrite (whole), a new key becomes an insert;
//   4. rewrite the marked files, write the inserts into new files sorted by key and rolled at the target
//      size, and write a new tombstone sidecar when the set changed.
// The caller commits `added`/`removed` (and the sidecar property) as one snapshot.
// A table without a primary key is insert-only: every distinct event (by uuid) appends a row.

import * as arrow from 'apache-arrow';
import type { ChangeEvent } from '../changes/change-event.js';
import { arrowTableToRows, rowsToArrowTable } from '../iceberg/arrow-rows.js';
import { BoundPartitionSpec } from '../iceberg/partitioning.js';
import type { TableMetadata } from '../iceberg/metadata-types.js';
import type { DataFile } from '../iceberg/parquet-data-file.js';
import { readArrowDataFile } from '../iceberg/parquet-data-file.js';
import {
  currentSchema,
  defaultSpec,
  readLiveDataFiles,
  writeArrowAsDataFile,
  writeDataFiles,
  type FileStore,
  type LiveDataFile,
} from '../iceberg/table-writer.js';
import type { NestedField } from '../iceberg/types.js';
import type { Row } from '../iceberg/values.js';
import { candidateFiles } from './candidate-files.js';
import { columnarCompatible, rowsAt, spliceRows, type RowEdit } from './columnar-rewrite.js';
import { firstKeyFilter, locateKeys, type StoredKey } from './locate-keys.js';
import { conformKey, conformRow, widenedFields } from './conform.js';
import { compareKey, keyString } from './keys.js';
import { applicable, foldChanges, groupByKey, maxOrder, setRowOrder, type KeyChanges } from './merge.js';
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
  /** Of the rewritten files, those that went through row values (a schema change since, list/map columns). */
  rewrittenByRows: number;
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

/**
 * Whether rewritten rows stay in their file's partition: the file is laid out by the default spec (the
 * same partition fields) and no replacement row moved to another partition value.
 */
function staysInPartition(
  spec: BoundPartitionSpec,
  partition: DataFile['partition'],
  rows: readonly Row[],
): boolean {
  const names = spec.fields.map((f) => f.field.name);
  const have = Object.keys(partition);
  if (have.length !== names.length || !names.every((n) => have.includes(n))) return false;
  if (names.length === 0) return true;
  const key = spec.keyOf(partition);
  return rows.every((r) => spec.keyOf(spec.partitionOf(r)) === key);
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
    rewrittenByRows: 0,
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
  const spec = new BoundPartitionSpec(defaultSpec(metadata), schema);
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
  // confirmed from the key and order columns alone; the bytes of a file holding a batch key are kept
  // for its rewrite (read once)
  const storedAt = new Map<string, { file: LiveDataFile } & StoredKey>();
  const fileBytes = new Map<string, Uint8Array>();
  const filter = firstKeyFilter([...grouped.byKey.values()].map((g) => g.key));
  for (const file of candidates) {
    const path = file.dataFile.filePath;
    const bytes = await store.get(path);
    const keys = readArrowDataFile(bytes, [...keyFields, ...orderFields], path);
    const found = locateKeys(keys, keyFields, orderFields, grouped.byKey, filter, path);
    for (const [k, stored] of found) storedAt.set(k, { file, ...stored });
    if (found.size > 0) fileBytes.set(path, bytes);
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
  const editsOf = new Map<string, { row: number; k: string }[]>();
  for (const [k, stored] of storedAt) {
    if (!changed.has(k)) continue;
    const path = stored.file.dataFile.filePath;
    let edits = editsOf.get(path);
    if (!edits) editsOf.set(path, (edits = []));
    edits.push({ row: stored.row, k });
  }
  for (const file of rewrite.values()) {
    const path = file.dataFile.filePath;
    const bytes = fileBytes.get(path) ?? (await store.get(path));
    fileBytes.delete(path);
    counts.rewrittenFiles++;
    counts.rewrittenBytes += file.dataFile.fileSizeInBytes;
    removed.push(path);
    const table = readArrowDataFile(bytes, schema.fields, path);
    const edits = (editsOf.get(path) ?? []).sort((a, b) => a.row - b.row);
    if (columnarCompatible(table, schema)) {
      // 4a'. column-wise: only the changed rows become values
      const stored = rowsAt(
        table,
        schema,
        edits.map((e) => e.row),
      );
      const replacementRows: Row[] = [];
      const rowEdits: RowEdit[] = edits.map((edit, j) => {
        const change = changed.get(edit.k)!;
        changed.delete(edit.k);
        const outcome = foldChanges(conformRow(stored[j]!, longs), change.changes, dataColumns);
        record(edit.k, outcome, change.group.key);
        if (outcome.kind === 'delete') {
          counts.deleted++;
          return { row: edit.row };
        }
        counts.updated++;
        replacementRows.push(outcome.row);
        return { row: edit.row, replacement: replacementRows.length - 1 };
      });
      const replacements =
        replacementRows.length > 0 ? rowsToArrowTable(schema, replacementRows).batches[0] : undefined;
      if (staysInPartition(spec, file.dataFile.partition, replacementRows)) {
        const out = spliceRows(table, schema, rowEdits, replacements);
        for (let start = 0; out && start < out.numRows; start += perFile) {
          const part = new arrow.Table([out.slice(start, Math.min(out.numRows, start + perFile))]);
          added.push(await writeArrowAsDataFile(metadata, store, part, file.dataFile.partition));
        }
      } else {
        // an update moved a row to another partition: the rows are partitioned again
        const rows = arrowTableToRows(table, schema.fields);
        const kept: Row[] = [];
        let e = 0;
        for (let i = 0; i < rows.length; i++) {
          const edit = rowEdits[e];
          if (edit?.row !== i) kept.push(rows[i]!);
          else {
            e++;
            if (edit.replacement !== undefined) kept.push(replacementRows[edit.replacement]!);
          }
        }
        if (kept.length > 0)
          added.push(...(await writeDataFiles(metadata, store, kept, { maxRowsPerFile: perFile })));
      }
      continue;
    }
    // 4a''. through rows: files written before a schema change, or with list/map columns
    counts.rewrittenByRows++;
    const kept: Row[] = [];
    for (const row of arrowTableToRows(table, schema.fields)) {
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
