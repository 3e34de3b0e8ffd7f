// Remove orphan files: list the table's data/ and metadata/ folders, subtract every file the current
// metadata reaches (all snapshots' manifest lists, manifests and data files, the metadata log,
// statistics, the tombstone sidecar), and delete what is left only when it is older than the safety
// window. Files of a commit still in flight (written, not yet committed) are younger than the window; a
// file whose age the store cannot tell is never deleted.

import type { Logger } from '../log.js';
import type { LoadedTable } from '../ports/catalog.js';
import type { ObjectInfo, ObjectStore } from '../ports/object-store.js';
import { ManifestReader, normalizeLocation, reachableFromTable } from './reachable.js';

export interface OrphanSettings {
  olderThanMs: number;
  dryRun: boolean;
  nowMs: number;
}

export interface OrphanFile {
  location: string;
  size: number;
  updatedMs: number | null;
}

export interface OrphanResult {
  /** Files found under the table's data/ and metadata/ folders. */
  listedFiles: number;
  listedBytes: number;
  /** Unreferenced files older than the window: deleted (or, on a dry run, to delete). */
  removed: OrphanFile[];
  removedBytes: number;
  /** Unreferenced files kept because they are within the window (or their age is unknown). */
  tooYoung: number;
  dryRun: boolean;
}

/** Every object under the table's data/ and metadata/ folders. */
export async function listTableFiles(objects: ObjectStore, location: string): Promise<ObjectInfo[]> {
  const root = location.replace(/\/+$/, '');
  const out: ObjectInfo[] = [];
  // the trailing slash keeps a sibling table named with this one's name as prefix out of the listing
  for (const folder of ['data/', 'metadata/']) {
    for await (const info of objects.list(`${root}/${folder}`)) out.push(info);
  }
  return out;
}

/**
 * The file a Hadoop checksum sidecar (`.<name>.crc`, written next to each file by a catalog using the
 * Hadoop local file system) belongs to: it lives and dies with that file.
 */
function checksumTarget(location: string): string | undefined {
  const slash = location.lastIndexOf('/');
  const match = /^\.(.+)\.crc$/.exec(location.slice(slash + 1));
  return match ? `${location.slice(0, slash + 1)}${match[1]}` : undefined;
}

export async function removeOrphans(
  deps: { objects: ObjectStore; log: Logger },
  table: LoadedTable,
  settings: OrphanSettings,
): Promise<OrphanResult> {
  const reachable = await reachableFromTable(table, new ManifestReader(deps.objects));
  const listed = await listTableFiles(deps.objects, table.metadata.location);
  const cutoff = settings.nowMs - settings.olderThanMs;
  const result: OrphanResult = {
    listedFiles: listed.length,
    listedBytes: listed.reduce((a, f) => a + f.size, 0),
    removed: [],
    removedBytes: 0,
    tooYoung: 0,
    dryRun: settings.dryRun,
  };
  for (const info of listed) {
    if (reachable.has(normalizeLocation(info.location))) continue;
    const checksumOf = checksumTarget(normalizeLocation(info.location));
    if (checksumOf !== undefined && reachable.has(checksumOf)) continue;
    if (info.updatedMs === undefined || info.updatedMs >= cutoff) {
      result.tooYoung++;
      continue;
    }
    result.removed.push({ location: info.location, size: info.size, updatedMs: info.updatedMs });
    result.removedBytes += info.size;
    if (!settings.dryRun) await deps.objects.delete(info.location);
  }
  deps.log.info('orphans: done', {
    listed: result.listedFiles,
    removed: result.removed.length,
    tooYoung: result.tooYoung,
    dryRun: settings.dryRun,
  });
  return result;
}
