// Whether a failed file was fixed later: the object's current generation (a fixed file uploaded again, or
// written again at the same path) was ingested and staged. Its failure is then history: the record is
// kept, but the file no longer counts as failed.

import type { ObjectStore } from '../ports/object-store.js';
import type { FileRecord, StateStore } from '../ports/state-store.js';
import { fileIdOf } from './ingest-file.js';

/** The record of the later generation that was staged, or undefined while the failure stands. */
export async function fixedLater(
  deps: { objects: ObjectStore; state: StateStore },
  failed: FileRecord,
): Promise<FileRecord | undefined> {
  if (failed.bucket === undefined || failed.name === undefined) return undefined;
  const current = await deps.objects.stat(failed.location);
  if (!current || current.generation === failed.generation) return undefined;
  const later = await deps.state.getFile(
    fileIdOf({ bucket: failed.bucket, name: failed.name, generation: current.generation }),
  );
  return later?.status === 'staged' ? later : undefined;
}
