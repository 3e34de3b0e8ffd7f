// An object store in memory, for the chaos histories: thousands of short-lived tables, no disk I/O.
// Same contract as the real stores (create-only puts, ranges, listing in path order).

import {
  NotFoundError,
  PreconditionFailedError,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from '../../shared/ports/object-store.js';

export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, { bytes: Uint8Array; generation: number }>();
  private generation = 0;
  /** Every location put, in order (a run's own files are the ones put since it started). */
  readonly written: string[] = [];

  handles(): boolean {
    return true;
  }

  async get(location: string): Promise<Uint8Array> {
    const hit = this.objects.get(location);
    if (!hit) throw new NotFoundError(location);
    return hit.bytes;
  }

  async getRange(location: string, start: number, end: number): Promise<Uint8Array> {
    return (await this.get(location)).subarray(start, end);
  }

  async stream(location: string): Promise<AsyncIterable<Uint8Array>> {
    const bytes = await this.get(location);
    return (async function* () {
      yield bytes;
    })();
  }

  async put(location: string, bytes: Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    if (options.ifAbsent && this.objects.has(location)) throw new PreconditionFailedError(location);
    const entry = { bytes: Uint8Array.from(bytes), generation: ++this.generation };
    this.objects.set(location, entry);
    this.written.push(location);
    return { location, size: bytes.length, generation: String(entry.generation) };
  }

  async stat(location: string): Promise<ObjectInfo | undefined> {
    const hit = this.objects.get(location);
    return hit && { location, size: hit.bytes.length, generation: String(hit.generation) };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const location of [...this.objects.keys()].filter((l) => l.startsWith(prefix)).sort()) {
      const info = await this.stat(location);
      if (info) yield info;
    }
  }

  async delete(location: string): Promise<void> {
    this.objects.delete(location);
  }
}
