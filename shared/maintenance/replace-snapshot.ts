// The snapshot a compaction commits (operation `replace`): the rewritten files ADDED in one manifest, and
// every other manifest of main merged into one manifest per partition spec holding the files kept
// (EXISTING, with their sequence numbers) and the files replaced (DELETED). Unlike a commit, which
// rewrites each manifest holding a removed file, this leaves main with a handful of manifests however many
// small commits built it — rewriting manifests is part of compacting a table.

import { randomUUID } from 'node:crypto';
import type { ManifestEntry } from '../iceberg/manifests/manifest.js';
import type { ManifestFile } from '../iceberg/manifests/manifest-list.js';
import type { PartitionSpec, TableMetadata } from '../iceberg/spec/metadata-types.js';
import type { DataFile } from '../iceberg/io/parquet-data-file.js';
import { BoundPartitionSpec } from '../iceberg/spec/partitioning.js';
import { newSnapshotId, nextSequenceNumber } from '../iceberg/spec/snapshot.js';
import { RemovedFiles, SnapshotManifestWriter } from '../iceberg/snapshot-manifests.js';
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
  const manifestWriter = new SnapshotManifestWriter(metadata, store, schema, {
    id: snapshotId,
    sequenceNumber,
    commitId,
  });
  const removed = new RemovedFiles(new Set(input.removed));
  const manifests: ManifestFile[] = [];
  const specById = (specId: number): PartitionSpec => {
    const found = metadata['partition-specs'].find((s) => s['spec-id'] === specId);
    if (!found)
      throw new Error(`partition spec ${specId} is not in the table metadata of ${metadata.location}`);
    return found;
  };

  if (input.added.length > 0) {
    manifests.push(await manifestWriter.writeAdded(spec, input.added));
  }
  const kept = new Map<number, ManifestEntry[]>();
  const bound = new BoundPartitionSpec(spec, schema);
  const changedPartitions = new Set(input.added.map((f) => bound.keyOf(f.partition)));
  for (const m of await readCurrentManifests(metadata, store)) {
    if (m.content !== 0) throw new Error(`${m.manifestPath}: delete manifests are not supported`);
    let list = kept.get(m.partitionSpecId);
    if (!list) kept.set(m.partitionSpecId, (list = []));
    list.push(...removed.carry(await readManifestEntries(store, m), snapshotId));
  }
  removed.requireAllFound('replace');
  for (const [specId, entries] of [...kept].sort(([a], [b]) => a - b)) {
    if (entries.length > 0) manifests.push(await manifestWriter.write(specById(specId), entries));
  }

  return finishSnapshot({
    metadata,
    store,
    snapshotId,
    sequenceNumber,
    commitId,
    manifests,
    writtenFiles: manifestWriter.written,
    operation: 'replace',
    changes: removed.changes(input.added, changedPartitions.size),
    ...(input.summary ? { summary: input.summary } : {}),
  });
}
