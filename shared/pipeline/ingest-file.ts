// ingestFile: one Datastream object generation → one staged change-set per table, recorded and queued.
// Runs the same in the cloud (GCS, Firestore, Cloud Tasks) and on the embedded defaults (folder, SQLite,
// in-process queue). Order of effects, chosen so a crash anywhere is repaired by re-delivery:
//   1. create-only file record (processing)  — a finished file (staged/failed) is never processed again;
//   2. read + validate the whole object, building change-sets in memory (a bad file stages nothing);
//   3. write each change-set object, then its pending record, then its task (all idempotent by id);
//   4. mark the file staged.
// A file that fails validation is recorded as failed with the reason and the call still succeeds, so the
// event is not retried forever; `replay` runs it again after a fix.

import { ChangeSetBuilder, type SourceObject } from '../changes/change-set.js';
import { tableKey, type ChangeEvent, type TableRef } from '../changes/change-event.js';
import {
  DatastreamError,
  DatastreamValidationError,
  UnknownColumnError,
  UnknownTableError,
} from '../datastream/errors.js';
import { learnTable } from '../datastream/infer-table.js';
import { isDatastreamObject, readDatastreamObject } from '../datastream/read-object.js';
import type { ReadLimits } from '../datastream/read-limits.js';
import type { Logger } from '../log.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { FileRecord, StateStore } from '../ports/state-store.js';
import type { TaskQueue } from '../ports/task-queue.js';
import { stableId } from '../util/hash.js';
import { checkColumnName, checkTableNames, InvalidNameError } from '../names/identifier.js';
import { tableFolder } from '../names/storage-path.js';
import type { TableDirectory } from './table-directory.js';

export interface IngestDependencies {
  objects: ObjectStore;
  state: StateStore;
  queue: TaskQueue;
  tables: TableDirectory;
  /** Root for staged change-sets, e.g. gs://bucket/_datastream_iceberg or /abs/warehouse/_work */
  workRoot: string;
  /**
   * The bucket Datastream writes to: objects of any other bucket are ignored (logged as a warning).
   * Undefined: any bucket (the embedded runtime, where the folder given stands for the bucket).
   */
  landingBucket?: string;
  /** Only objects whose name starts with this are Datastream output (empty = all). */
  landingPrefix: string;
  log: Logger;
  now?: () => number;
  /** Limits on what one file may make ingest hold (defaults: read-limits.ts). */
  readLimits?: Partial<ReadLimits>;
  /** Who ingests: stored on the file record, so another process can tell whether it still works. */
  holder?: string;
  /**
   * True when a holder is another process still at work: a file it left 'processing' is its own, not
   * an earlier run's that died. Without it (the cloud: a re-delivery means the first try ended) a
   * 'processing' file is always taken over.
   */
  holderIsAlive?: (holder: string) => boolean;
}

export interface SourceFile extends SourceObject {
  /** Where to read it: gs://bucket/name or a local path. */
  location: string;
}

export type IngestOutcome =
  | { status: 'ignored'; reason: string }
  | { status: 'duplicate'; fileId: string; previous: FileRecord['status'] }
  | { status: 'failed'; fileId: string; reason: string }
  | { status: 'staged'; fileId: string; changesets: { id: string; table: string; events: number }[] };

export function fileIdOf(source: SourceObject): string {
  return stableId([`${source.bucket}/${source.name}#${source.generation}`]);
}

export function changesetLocation(workRoot: string, table: TableRef, id: string): string {
  // one encoded folder per name: the location stays under the work root whatever the names hold
  return `${tableFolder(`${workRoot.replace(/\/+$/, '')}/changesets`, table)}/${id}.arrows`;
}

/**
 * Why an object is not Datastream output for this pipeline, or undefined when it is. Staged change-sets
 * (`.arrows`) never pass the name check, so a work prefix inside the landing bucket needs no rule.
 */
export function ignoreReason(name: string, landingPrefix: string): string | undefined {
  if (landingPrefix && !name.startsWith(landingPrefix)) return `outside the landing prefix ${landingPrefix}`;
  if (!isDatastreamObject(name)) return 'not a Datastream object (.jsonl, .jsonl.gz or .avro)';
  return undefined;
}

export interface IngestOptions {
  /**
   * Process a generation recorded as failed again (`replay` after the cause was fixed, e.g. a missing
   * table definition was added). Without it a failed generation stays failed, so a re-delivered event
   * cannot loop on a bad file.
   */
  reprocessFailed?: boolean;
}

