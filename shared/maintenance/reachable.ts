// Which files a table still needs. A snapshot reaches its manifest list, the manifests in that list, and
// the data files of their ADDED and EXISTING entries: a DELETED entry names a file the snapshot no longer
// has (its parent had it, and reaches it itself while kept). Expiry uses exactly that; the orphan pass
// counts DELETED entries as well, so it never deletes a file any kept metadata mentions. Metadata files
// add the current metadata.json, the metadata log, statistics files and the tombstone sidecar.
// Delete manifests are read the same way: their entries are position delete files, so "data files"
// below means data and delete files alike, and a delete file is needed exactly while a kept snapshot
// reaches it.

import { fileURLToPath } from 'node:url';
import { TOMBSTONES_PROPERTY } from '../iceberg/table-properties.js';
import { EntryStatus, readManifest } from '../iceberg/manifests/manifest.js';
import { readManifestList, type ManifestFile } from '../iceberg/manifests/manifest-list.js';
import type { Snapshot } from '../iceberg/spec/metadata-types.js';
import type { FileStore } from '../iceberg/file-store.js';
import type { LoadedTable } from '../ports/catalog.js';

/**
 * One spelling per file: a `file://` URL and the plain path it decodes to name the same file (listings
 * and manifests may use either form); other schemes are compared as they are.
 */
export function normalizeLocation(location: string): string {
  return location.startsWith('file://') ? fileURLToPath(location) : location;
}

export interface ReachableFiles {
  manifestLists: Set<string>;
  manifests: Set<string>;
  dataFiles: Set<string>;
}

/** Reads each manifest list and manifest once per run: snapshots share most of their manifests. */
export class ManifestReader {
  private readonly lists = new Map<string, ManifestFile[]>();
  private readonly entries = new Map<string, { path: string; live: boolean }[]>();

  constructor(private readonly store: FileStore) {}

  async manifestsOf(snapshot: Snapshot): Promise<ManifestFile[]> {
    const location = snapshot['manifest-list'];
    let hit = this.lists.get(location);
    if (!hit) {
      hit = readManifestList(await this.store.get(location), location).manifests;
      this.lists.set(location, hit);
    }
    return hit;
  }

  /**
   * Paths of a manifest's ADDED and EXISTING entries (data files, or delete files of a delete manifest),
   * and of its DELETED ones too with `withDeleted`.
   */
  async dataFilesOf(manifest: ManifestFile, withDeleted: boolean): Promise<string[]> {
    const location = manifest.manifestPath;
    let hit = this.entries.get(location);
    if (!hit) {
      const { entries } = readManifest(await this.store.get(location), location);
      hit = entries.map((e) => ({ path: e.dataFile.filePath, live: e.status !== EntryStatus.DELETED }));
      this.entries.set(location, hit);
    }
    return hit.filter((e) => withDeleted || e.live).map((e) => e.path);
  }
}

/** Everything the given snapshots reach, normalized (see normalizeLocation). */
export async function filesOfSnapshots(
  snapshots: readonly Snapshot[],
  reader: ManifestReader,
  withDeleted = false,
): Promise<ReachableFiles> {
  const out: ReachableFiles = { manifestLists: new Set(), manifests: new Set(), dataFiles: new Set() };
  for (const snapshot of snapshots) {
    out.manifestLists.add(normalizeLocation(snapshot['manifest-list']));
    for (const manifest of await reader.manifestsOf(snapshot)) {
      const path = normalizeLocation(manifest.manifestPath);
      if (out.manifests.has(path)) continue;
      out.manifests.add(path);
      for (const file of await reader.dataFilesOf(manifest, withDeleted))
        out.dataFiles.add(normalizeLocation(file));
    }
  }
  return out;
}

function pathsOf(entries: unknown[] | undefined, key: string): string[] {
  const out: string[] = [];
  for (const entry of entries ?? []) {
    const value = (entry as Record<string, unknown>)[key];
    if (typeof value === 'string') out.push(value);
  }
  return out;
}

/** Metadata files the table's current metadata names: itself, its log, statistics, the tombstone sidecar. */
export function metadataFilesOf(table: LoadedTable): Set<string> {
  const m = table.metadata;
  const out = new Set<string>([normalizeLocation(table.metadataLocation)]);
  for (const entry of m['metadata-log'] ?? []) out.add(normalizeLocation(entry['metadata-file']));
  for (const path of pathsOf(m.statistics, 'statistics-path')) out.add(normalizeLocation(path));
  for (const path of pathsOf(m['partition-statistics'], 'statistics-path')) out.add(normalizeLocation(path));
  const tombstones = m.properties?.[TOMBSTONES_PROPERTY];
  if (tombstones) out.add(normalizeLocation(tombstones));
  return out;
}

/** Every file the current metadata mentions: all snapshots (DELETED entries included), metadata files. */
export async function reachableFromTable(table: LoadedTable, reader: ManifestReader): Promise<Set<string>> {
  const files = await filesOfSnapshots(table.metadata.snapshots ?? [], reader, true);
  return new Set([...files.manifestLists, ...files.manifests, ...files.dataFiles, ...metadataFilesOf(table)]);
}
