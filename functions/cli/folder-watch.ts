// Which files of a watched folder are ready to apply: new files, and files whose content changed since
// they were applied (a new generation, as an overwritten object on Cloud Storage). A file is taken only
// once its size and modification time are the same on two scans in a row, so a file still being copied
// in is never read half-way. Polling rather than fs.watch: it behaves the same on every platform and
// filesystem (network mounts included) and cannot miss an event.

import { statSync } from 'node:fs';
import { collectFiles, type SourceEntry } from './source-files.js';

interface Seen {
  size: number;
  generation: string;
}

export class FolderWatch {
  /** What the previous scan saw, per path. */
  private previous = new Map<string, Seen>();
  /** The generation applied, per path. */
  private readonly applied = new Map<string, string>();

  constructor(
    private readonly folder: string,
    /** Take files without waiting for a second scan (a one-shot run over a folder at rest). */
    private readonly settled = false,
  ) {}

  /** Files ready to apply now, in path order. */
  scan(): SourceEntry[] {
    const current = new Map<string, Seen>();
    const ready: SourceEntry[] = [];
    for (const entry of collectFiles([this.folder])) {
      let seen: Seen;
      try {
        const stats = statSync(entry.path, { bigint: true });
        // a change stamp (modification time in ns): what was applied is known by content (ingest)
        seen = { size: Number(stats.size), generation: stats.mtimeNs.toString() };
      } catch {
        continue; // removed between the listing and the stat
      }
      current.set(entry.path, seen);
      if (this.applied.get(entry.path) === seen.generation) continue;
      const before = this.previous.get(entry.path);
      const stable =
        before !== undefined && before.size === seen.size && before.generation === seen.generation;
      if (this.settled || stable) ready.push(entry);
    }
    this.previous = current;
    return ready;
  }

  /** The file was applied (or rejected) at this generation: take it again only when it changes. */
  markApplied(entry: SourceEntry): void {
    const seen = this.previous.get(entry.path);
    if (seen) this.applied.set(entry.path, seen.generation);
  }
}
