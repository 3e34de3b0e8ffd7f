// The snapshot a compaction commits (operation `replace`): the rewritten files ADDED in one manifest, and
// every other manifest of main merged into one manifest per partition spec holding the files kept
// (EXISTING, with their sequence numbers) and the files replaced (DELETED). Unlike a commit, which
// rewrites each manifest holding a removed file, this leaves main with a handful of manifests however many
// small commits built it — rewriting manifests is part of compacting a table.

import { randomUUID } from 'node:crypto';
import { EntryStatus, partitionFieldTypes, writeManifest, type ManifestEntry } from '../iceberg/manifest.js';
import { countEntries, summarizePartitions, type ManifestFile } from '../iceberg/manifest-list.js';
import type { Int64, TableMetadata } from '../iceberg/metadata-types.js';
import type { DataFile } from '../iceberg/parquet-data-file.js';
import { BoundPartitionSpec } from '../iceberg/partitioning.js';
import { newSnapshotId, nextSequenceNumber } from '../iceberg/snapshot.js';
import {
  currentSchema,
  defaultSpec,
  finishSnapshot,
  readCurrentManifests,
  readManifestEntries,
  type FileStore,
  type WrittenSnapshot,
} from '../iceberg/table-writer.js';

export interface ReplaceInput {
  added: readonly DataFile[];
  /** Paths of live data files the added ones replace (same rows). */
  removed: readonly string[];
  summary?: Record<string, string>;
}

const minOf = (values: Int64[], start: Int64): Int64 =>
  values.reduce<Int64>((a, b) => (BigInt(b) < BigInt(a) ? b : a), start);

export async function writeReplaceSnapshot(
  metadata: TableMetadata,
  store: FileStore,
  input: ReplaceInput,
): Promise<WrittenSnapshot> {
  const schema = currentSchema(metadata);
  const spec = defaultSpec(metadata);
  const snapshotId = newSnapshotId(metadata);
  const sequenceNumber = nextSequenceNumber(metadata);
  const commitId = randomUUID();
  const metadataDir = `${metadata.location.replace(/\/+$/, '')}/metadata`;
  const removed = new Set(input.removed);
  const writtenFiles: string[] = [];
  const manifests: ManifestFile[] = [];
  let index = 0;

  const writeOne = async (specId: number, entries: ManifestEntry[]): Promise<void> => {
    const mSpec = metadata['partition-specs'].find((s) => s['spec-id'] === specId);
    if (!mSpec)
      throw new Error(`partition spec ${specId} is not in the table metadata of ${metadata.location}`);
    const bytes = writeManifest({ schema, spec: mSpec, entries });
    const path = `${metadataDir}/${commitId}-m${index++}.avro`;
    await store.put(path, bytes, { ifAbsent: true, contentType: 'application/avro' });
    writtenFiles.push(path);
    const seqs = entries.map((e) => (e.status === EntryStatus.ADDED ? sequenceNumber : e.sequenceNumber!));
    manifests.push({
      manifestPath: path,
      manifestLength: bytes.length,
      partitionSpecId: specId,
      content: 0,
      sequenceNumber,
      minSequenceNumber: minOf(seqs, sequenceNumber),
      addedSnapshotId: snapshotId,
      ...countEntries(entries),
      partitions: summarizePartitions(partitionFieldTypes(mSpec, schema), entries),
      keyMetadata: null,
    });
  };

  if (input.added.length > 0) {
    await writeOne(
      spec['spec-id'],
      input.added.map((dataFile) => ({
        status: EntryStatus.ADDED,
        snapshotId,
        sequenceNumber: null,
        fileSequenceNumber: null,
        dataFile,
      })),
    );
  }
  const kept = new Map<number, ManifestEntry[]>();
  const found = new Set<string>();
  let removedFilesSize = 0;
  let deletedRecords = 0;
  const changedPartitions = new Set<string>();
  const bound = new BoundPartitionSpec(spec, schema);
  for (const f of input.added) changedPartitions.add(bound.keyOf(f.partition));
  for (const m of await readCurrentManifests(metadata, store)) {
    if (m.content !== 0) throw new Error(`${m.manifestPath}: delete manifests are not supported`);
    let list = kept.get(m.partitionSpecId);
    if (!list) kept.set(m.partitionSpecId, (list = []));
    for (const e of await readManifestEntries(store, m)) {
      if (e.status === EntryStatus.DELETED) continue; // removed by an earlier snapshot
      if (removed.has(e.dataFile.filePath)) {
        found.add(e.dataFile.filePath);
        removedFilesSize += e.dataFile.fileSizeInBytes;
        deletedRecords += e.dataFile.recordCount;
        list.push({ ...e, status: EntryStatus.DELETED, snapshotId });
      } else {
        list.push({ ...e, status: EntryStatus.EXISTING });
      }
    }
  }
  const missing = [...removed].filter((p) => !found.has(p));
  if (missing.length > 0)
    throw new Error(`cannot replace files that are not live in the table: ${missing.join(', ')}`);
  for (const [specId, entries] of [...kept].sort(([a], [b]) => a - b)) {
    if (entries.length > 0) await writeOne(specId, entries);
  }

  return finishSnapshot({
    metadata,
    store,
    snapshotId,
    sequenceNumber,
    commitId,
    manifests,
    writtenFiles,
    operation: 'replace',
    changes: {
      added: input.added,
      deletedDataFiles: removed.size,
      deletedRecords,
      removedFilesSize,
      changedPartitions: changedPartitions.size,
    },
    ...(input.summary ? { summary: input.summary } : {}),
  });
}
