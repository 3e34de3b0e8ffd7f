// replayFile: run one source file through the pipeline again, by what its file record says.
//   staged (applied or waiting) → every change-set of the file gets a new task under a NEW task name (Cloud
//     Tasks refuses a name it still remembers). The commit drains only pending change-sets and skips those
//     the table's snapshot summaries already record, so replaying an applied file leaves the table
//     unchanged, and replaying a file whose tasks were lost commits what it staged;
//   failed → ingest runs again for the object's current generation (the cause may have been fixed, e.g.
//     a table definition added); a fixed file uploaded again is a new generation and ingested as new;
//   processing (a run died part-way) → ingest finishes it;
//   unknown (the event never arrived) → ingest it.

import { randomUUID } from 'node:crypto';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import type { ChangesetStatus, FileRecord } from '../ports/state-store.js';
import { stableId } from '../util/hash.js';
import {
  fileIdOf,
  ingestFile,
  type IngestDependencies,
  type IngestOutcome,
  type SourceFile,
} from './ingest-file.js';

export class ReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

export interface ReplayedTask {
  table: string;
  changesetId: string;
  /** The new task id (the queue's task name ends with it). */
  taskId: string;
  /** The change-set's state when it was queued again: a committed one is found applied by the commit. */
  changesetStatus: ChangesetStatus;
}

export type ReplayOutcome =
  | { action: 'requeued'; file: string; generation: string; fileId: string; tasks: ReplayedTask[] }
  | {
      action: 'ingested';
      file: string;
      generation: string;
      /** What the file record said before: failed, processing, or no record at all. */
      previous: Exclude<FileRecord['status'], 'staged'> | 'unknown';
      outcome: IngestOutcome;
    };

/** `gs://bucket/object[#generation]` → its parts; undefined for anything else. */
export function parseGcsTarget(
  target: string,
): { bucket: string; name: string; generation?: string } | undefined {
  const match = /^gs:\/\/([^/]+)\/(.+?)(?:#(\d+))?$/.exec(target);
  if (!match) return undefined;
  return { bucket: match[1]!, name: match[2]!, ...(match[3] ? { generation: match[3] } : {}) };
}

/** File records a local warehouse is searched through for an earlier generation of a path. */
const LOCAL_FILES_LIMIT = 1_000_000;

/**
 * The source file a replay target names. A gs:// object without #generation is its current generation.
 * A local path is keyed as `apply` keyed it: the bucket is a folder above the file and the name its path
 * below that folder, so the ancestor whose key has a record is taken, else the bucket and name an earlier
 * generation of the path was recorded under, else the file's own folder (as `apply <file>` does).
 */
export async function resolveReplayTarget(deps: IngestDependencies, target: string): Promise<SourceFile> {
  const gcs = parseGcsTarget(target);
  if (gcs) {
    const location = `gs://${gcs.bucket}/${gcs.name}`;
    const generation = gcs.generation ?? (await deps.objects.stat(location))?.generation;
    if (generation === undefined) throw new ReplayError(`${location}: no such object`);
    return { bucket: gcs.bucket, name: gcs.name, generation, location };
  }
  if (target.startsWith('gs://')) throw new ReplayError(`${target}: not gs://bucket/object[#generation]`);
  const path = resolve(target);
  const info = await deps.objects.stat(path);
  if (!info) throw new ReplayError(`${target}: no such file`);
  for (let folder = dirname(path); ; folder = dirname(folder)) {
    const source = {
      bucket: basename(folder),
      name: relative(folder, path).split(sep).join('/'),
      generation: info.generation,
      location: path,
    };
    if (await deps.state.getFile(fileIdOf(source))) return source;
    if (dirname(folder) === folder) break;
  }
  // A new generation (the file changed since it was applied) has no record yet: it keeps the bucket and
  // name an earlier generation at this path was applied under, or it would look like another file.
  const earlier = (await deps.state.listFiles({ limit: LOCAL_FILES_LIMIT }))
    .filter((f) => f.location === path && f.bucket !== undefined && f.name !== undefined)
    .at(-1);
  if (earlier) {
    return { bucket: earlier.bucket!, name: earlier.name!, generation: info.generation, location: path };
  }
  return {
    bucket: basename(dirname(path)),
    name: basename(path),
    generation: info.generation,
    location: path,
  };
}

export async function replayFile(deps: IngestDependencies, source: SourceFile): Promise<ReplayOutcome> {
  const fileId = fileIdOf(source);
  const record = await deps.state.getFile(fileId);
  const log = deps.log.with({ file: source.location, generation: source.generation, fileId });
  if (record?.status === 'staged') {
    // One fresh suffix per replay: the names are new to the queue, and still name their change-set.
    const replay = randomUUID();
    const tasks: ReplayedTask[] = [];
    for (const changesetId of record.changesetIds) {
      const changeset = await deps.state.getChangeset(changesetId);
      if (!changeset) throw new ReplayError(`${source.location}: change-set ${changesetId} has no record`);
      const taskId = stableId(['replay', changesetId, replay]);
      await deps.queue.enqueue({ taskId, table: changeset.table, changesetId });
      tasks.push({ table: changeset.table, changesetId, taskId, changesetStatus: changeset.status });
    }
    log.info('file replayed: tasks queued again', { tasks: tasks.length });
    return { action: 'requeued', file: source.location, generation: source.generation, fileId, tasks };
  }
  const current = await deps.objects.stat(source.location);
  if (!current) throw new ReplayError(`${source.location}: no such object`);
  if (current.generation !== source.generation) {
    throw new ReplayError(
      `${source.location}#${source.generation} was ${record?.status ?? 'never seen'} and is no longer the ` +
        `object's current generation (${current.generation}); replay ${source.location} to ingest that one`,
    );
  }
  const previous = record?.status ?? 'unknown';
  log.info('file replayed: ingesting', { previous });
  const outcome = await ingestFile(deps, source, { reprocessFailed: true });
  return { action: 'ingested', file: source.location, generation: source.generation, previous, outcome };
}
