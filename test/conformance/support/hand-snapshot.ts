// Snapshots built by hand from the format layers alone (manifests, manifest list, snapshot commit),
// without the table writer: for tables whose shape the writer does not produce yet, such as position
// deletes. Each call writes its manifests and manifest list to the store, applies the commit with the
// engine's own rules and writes the next metadata file.

import type { DataFile } from '../../../shared/iceberg/io/parquet-data-file.js';
import {
  countEntries,
  summarizePartitions,
  writeManifestList,
  type ManifestFile,
} from '../../../shared/iceberg/manifests/manifest-list.js';
import {
  EntryStatus,
  partitionFieldTypes,
  writeManifest,
  type ManifestContent,
} from '../../../shared/iceberg/manifests/manifest.js';
import type { Int64, SnapshotSummary, TableMetadata } from '../../../shared/iceberg/spec/metadata-types.js';
import {
  currentSnapshot,
  newSnapshotId,
  nextSequenceNumber,
  snapshotCommit,
} from '../../../shared/iceberg/spec/snapshot.js';
import { applyCommit, writeMetadataFile } from './metadata-file.js';

/** The store the metadata files go to (the table writer's FileStore, named without importing it). */
export type Store = Parameters<typeof writeMetadataFile>[0];

let manifests = 0;

export interface HandSnapshot {
  metadata: TableMetadata;
  /** The metadata file written for it. */
  location: string;
  /** Its manifest list's records: the new manifest's last, so a later snapshot can carry them on. */
  manifests: ManifestFile[];
}

/**
 * A snapshot on `main` that keeps `carried` (manifest records of the parent, reused as they are) and
 * adds one manifest of `added` files (data, or delete files when `content` is 'deletes'), as ADDED
 * entries that inherit the snapshot's sequence number.
 */
export async function commitHandSnapshot(
  store: Store,
  metadata: TableMetadata,
  input: {
    carried: readonly ManifestFile[];
    added: readonly DataFile[];
    content: ManifestContent;
    summary: SnapshotSummary;
  },
): Promise<HandSnapshot> {
  const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id'])!;
  const spec = metadata['partition-specs'].find((s) => s['spec-id'] === metadata['default-spec-id'])!;
  const snapshotId = newSnapshotId(metadata);
  const sequenceNumber: Int64 = nextSequenceNumber(metadata);
  const entries = input.added.map((dataFile) => ({
    status: EntryStatus.ADDED,
    snapshotId,
    sequenceNumber: null,
    fileSequenceNumber: null,
    dataFile,
  }));
  const manifestPath = `${metadata.location}/metadata/hand-${++manifests}-m0.avro`;
  const manifestBytes = writeManifest({ schema, spec, entries, content: input.content });
  await store.put(manifestPath, manifestBytes);
  const added: ManifestFile = {
    manifestPath,
    manifestLength: manifestBytes.length,
    partitionSpecId: spec['spec-id'],
    content: input.content === 'data' ? 0 : 1,
    sequenceNumber,
    minSequenceNumber: sequenceNumber,
    addedSnapshotId: snapshotId,
    ...countEntries(entries),
    partitions: summarizePartitions(partitionFieldTypes(spec, schema), entries),
  };
  const list = [...input.carried, added];
  const parent = currentSnapshot(metadata);
  const listPath = `${metadata.location}/metadata/snap-${snapshotId}-hand.avro`;
  await store.put(
    listPath,
    writeManifestList({
      snapshotId,
      parentSnapshotId: parent ? parent['snapshot-id'] : null,
      sequenceNumber,
      manifests: list,
    }),
  );
  const commit = snapshotCommit(metadata, {
    'snapshot-id': snapshotId,
    ...(parent ? { 'parent-snapshot-id': parent['snapshot-id'] } : {}),
    'sequence-number': sequenceNumber,
    'timestamp-ms': Date.now(),
    'manifest-list': listPath,
    summary: input.summary,
    'schema-id': schema['schema-id'],
  });
  const next = applyCommit(metadata, commit.requirements, commit.updates);
  return { metadata: next, location: await writeMetadataFile(store, next), manifests: list };
}
