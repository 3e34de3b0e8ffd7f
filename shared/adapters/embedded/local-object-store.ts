// The object store on a local folder: file:///abs/path URLs or plain absolute paths. Every write goes to
// a temporary file first and then appears under its name in one step (rename, or link for create-only),
// so a reader never sees half an object, just as on Cloud Storage.

import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { link, mkdir, open, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { createHash, randomUUID } from 'node:crypto';
import { basename, dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  NotFoundError,
  PreconditionFailedError,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from '../../ports/object-store.js';

// Temporary files live next to their target (same file system, so rename is atomic) and are hidden
// from listings by this prefix.
const TEMP_PREFIX = '.tmp-';

export class LocalObjectStore implements ObjectStore {
  handles(location: string): boolean {
    return location.startsWith('file://') || location.startsWith('/');
  }

  async get(location: string): Promise<Uint8Array> {
    try {
      return await readFile(toPath(location));
    } catch (error) {
      throw mapError(error, location);
    }
  }

  async getRange(location: string, start: number, end: number): Promise<Uint8Array> {
    if (end < start) throw new RangeError(`invalid range [${start}, ${end}) of ${location}`);
    let handle;
    try {
      handle = await open(toPath(location), 'r');
    } catch (error) {
      throw mapError(error, location);
    }
    try {
      const buffer = Buffer.alloc(end - start);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  async stream(location: string): Promise<AsyncIterable<Uint8Array>> {
    const path = toPath(location);
    // open eagerly so a missing object fails here, not in the middle of the consumer's loop
    try {
      await stat(path);
    } catch (error) {
      throw mapError(error, location);
    }
    return createReadStream(path);
  }

  async put(location: string, bytes: Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    const path = toPath(location);
    await mkdir(dirname(path), { recursive: true });
    const temp = join(dirname(path), `${TEMP_PREFIX}${randomUUID()}-${basename(path)}`);
    await writeFile(temp, bytes);
    try {
      if (options.ifAbsent) {
        // link() fails with EEXIST when the name is taken: create-only and atomic in one call
        try {
          await link(temp, path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new PreconditionFailedError(location);
          throw error;
        }
      } else {
        await rename(temp, path);
      }
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    return this.info(location, path);
  }

  async stat(location: string): Promise<ObjectInfo | undefined> {
    try {
      return await this.info(location, toPath(location));
    } catch (error) {
      if (mapError(error, location) instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const prefixPath = toPath(prefix);
    // the prefix may end inside a file or folder name (as on GCS), so walk from its folder and filter
    const root = prefixPath.endsWith(sep) ? prefixPath : dirname(prefixPath);
    const paths: string[] = [];
    await walk(root, paths);
    const matching = paths.filter((path) => path.startsWith(prefixPath)).sort(compareBytes);
    const asUrl = prefix.startsWith('file://');
    for (const path of matching) {
      const location = asUrl ? pathToFileURL(path).href : path;
      const info = await this.stat(location);
      if (info) yield info;
    }
  }

  async delete(location: string): Promise<void> {
    await unlink(toPath(location)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  private async info(location: string, path: string): Promise<ObjectInfo> {
    const stats = await stat(path, { bigint: true });
    if (!stats.isFile()) throw new NotFoundError(location);
    let generation: string | undefined;
    return {
      location,
      size: Number(stats.size),
      // The content's identity, where GCS has a generation per upload: a file's path and modification
      // time do not tell two files apart (the same relative path under two folders, copied with their
      // times kept). Hashed when first read, so a caller wanting the size or a listing reads no content.
      get generation(): string {
        generation ??= contentGeneration(path);
        return generation;
      },
      updatedMs: Number(stats.mtimeMs),
    };
  }
}

/** Hex SHA-256 of a file's content (first 32 characters). */
function contentGeneration(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0;) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex').slice(0, 32);
}

/** The local path of a file:// URL or a plain absolute path. */
export function toPath(location: string): string {
  if (location.startsWith('file://')) return fileURLToPath(location);
  if (location.startsWith('/')) return location;
  throw new RangeError(`not a local location (file:// URL or absolute path): ${location}`);
}

// Object names compare by UTF-8 bytes on GCS; for paths this is code-unit order except for surrogates,
// which is close enough for a local folder.
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) {
    if (entry.name.startsWith(TEMP_PREFIX)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

function mapError(error: unknown, location: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return new NotFoundError(location);
  return error;
}
