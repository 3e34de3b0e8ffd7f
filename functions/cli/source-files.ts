// The files a command applies: a file as itself, a folder as its files in path order. The bucket name
// and object name of a file come from the folder given (bucket = the folder's name, object = the path
// below it), so the same file applied by `apply` or picked up by `run` has the same identity and is
// applied once.

import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { UsageError } from './args.js';

export interface SourceEntry {
  /** The folder standing for the bucket. */
  root: string;
  /** Absolute path of the file. */
  path: string;
}

/** Hidden files and folders (a leading dot) are skipped: editors and copy tools write temporaries so. */
function walk(root: string, dir: string, out: SourceEntry[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const path = resolve(dir, name);
    if (statSync(path).isDirectory()) walk(root, path, out);
    else out.push({ root, path });
  }
}

/** Files of the arguments, in the order given, each folder's files in path order. */
export function collectFiles(paths: readonly string[]): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (const arg of paths) {
    const path = resolve(arg);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new UsageError(`no such file or folder: ${arg}`);
    }
    if (isDirectory) walk(path, path, out);
    else out.push({ root: dirname(path), path });
  }
  return out;
}

/** The bucket and object name a file is known by. */
export function objectOf(entry: SourceEntry): { bucket: string; name: string } {
  return { bucket: basename(entry.root), name: relative(entry.root, entry.path).split(sep).join('/') };
}
