// Apply a merged batch of changes to a table, writing files only (no catalog call):
//   1. group the changes by key (oldest first, duplicates removed) and read the tombstones;
//   2. candidate files by key bounds from the manifests; the batch keys each holds live (rows its
//      position deletes removed passed over) are found from its key and order columns: read with the
//      whole file (copy-on-write) or alone, by range (merge-on-read, auto: merge-on-read.ts);
//   3. per key, the changes newer than the stored row / tombstone are applicable; a stored key with any
//      makes its file rewritten (copy-on-write, column-wise, rewrite-file.ts) or masked by a position
//      delete file with the new versions written as inserts (merge-on-read; auto chooses per file,
//      write-mode-choice.ts); a new key becomes an insert;
//   4. write the inserts into new files sorted by key and rolled at the target size, and a new tombstone
//      sidecar when the set changed.
// The caller commits `added`/`removed`, `addedDeletes`/`removedDeletes` (and the sidecar property) as
// one snapshot.
// A table without a primary key is insert-only: its key is the identity of the event that wrote a row
// (event-identity.ts), so every distinct event adds exactly one row, across batches and commits.

import type * as arrow from 'apache-arrow';
import type { ChangeEvent } from '../changes/change-event.js';
import type { TableMetadata } from '../iceberg/spec/metadata-types.js';
import type { DataFile } from '../iceberg/io/parquet-data-file.js';
import { columnsToArrowTable } from '../iceberg/arrow/arrow-rows.js';
import { readArrowDataFile } from '../iceberg/io/parquet-data-file.js';
import { BoundPartitionSpec } from '../iceberg/spec/partitioning.js';
import { currentSchema, defaultSpec } from '../iceberg/spec/metadata-access.js';
import { readLiveDataFiles, type LiveDataFile } from '../iceberg/table-files.js';
import { writeArrowAsDataFile, writeDataFiles } from '../iceberg/data-file-writer.js';
import { type FileStore } from '../iceberg/file-store.js';
import { openRangedParquet, type RangedParquet } from '../iceberg/ranged-parquet.js';
import type { NestedField } from '../iceberg/spec/types.js';
import { newRow, type IcebergValue, type Row } from '../iceberg/spec/values.js';
import { candidateFiles, keysWithinBounds, sortedValues } from './candidate-files.js';
import { EVENT_IDENTITY_COLUMNS, withEventIdentity } from './event-identity.js';
import { conformKey, conformRow, needsConforming, widenedFields } from './conform.js';
import { compareKey } from './keys.js';
import { indexKeys, locateKeys, type StoredKey } from './locate-keys.js';
import { locateLiveKeys, locateLiveKeysByRange, mergeOnRead, type NewVersion } from './merge-on-read.js';
import { rewritesFile, writeModeChoice } from './write-mode-choice.js';
import { deletedPositions, type DeletedPositions } from '../iceberg/manifests/position-delete-index.js';
import { foldedColumns, type FoldedUpsert } from './folded-columns.js';
import {
  applicable,
  foldedOutcome,
  groupByKey,
  maxOrder,
  type KeyChanges,
  type KeyOutcome,
} from './merge.js';
import { dropEdit, rewriteFile, type FileEdit, type RewriteContext } from './rewrite-file.js';
import { groupsHoldingKeys, groupsOfLayoutHoldingKeys, type PrunedGroups } from './row-group-pruning.js';
import {
  DEFAULT_TOMBSTONE_RETENTION_MS,
  TOMBSTONE_RETENTION_PROPERTY,
  TOMBSTONES_PROPERTY,
} from '../iceberg/table-properties.js';
import { ORDER_COLUMNS } from './order-columns.js';
import { pruneTombstones, readTombstones, writeTombstones } from './tombstones.js';

export interface ApplyOptions {
  /** Target data file size in bytes (default 128 MiB); files are rolled at an estimated row count. */
  targetFileSizeBytes?: number;
  /** Source-time window a tombstone is kept (default 7 days). */
  tombstoneRetentionMs?: number;
  /** The table's name in errors (default its location). */
  table?: string;
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
  /** Row groups of rewritten files copied as bytes (they held no changed row), not encoded again. */
  copiedRowGroups: number;
  /** Of those, the groups not even read: their key statistics admitted no batch key. */
  unreadRowGroups: number;
  /** Merge-on-read: position delete files written, rows they delete. */
  deleteFiles: number;
  positionDeletes: number;
  /** Merge-on-read: data files removed because all their rows are now deleted. */
  removedFiles: number;
}

