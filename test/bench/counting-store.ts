// An object store that counts the bytes read and written through it, so a benchmark reports what a
// commit or a maintenance run moved to and from storage, not only how long it took.

import type { ObjectInfo, ObjectStore, PutOptions } from '../../shared/ports/object-store.js';

export interface ByteCounts {
  bytesRead: number;
  bytesWritten: number;
}

export class CountingObjectStore implements ObjectStore {
  private counts: ByteCounts = { bytesRead: 0, bytesWritten: 0 };

  constructor(private readonly inner: ObjectStore) {}

  /** The bytes counted since the last call, and a new count from zero. */
  take(): ByteCounts {
    const counts = this.counts;
    this.counts = { bytesRead: 0, bytesWritten: 0 };
    return counts;
  }

  handles(location: string): boolean {
    return this.inner.handles(location);
  }

  async get(location: string): Promise<Uint8Array> {
    const bytes = await this.inner.get(location);
    this.counts.bytesRead += bytes.byteLength;
    return bytes;
  }

  async getRange(location: string, start: number, end: number): Promise<Uint8Array> {
    const bytes = await this.inner.getRange(location, start, end);
    this.counts.bytesRead += bytes.byteLength;
    return bytes;
  }

  async stream(location: string): Promise<AsyncIterable<Uint8Array>> {
    const chunks = await this.inner.stream(location);
    const counts = (): ByteCounts => this.counts;
    return (async function* counted() {
      for await (const chunk of chunks) {
        counts().bytesRead += chunk.byteLength;
        yield chunk;
      }
    })();
  }

  async put(location: string, bytes: Uint8Array, options?: PutOptions): Promise<ObjectInfo> {
    this.counts.bytesWritten += bytes.byteLength;
    return this.inner.put(location, bytes, options);
  }

  stat(location: string): Promise<ObjectInfo | undefined> {
    return this.inner.stat(location);
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix);
  }

  delete(location: string): Promise<void> {
    return this.inner.delete(location);
  }
}
