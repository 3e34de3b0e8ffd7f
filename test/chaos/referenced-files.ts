// The files snapshots reference (every manifest entry, DELETED ones included), and the position delete
// files among them: what a crashed run's files must never be, and how a history counts the delete files
// its commits added. Manifests never change once written, so one reader per history caches them.

import type { Snapshot } from '../../shared/iceberg/spec/metadata-types.js';
import { ManifestReader } from '../../shared/maintenance/reachable.js';
import type { ObjectStore } from '../../shared/ports/object-store.js';

export interface ReferencedFiles {
  /** Manifest lists, manifests, data and delete files. */
  all: Set<string>;
  /** Position delete files (entries of delete manifests). */
  deletes: Set<string>;
}

export function manifestReader(objects: ObjectStore): ManifestReader {
  return new ManifestReader(objects);
}

export async function referencedFiles(
  snapshots: readonly Snapshot[],
  reader: ManifestReader,
): Promise<ReferencedFiles> {
  const out: ReferencedFiles = { all: new Set(), deletes: new Set() };
  for (const snapshot of snapshots) {
    out.all.add(snapshot['manifest-list']);
    for (const manifest of await reader.manifestsOf(snapshot)) {
      out.all.add(manifest.manifestPath);
      for (const path of await reader.dataFilesOf(manifest, true)) {
        out.all.add(path);
        if (manifest.content === 1) out.deletes.add(path);
      }
    }
  }
  return out;
}