export interface AppliedBatch {
  added: DataFile[];
  removed: string[];
  /** Position delete files written (merge-on-read), each naming one data file. */
  addedDeletes: DataFile[];
  /** Live delete files to remove: those of the data files rewritten or removed. */
  removedDeletes: string[];
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
    rewrittenByRows: 0,
    copiedRowGroups: 0,
    unreadRowGroups: 0,
    deleteFiles: 0,
    positionDeletes: 0,
    removedFiles: 0,
  };
  const choice = writeModeChoice(metadata.properties, options.table ?? metadata.location);
  const longs = widenedFields(schema.fields);
  if (longs.length > 0) {
    // Only events staged before a widening hold a number where the table now has a long: copy just
    // those (copying every event showed in a commit's time: README.md, Measured).
    const keyFields = primaryKeys.length > 0 ? fieldsByName(metadata, primaryKeys) : [];
    if (events.some((e) => needsConforming(e, longs, keyFields))) {
      events = events.map((e) =>
        needsConforming(e, longs, keyFields)
          ? {
              ...e,
              row: conformRow({ ...e.row }, longs),
              key: keyFields.length > 0 ? conformKey(e.key, keyFields) : e.key,
            }
          : e,
      );
    }
  }
  const live = await readLiveDataFiles(metadata, store);
  const perFile = rowsPerFile(live, options.targetFileSizeBytes ?? DEFAULT_TARGET);
  let keyColumns: readonly string[] = primaryKeys;
  if (primaryKeys.length === 0) {
    // Insert-only: a delete cannot name a row; every other event is keyed by its identity, so one
    // already in the table (a re-delivery in a later file) is found there and adds nothing.
    const inserts = events.filter((e) => e.op !== 'delete');
    counts.stale = events.length - inserts.length;
    events = inserts.map(withEventIdentity);
    keyColumns = EVENT_IDENTITY_COLUMNS;
  }

  const keyFields = fieldsByName(metadata, keyColumns);
  const orderFields = fieldsByName(metadata, ORDER_COLUMNS);
  const grouped = groupByKey(events);
  counts.duplicates = grouped.duplicates;
  const tombstonesLocation = metadata.properties?.[TOMBSTONES_PROPERTY];
  const tombstones = await readTombstones(store, tombstonesLocation, keyFields, orderFields);

  let tombstonesChanged = false;
  const record = (k: string, outcome: Pick<KeyOutcome, 'kind' | 'order'>, key: KeyChanges['key']): void => {
    if (outcome.kind === 'delete') {
      tombstones.set(k, { key, order: outcome.order });
      tombstonesChanged = true;
    } else if (tombstones.delete(k)) {
      tombstonesChanged = true;
    }
  };
  const ctx: RewriteContext = {
    metadata,
    store,
    schema,
    spec: new BoundPartitionSpec(defaultSpec(metadata), schema),
    longs,
    dataColumns,
    perFile,
    record,
  };

  // 2-4a. Candidate files by key bounds. Copy-on-write: each is read once, whole (only the row groups
  // whose key statistics admit a batch key): the batch keys it holds and their stored order keys come
  // from its key and order columns, and a file holding a key with an applicable change is rewritten from
  // the same read. Merge-on-read and auto: only the footer and the key and order column chunks are read,
  // by range (merge-on-read.ts);
  // auto then rewrites the files whose changed share or delete debt is high (write-mode-choice.ts).
  // Rows removed by a file's position deletes are never found again.
  const firstKeys: IcebergValue[] = [];
  grouped.byKey.forEach((g) => firstKeys.push(g.key[0] ?? null));
  // the batch's first key values in order, for the candidate files and row-group pruning
  const sortedFirstKeys = sortedValues(firstKeys);
  const candidates = candidateFiles(live, keyFields[0]!, sortedFirstKeys);
  counts.candidateFiles = candidates.length;
  const keyIndex = indexKeys(grouped.byKey);
  // key → the data file it is stored in (live): after merge-on-read commits a key's older versions stay
  // in their files, deleted, and exactly one live occurrence may remain
  const storedIn = new Map<string, string>();
  const keyed = primaryKeys.length > 0;
  const added: DataFile[] = [];
  const removed: string[] = [];
  const addedDeletes: DataFile[] = [];
  const removedDeletes: string[] = [];
  const versions: NewVersion[] = [];
  // the batch keys a read holds and the edits of those with applicable changes, edits by row
  const editsOf = (located: Map<string, StoredKey>, path: string): { edits: FileEdit[]; stale: number } => {
    const edits: FileEdit[] = [];
    let stale = 0;
    // forEach, not for…of: an entries iterator makes a [key, value] array per found key
    located.forEach((at, k) => {
      const group = grouped.byKey.get(k)!;
      const other = storedIn.get(k);
      if (keyed && other !== undefined && other !== path)
        throw new Error(
          `table ${metadata.location}: key ${k} is stored live in two data files, ${other} and ${path} (no position delete removes either): the table is corrupt`,
        );
      storedIn.set(k, path);
      // 3. the changes newer than the stored row and the key's tombstone
      const changes = applicable(group.events, maxOrder(at.order, tombstones.get(k)?.order));
      stale += group.events.length - changes.length;
      if (changes.length > 0) edits.push({ row: at.row, k, key: group.key, changes });
    });
    edits.sort((a, b) => a.row - b.row);
    return { edits, stale };
  };
  const copyOnWrite = async (
    file: LiveDataFile,
    bytes: Uint8Array,
    pruned: PrunedGroups | undefined,
    deleted: DeletedPositions | undefined,
  ): Promise<void> => {
    const path = file.dataFile.filePath;
    // a file with deleted rows is read whole: the rewrite leaves them out wherever they are
    const dropped = deleted && deleted.size > 0 ? deleted : undefined;
    if (dropped) pruned = undefined;
    const skip = dropped ? (row: number) => dropped.has(row) : undefined;
    const locate = (table: arrow.Table) =>
      editsOf(locateKeys(table, keyFields, orderFields, keyIndex, path, skip), path);
    let table = readArrowDataFile(bytes, schema.fields, path, pruned?.groups);
    let { edits, stale } = locate(table);
    if (edits.length === 0) {
      counts.stale += stale;
      return;
    }
    if (dropped) {
      for (let p = 0; p < dropped.recordCount; p++) if (dropped.has(p)) edits.push(dropEdit(p));
      edits.sort((a, b) => a.row - b.row);
    }
    let rewritten = await rewriteFile(ctx, file, bytes, table, edits, pruned);
    if (rewritten && pruned) counts.unreadRowGroups += pruned.layout.groups.length - pruned.groups.length;
    if (!rewritten) {
      // the groups read cannot be spliced back: the whole file, read and rewritten
      table = readArrowDataFile(bytes, schema.fields, path);
      ({ edits, stale } = locate(table));
      rewritten = (await rewriteFile(ctx, file, bytes, table, edits))!;
    }
    counts.stale += stale;
    counts.rewrittenFiles++;
    counts.rewrittenBytes += file.dataFile.fileSizeInBytes;
    if (rewritten.byRows) counts.rewrittenByRows++;
    counts.copiedRowGroups += rewritten.copiedRowGroups;
    counts.updated += rewritten.updated;
    counts.deleted += rewritten.deleted;
    removed.push(path);
    // its delete files go with it (each names this data file only)
    removedDeletes.push(...file.deletes.map((d) => d.dataFile.filePath));
    added.push(...(await rewritten.added));
  };
  // merge-on-read or auto, after the key lookup: rewrite the file (auto, read whole) or mask its changed
  // rows with a position delete file
  const mergeOrRewrite = async (
    file: LiveDataFile,
    source: Uint8Array | RangedParquet,
    located: Map<string, StoredKey>,
    pruned: PrunedGroups | undefined,
    deleted: DeletedPositions | undefined,
  ): Promise<void> => {
    const path = file.dataFile.filePath;
    const { edits, stale } = editsOf(located, path);
    const state = {
      recordCount: file.dataFile.recordCount,
      deleteFiles: file.deletes.length,
      deletedRows: deleted?.size ?? 0,
    };
    if (edits.length > 0 && rewritesFile(choice, state, edits.length)) {
      const bytes = source instanceof Uint8Array ? source : await store.get(path);
      await copyOnWrite(file, bytes, pruned, deleted);
      return;
    }
    counts.stale += stale;
    if (edits.length === 0) return;
    const merged = await mergeOnRead(
      ctx,
      file,
      source,
      edits.map((e) => ({ position: e.row, k: e.k, key: e.key, changes: e.changes })),
      state.deletedRows,
    );
    counts.updated += merged.updated;
    counts.deleted += merged.deleted;
    versions.push(...merged.versions);
    if (merged.deleteFile) {
      addedDeletes.push(merged.deleteFile);
      counts.deleteFiles++;
      counts.positionDeletes += edits.length;
    } else {
      // every row of the file deleted: the file goes, with its delete files
      removed.push(path);
      removedDeletes.push(...file.deletes.map((d) => d.dataFile.filePath));
      counts.removedFiles++;
    }
  };

  // auto, before any read: the batch keys within a file's key bounds are at least the keys it holds, so
  // when even their share is below the rewrite fraction the file is merged on read; when it reaches it
  // (a hot range) the file is rewritten at once, without first reading its key columns only to decide.
  // New keys inside the bounds count too: such a file may be rewritten where merging would also do.
  const autoRewritesByBounds = (file: LiveDataFile): boolean => {
    if (choice.mode !== 'auto') return false;
    let deletedRows = 0;
    for (const d of file.deletes) deletedRows += d.dataFile.recordCount;
    const state = { recordCount: file.dataFile.recordCount, deleteFiles: file.deletes.length, deletedRows };
    return rewritesFile(choice, state, keysWithinBounds(file, keyFields[0]!, sortedFirstKeys));
  };
  for (const file of candidates) {
    const path = file.dataFile.filePath;
    const deletedOf = async (): Promise<DeletedPositions | undefined> =>
      file.deletes.length > 0 ? await deletedPositions(file, file.deletes, (p) => store.get(p)) : undefined;
    // a delete file is listed under the default spec: a file of an older spec is rewritten instead
    const rewriteOnly =
      choice.mode === 'copy-on-write' ||
      file.specId !== metadata['default-spec-id'] ||
      autoRewritesByBounds(file);
    // merge-on-read reads the footer and the chunks it needs by range; copy-on-write the whole file
    const ranged = rewriteOnly
      ? undefined
      : await openRangedParquet(store, path, file.dataFile.fileSizeInBytes);
    if (!ranged) {
      const bytes = await store.get(path);
      // only the row groups whose key statistics admit a batch key, when that leaves some out
      const pruned = groupsHoldingKeys(bytes, path, keyFields[0]!, sortedFirstKeys);
      if (pruned && pruned.groups.length === 0) continue; // no group can hold a batch key
      const deleted = await deletedOf();
      if (rewriteOnly) {
        await copyOnWrite(file, bytes, pruned, deleted);
        continue;
      }
      const located = locateLiveKeys(bytes, path, keyFields, orderFields, keyIndex, pruned, deleted);
      await mergeOrRewrite(file, bytes, located, pruned, deleted);
      continue;
    }
    const pruned = groupsOfLayoutHoldingKeys(ranged.layout, keyFields[0]!, sortedFirstKeys);
    if (pruned && pruned.groups.length === 0) continue;
    const deleted = await deletedOf();
    const located = await locateLiveKeysByRange(ranged, keyFields, orderFields, keyIndex, pruned, deleted);
    await mergeOrRewrite(file, ranged, located, pruned, deleted);
  }

  // 4b. keys the table does not hold: inserts (sorted by key) or tombstones only
  const inserts: NewVersion[] = [];
  grouped.byKey.forEach((group, k) => {
    if (storedIn.has(k)) return;
    const changes = applicable(group.events, tombstones.get(k)?.order);
    counts.stale += group.events.length - changes.length;
    if (changes.length === 0) return;
    const outcome = foldedOutcome(changes);
    record(k, outcome, group.key);
    if (outcome.kind === 'upsert') inserts.push({ key: group.key, changes });
  });
  counts.inserted = inserts.length;
  // the new versions of rows merged on read are written with them, sorted by key
  inserts.push(...versions);
  inserts.sort((a, b) => compareKey(a.key, b.key));
  if (inserts.length > 0) added.push(...(await writeInserts(metadata, store, inserts, perFile)));

  // 4c. tombstones: prune by source time, write a new sidecar only when the set changed
  let newest = 0;
  for (const e of events) newest = Math.max(newest, e.order.sourceTsMs);
  for (const t of tombstones.values()) newest = Math.max(newest, t.order.sourceTsMs);
  const retention =
    options.tombstoneRetentionMs ??
    Number(metadata.properties?.[TOMBSTONE_RETENTION_PROPERTY] ?? DEFAULT_TOMBSTONE_RETENTION_MS);
  if (pruneTombstones(tombstones, newest, retention) > 0) tombstonesChanged = true;
  counts.tombstones = tombstones.size;
  const result: AppliedBatch = { added, removed, addedDeletes, removedDeletes, counts };
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

/**
 * New keys' rows (sorted by key) as data files, folded straight into Arrow columns; a partitioned table
 * goes through rows, which writeDataFiles partitions.
 */
async function writeInserts(
  metadata: TableMetadata,
  store: FileStore,
  inserts: readonly FoldedUpsert[],
  perFile: number,
): Promise<DataFile[]> {
  const schema = currentSchema(metadata);
  if (defaultSpec(metadata).fields.length > 0) {
    const columns = foldedColumns(schema.fields, inserts);
    const rows = inserts.map((_, i) => {
      const row: Row = newRow();
      schema.fields.forEach((f, k) => (row[f.name] = columns[k]![i]!));
      return row;
    });
    return writeDataFiles(metadata, store, rows, { maxRowsPerFile: perFile });
  }
  const out: DataFile[] = [];
  for (let start = 0; start < inserts.length; start += perFile) {
    const part = inserts.slice(start, start + perFile);
    const table = columnsToArrowTable(schema, foldedColumns(schema.fields, part), part.length);
    out.push(await writeArrowAsDataFile(metadata, store, table, {}));
  }
  return out;
}