export async function ingestFile(
  deps: IngestDependencies,
  source: SourceFile,
  options: IngestOptions = {},
): Promise<IngestOutcome> {
  const now = deps.now ?? Date.now;
  const log = deps.log.with({ file: source.location, generation: source.generation });
  if (deps.landingBucket !== undefined && source.bucket !== deps.landingBucket) {
    // not an object of ours: a notification of another bucket routed here (a shared topic, a trigger
    // on the wrong bucket) must not put foreign objects into the tables
    const reason = `outside the landing bucket ${deps.landingBucket}`;
    log.warn('object ignored', { bucket: source.bucket, reason });
    return { status: 'ignored', reason };
  }
  const ignored = ignoreReason(source.name, deps.landingPrefix);
  if (ignored) {
    log.debug('object ignored', { reason: ignored });
    return { status: 'ignored', reason: ignored };
  }
  const fileId = fileIdOf(source);
  const started = now();
  const claim = await deps.state.createFile({
    fileId,
    location: source.location,
    bucket: source.bucket,
    name: source.name,
    generation: source.generation,
    status: 'processing',
    changesetIds: [],
    eventCounts: {},
    createdAtMs: started,
    updatedAtMs: started,
    ...(deps.holder === undefined ? {} : { holder: deps.holder }),
  });
  // 'processing' means an earlier run died part-way (unless its holder is known to be still at work):
  // everything below is idempotent, so finish it.
  const again =
    !claim.created &&
    (claim.existing.status === 'processing' ||
      (options.reprocessFailed === true && claim.existing.status === 'failed'));
  const othersAtWork =
    !claim.created &&
    claim.existing.status === 'processing' &&
    claim.existing.holder !== undefined &&
    deps.holderIsAlive?.(claim.existing.holder) === true;
  if (!claim.created && (!again || othersAtWork)) {
    log.info(othersAtWork ? 'file being processed by another run' : 'file already processed', {
      fileId,
      previous: claim.existing.status,
    });
    return { status: 'duplicate', fileId, previous: claim.existing.status };
  }
  if (again && deps.holder !== undefined) await deps.state.updateFile(fileId, { holder: deps.holder });

  let builders: Map<string, ChangeSetBuilder>;
  try {
    builders = await readIntoChangeSets(deps, source);
  } catch (error) {
    if (!(error instanceof DatastreamError)) throw error;
    const reason = error.message;
    await deps.state.updateFile(fileId, { status: 'failed', reason, updatedAtMs: now() });
    log.error('file rejected', { fileId, reason });
    return { status: 'failed', fileId, reason };
  }

  const staged: { id: string; table: string; events: number }[] = [];
  for (const [table, builder] of builders) {
    const info = builder.info();
    const id = info.id;
    const bytes = builder.finish();
    const location = changesetLocation(deps.workRoot, info.table, id);
    await deps.objects.put(location, bytes, { contentType: 'application/vnd.apache.arrow.stream' });
    await deps.state.putChangeset({
      id,
      table,
      fileId,
      location,
      eventCount: info.eventCount,
      minOrder: info.minOrder ? `${info.minOrder.sourceTsMs}/${info.minOrder.lsn}` : '',
      maxOrder: info.maxOrder ? `${info.maxOrder.sourceTsMs}/${info.maxOrder.lsn}` : '',
      status: 'pending',
      createdAtMs: now(),
    });
    await deps.queue.enqueue({ taskId: stableId(['commit', id]), table, changesetId: id });
    staged.push({ id, table, events: info.eventCount });
  }
  await deps.state.updateFile(fileId, {
    status: 'staged',
    changesetIds: staged.map((c) => c.id),
    eventCounts: Object.fromEntries(staged.map((c) => [c.table, c.events])),
    updatedAtMs: now(),
  });
  log.info('file staged', {
    fileId,
    changesets: staged.length,
    events: staged.reduce((sum, c) => sum + c.events, 0),
    durationMs: now() - started,
  });
  return { status: 'staged', fileId, changesets: staged };
}

/**
 * Read the whole object into one builder per table. The reader asks the directory synchronously, per
 * event; a table it does not know yet is looked up (config, then catalog) and the object read again. A
 * table or column nobody declared is learnt from the object itself (its Avro schema, else inference from
 * its JSON values) when the directory allows it, and the object read again. Each pass learns at least
 * one table or column, so the loop ends.
 */
