// A FileStore on the local disk for the conformance tests: `file:///abs/path` locations, the form
// PyIceberg and DuckDB both open, so the metadata the tests write points at files they can read.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ObjectInfo, PutOptions } from '../../../shared/ports/object-store.js';
import type { FileStore } from '../../../shared/iceberg/table-writer.js';

export class LocalFileStore implements FileStore {
  readonly written: string[] = [];

  private path(location: string): string {
    return location.startsWith('file://') ? fileURLToPath(location) : location;
  }

  async get(location: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.path(location)));
  }

  async put(location: string, bytes: Uint8Array, options?: PutOptions): Promise<ObjectInfo> {
    const path = this.path(location);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes, { flag: options?.ifAbsent ? 'wx' : 'w' });
    this.written.push(location);
    return { location, size: bytes.length, generation: String(Date.now()) };
  }
}
