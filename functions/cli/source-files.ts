// The files a command applies: a file as itself, a folder as its files in path order. The bucket name
// and object name of a file come from the folder given (bucket = the folder's name, object = the path
// below it), so the same file applied by `apply` or picked up by `run` has the same identity and is
// applied once.

import { readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { PathError, UsageError } from './args.js';

export interface SourceEntry {
  /** The folder standing for the bucket. */
  root: string;
  /** Absolute path of the file. */
  path: string;
}

/** Hidden files and folders (a leading dot) are skipped: editors and copy tools write temporaries so. */
function walk(root: string, dir: string, out: SourceEntry[], ancestors: Set<string>): void {
  // a link back to a folder being walked would repeat it forever (or until ELOOP)
  const real = realPath(dir);
  if (ancestors.has(real)) throw new PathError(`${dir}: a symbolic link loop (it leads back to ${real})`);
  ancestors.add(real);
  for (const name of readEntries(dir).sort()) {
    if (name.startsWith('.')) continue;
    const path = resolve(dir, name);
    if (statPath(path).isDirectory()) walk(root, path, out, ancestors);
    else out.push({ root, path });
  }
  ancestors.delete(real);
}

/** The file system's own errors (a loop of links, no permission) as one line naming the path. */
function fsCall<T>(path: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string') throw error;
    const why = code === 'ELOOP' ? 'a symbolic link loop' : code === 'EACCES' ? 'permission denied' : code;
    throw new PathError(`${path}: ${why}`);
  }
}

const realPath = (path: string): string => fsCall(path, () => realpathSync(path));
const readEntries = (path: string): string[] => fsCall(path, () => readdirSync(path));
const statPath = (path: string): Stats => fsCall(path, () => statSync(path));

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
    if (isDirectory) walk(path, path, out, new Set());
    else out.push({ root: dirname(path), path });
  }
  return out;
}

/** The bucket and object name a file is known by. */
export function objectOf(entry: SourceEntry): { bucket: string; name: string } {
  return { bucket: basename(entry.root), name: relative(entry.root, entry.path).split(sep).join('/') };
}