async function readIntoChangeSets(
  deps: IngestDependencies,
  source: SourceFile,
): Promise<Map<string, ChangeSetBuilder>> {
  for (;;) {
    const builders = new Map<string, ChangeSetBuilder>();
    try {
      const stream = await deps.objects.stream(source.location);
      // Events of one table share its TableRef object: the last builder serves the next event, and a
      // map keyed by that object the others (interleaved tables), without a key string per event.
      let lastTable: TableRef | undefined;
      let lastBuilder: ChangeSetBuilder | undefined;
      const byRef = new Map<TableRef, ChangeSetBuilder>();
      await readDatastreamObject(
        source.name,
        stream,
        { resolveTable: (ref) => deps.tables.cached(ref), limits: deps.readLimits ?? {} },
        (event) => {
          if (event.table !== lastTable || !lastBuilder) {
            lastBuilder = byRef.get(event.table);
            if (!lastBuilder) {
              lastBuilder = builderFor(builders, source, event, deps.tables);
              byRef.set(event.table, lastBuilder);
            }
            lastTable = event.table;
          }
          lastBuilder.add(event);
        },
      );
      return builders;
    } catch (error) {
      if (error instanceof UnknownTableError) {
        // Names come from the file: one that cannot be carried losslessly fails the file, here, before
        // it reaches the catalog, a storage path or a key.
        checkNames(error, () => checkTableNames(error.table));
        if (await deps.tables.resolve(error.table)) continue;
        if (!deps.tables.mayLearn(error.table)) throw error;
        await learnFromObject(deps, source, error.table);
        continue;
      }
      if (error instanceof UnknownColumnError) checkNames(error, () => checkColumnName(error.column ?? ''));
      if (error instanceof UnknownColumnError && deps.tables.mayLearn(error.table)) {
        const before = deps.tables.cached(error.table);
        const after = await learnFromObject(deps, source, error.table);
        if (after !== before && after.byName.has(error.column ?? '')) continue;
      }
      throw error;
    }
  }
}

/** Runs a name check; its InvalidNameError fails the file at the position of the event that named it. */
function checkNames(at: DatastreamError, check: () => void): void {
  try {
    check();
  } catch (error) {
    if (!(error instanceof InvalidNameError)) throw error;
    throw new DatastreamValidationError(
      {
        object: at.object,
        ...(at.line === undefined ? {} : { line: at.line }),
        ...(error.kind === 'column' ? { column: error.value } : {}),
      },
      error.message,
    );
  }
}

async function learnFromObject(deps: IngestDependencies, source: SourceFile, table: TableRef) {
  const learnt = await learnTable(
    source.name,
    await deps.objects.stream(source.location),
    table,
    deps.readLimits,
  );
  for (const [name] of learnt.columns) {
    try {
      checkColumnName(name);
    } catch (error) {
      if (!(error instanceof InvalidNameError)) throw error;
      throw new DatastreamValidationError({ object: source.name, column: name }, error.message);
    }
  }
  const known = deps.tables.cached(table);
  const compiled = deps.tables.learn(table, learnt);
  if (compiled !== known) {
    deps.log.notice(known ? 'columns learnt from the file' : 'table learnt from the file', {
      file: source.location,
      table: tableKey(table),
      from: learnt.source,
      columns: compiled.columns
        .filter((c) => !known?.byName.has(c.name))
        .map((c) => `${c.name} ${c.pgType ?? ''}`),
      primaryKeys: compiled.primaryKeys,
    });
  }
  return compiled;
}

function builderFor(
  builders: Map<string, ChangeSetBuilder>,
  source: SourceObject,
  event: ChangeEvent,
  tables: TableDirectory,
): ChangeSetBuilder {
  const key = tableKey(event.table);
  let builder = builders.get(key);
  if (!builder) {
    const table = tables.cached(event.table);
    if (!table) throw new Error(`table ${key} vanished from the directory while reading`);
    const sourceTypes = Object.fromEntries(
      table.columns.flatMap((c) => (c.pgType === undefined ? [] : [[c.name, c.pgType]])),
    );
    builder = new ChangeSetBuilder({
      table: event.table,
      source: { bucket: source.bucket, name: source.name, generation: source.generation },
      schema: table.schema,
      primaryKeys: table.primaryKeys,
      sourceTypes,
      ...(table.learntFrom ? { learntFrom: table.learntFrom } : {}),
    });
    builders.set(key, builder);
  }
  return builder;
}
