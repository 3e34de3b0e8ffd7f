// A local copy of a gs:// table for DuckDB, whose iceberg_scan reads local tables only here (see
// test/README.md) and, unlike for data files, does not apply `allow_moved_paths` to position delete files:
// it opens them at the gs:// path their manifest names. Every absolute path is therefore rewritten to
// the copy's folder: the metadata file (as text), the manifest lists and manifests (decoded and written
// again by the manifest code, same entries and sequence numbers), and each position delete file (its
// `file_path` column names the data file: written again with the same positions). Data files are copied
// byte for byte. Reading the copy still tests what DuckDB makes of the rows, the positions, the delete
// manifests and their sequence numbers; the paths alone change.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readManifestList, writeManifestList } from '../../../shared/iceberg/manifests/manifest-list.js';
import {
  readManifest,
  writeManifest,
  type ManifestContent,
} from '../../../shared/iceberg/manifests/manifest.js';
import {
  readPositionDeletes,
  writePositionDeleteFile,
} from '../../../shared/iceberg/io/position-delete-file.js';
import { DELETE_FILE_PATH_FIELD_ID } from '../../../shared/iceberg/spec/position-delete-schema.js';
import type { PartitionSpec } from '../../../shared/iceberg/spec/metadata-types.js';
import type { Schema } from '../../../shared/iceberg/spec/types.js';
import type { ObjectStore } from '../../../shared/ports/object-store.js';

export interface RelocatedCopy {
  /** The copy's table folder (its `location`). */
  root: string;
  /** The metadata file's name without `.metadata.json`, for iceberg_scan's `version`. */
  version: string;
}

/** Copy the table whose current metadata file is `metadataLocation` (location `location`) to `root`. */
export async function relocatedCopy(
  objects: ObjectStore,
  location: string,
  metadataLocation: string,
  root: string,
): Promise<RelocatedCopy> {
  const from = location.replace(/\/+$/, '');
  const local = (path: string): string => {
    if (!path.startsWith(`${from}/`)) throw new Error(`${path} is not under the table's location ${from}`);
    return join(root, path.slice(from.length + 1));
  };
  const put = async (path: string, bytes: Uint8Array) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  };
  const text = new TextDecoder().decode(await objects.get(metadataLocation));
  const metadata = JSON.parse(text) as { snapshots?: { 'manifest-list': string }[] };
  const done = new Set<string>();
  for (const snapshot of metadata.snapshots ?? []) {
    const listPath = snapshot['manifest-list'];
    const list = readManifestList(await objects.get(listPath), listPath);
    const manifests = [];
    for (const manifest of list.manifests) {
      const bytes = await relocateManifest(objects, manifest.manifestPath, local, put, done);
      await put(local(manifest.manifestPath), bytes);
      manifests.push({
        ...manifest,
        manifestPath: local(manifest.manifestPath),
        manifestLength: bytes.length,
      });
    }
    const header = list.metadata;
    const parent = header.get('parent-snapshot-id');
    await put(
      local(listPath),
      writeManifestList({
        snapshotId: BigInt(header.get('snapshot-id')!),
        parentSnapshotId: parent === undefined ? null : BigInt(parent),
        sequenceNumber: BigInt(header.get('sequence-number')!),
        manifests,
      }),
    );
  }
  await put(local(metadataLocation), new TextEncoder().encode(text.split(from).join(root)));
  const name = metadataLocation.slice(metadataLocation.lastIndexOf('/') + 1);
  return { root, version: name.replace(/\.metadata\.json$/, '') };
}

/** A manifest with every path local; data files copied, delete files written again (once each). */
async function relocateManifest(
  objects: ObjectStore,
  path: string,
  local: (path: string) => string,
  put: (path: string, bytes: Uint8Array) => Promise<void>,
  done: Set<string>,
): Promise<Uint8Array> {
  const manifest = readManifest(await objects.get(path), path);
  const schema = JSON.parse(manifest.metadata.get('schema')!) as Schema;
  const spec: PartitionSpec = {
    'spec-id': Number(manifest.metadata.get('partition-spec-id')),
    fields: JSON.parse(manifest.metadata.get('partition-spec')!) as PartitionSpec['fields'],
  };
  const entries = [];
  for (const entry of manifest.entries) {
    const file = entry.dataFile;
    if (file.content === 0) {
      if (!done.has(file.filePath)) await put(local(file.filePath), await objects.get(file.filePath));
      done.add(file.filePath);
      entries.push({ ...entry, dataFile: { ...file, filePath: local(file.filePath) } });
      continue;
    }
    // file-scoped: the bounds of file_path name the one data file the positions belong to
    const bound = file.lowerBounds.get(DELETE_FILE_PATH_FIELD_ID);
    if (!bound) throw new Error(`${file.filePath}: no file_path bound (not file-scoped)`);
    const dataPath = new TextDecoder().decode(bound);
    const positions = readPositionDeletes(await objects.get(file.filePath), dataPath, file.filePath);
    const written = writePositionDeleteFile({
      dataFilePath: local(dataPath),
      partition: file.partition,
      positions,
    });
    if (!done.has(file.filePath)) await put(local(file.filePath), written.bytes);
    done.add(file.filePath);
    entries.push({ ...entry, dataFile: { ...written.dataFile, filePath: local(file.filePath) } });
  }
  const content: ManifestContent = manifest.content;
  return writeManifest({ schema, spec, entries, content });
}
