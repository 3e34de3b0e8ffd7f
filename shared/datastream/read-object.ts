// Read one Datastream object (JSONL, gzip JSONL or Avro) from a byte stream into validated
// ChangeEvents, in batches. The format is decided by the bytes (gzip and Avro magic numbers), not the
// name alone. Memory stays bounded: the stream is consumed chunk by chunk, one line or block at a time.

import type { ChangeEvent } from '../changes/change-event.js';
import { datastreamRecordConverter } from './avro-values.js';
import { avroRecordBatches } from './avro-container.js';
import { AVRO_MAGIC, GZIP_MAGIC, gunzip, lineBatches, peek, startsWith } from './byte-stream.js';
import { DatastreamReadError, DatastreamValidationError } from './errors.js';
import { toChangeEvent, type EventOptions } from './event.js';
import { checkValueSizes, readLimits, type ReadLimits } from './read-limits.js';
import { LineSteps, type EventSink } from './line-steps.js';
import { JsonSyntaxError, parseJsonLossless } from './lossless-json.js';

const DATASTREAM_SUFFIXES = ['.jsonl', '.jsonl.gz', '.avro'];

/** True for object names Datastream writes (.jsonl, .jsonl.gz, .avro); anything else is ignored. */
export function isDatastreamObject(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower.endsWith('/')) return false;
  return DATASTREAM_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

export interface ReadOptions extends EventOptions {
  /** Limits on lines, values, inflated objects and Avro blocks (read-limits.ts); defaults otherwise. */
  limits?: Partial<ReadLimits>;
}

/**
 * An object's events are of one table or a few: remember the lookups. Checked by a scan of a few
 * entries (an object of two interleaved tables missed a one-entry memo on every other event, and the
 * lookup behind it builds a key string each time, which showed in the ingest benchmark's profile).
 */
const MEMO_ENTRIES = 8;

function memoized(options: ReadOptions): ReadOptions {
  // Filled in place, never pushed to: growing a fresh array from empty changes its elements kind,
  // which deoptimized the caller (readEnvelope, into which this is inlined) once per object read.
  const schemas = new Array<string>(MEMO_ENTRIES).fill('');
  const names = new Array<string>(MEMO_ENTRIES).fill('');
  const tables = new Array<ReturnType<ReadOptions['resolveTable']>>(MEMO_ENTRIES).fill(undefined);
  let count = 0;
  return {
    ...options,
    resolveTable: (ref) => {
      for (let i = 0; i < count; i++) {
        if (schemas[i] === ref.schema && names[i] === ref.name) return tables[i];
      }
      const table = options.resolveTable(ref);
      if (count < MEMO_ENTRIES) {
        schemas[count] = ref.schema;
        names[count] = ref.name;
        tables[count] = table;
        count++;
      }
      return table;
    },
  };
}

export { parseJsonLine, type EventSink } from './line-steps.js';

async function jsonlEvents(
  object: string,
  chunks: AsyncIterable<Uint8Array>,
  options: ReadOptions,
  sink: EventSink,
): Promise<number> {
  const limits = readLimits(options.limits);
  const steps = new LineSteps(object, options, sink, limits);
  let count = 0;
  for await (const batch of lineBatches(object, chunks, limits)) count += steps.read(batch);
  return count;
}

async function avroEvents(
  object: string,
  chunks: AsyncIterable<Uint8Array>,
  options: ReadOptions,
  sink: EventSink,
): Promise<number> {
  let convert: ((record: unknown) => unknown) | undefined;
  const limits = readLimits(options.limits);
  const batches = avroRecordBatches(
    object,
    chunks,
    (header) => {
      convert = datastreamRecordConverter(header.schema);
    },
    limits,
  );
  let count = 0;
  for await (const batch of batches) {
    // Only a block larger than the value limit can hold a value beyond it.
    const checkValues = batch.bytes > limits.maxValueBytes;
    batch.records.forEach((record, i) => {
      const line = batch.firstRecord + i;
      let event: unknown;
      try {
        event = (convert as (record: unknown) => unknown)(record);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new DatastreamValidationError(
          { object, line },
          `Avro record does not match its schema (${message})`,
          { cause: error },
        );
      }
      const payload = (event as { payload?: unknown } | null)?.payload;
      if (checkValues && typeof payload === 'object' && payload !== null) {
        checkValueSizes({ object, line }, payload as Record<string, unknown>, limits);
      }
      sink(toChangeEvent({ object, line }, event, options));
      count++;
    });
  }
  return count;
}

/**
 * Read one Datastream object and hand each validated ChangeEvent to `sink`, in order. Returns the
 * number of events. Throws a DatastreamError (read or validation) at the first problem: a caller that
 * must not half-apply a file collects into a change-set first (which it discards on error).
 */
export async function readDatastreamObject(
  object: string,
  source: AsyncIterable<Uint8Array>,
  options: ReadOptions,
  sink: EventSink,
): Promise<number> {
  options = memoized(options);
  const opened = await openObject(object, source, readLimits(options.limits));
  if (opened.avro) return avroEvents(object, opened.chunks, options, sink);
  if (!opened.gzip && object.toLowerCase().endsWith('.avro') && opened.head.length > 0) {
    throw new DatastreamReadError({ object }, 'is named .avro but is not an Avro object container');
  }
  // A `.jsonl.gz` without the gzip magic was decompressed by transcoding on download: read it as JSONL.
  return jsonlEvents(object, opened.chunks, options, sink);
}

/**
 * An object's format, decided by its bytes: gzip (by its magic number) is inflated first, then Avro by
 * its magic number, else JSONL. `head` is the first bytes of what is read (inflated), `chunks` all of it.
 */
async function openObject(
  object: string,
  source: AsyncIterable<Uint8Array>,
  limits: ReadLimits,
): Promise<{ gzip: boolean; avro: boolean; head: Uint8Array; chunks: AsyncIterable<Uint8Array> }> {
  const raw = await peek(source, 4);
  const gzip = startsWith(raw.head, GZIP_MAGIC);
  const { head, chunks } = gzip ? await peek(gunzip(object, raw.chunks, limits), 4) : raw;
  return { gzip, avro: startsWith(head, AVRO_MAGIC), head, chunks };
}

/** What a raw scan is told: the Avro writer schema (Avro only), then each event as parsed. */
export interface RawEventVisitor {
  avroSchema?(schema: unknown): void;
  /** One parsed event (a JSON line or a converted Avro record); return false to stop reading. */
  event(event: unknown, line: number): boolean | void;
}

async function scanJsonl(
  object: string,
  chunks: AsyncIterable<Uint8Array>,
  visitor: RawEventVisitor,
  limits: ReadLimits,
): Promise<void> {
  for await (const batch of lineBatches(object, chunks, limits)) {
    for (let i = 0; i < batch.lines.length; i++) {
      const line = batch.lines[i] as string;
      if (line.trim().length === 0) continue;
      let value: unknown;
      try {
        value = parseJsonLossless(line);
      } catch (error) {
        // The full read reports the bad line with its position; the scan only stops.
        if (error instanceof JsonSyntaxError) return;
        throw error;
      }
      if (visitor.event(value, batch.firstLine + i) === false) return;
    }
  }
}

async function scanAvro(
  object: string,
  chunks: AsyncIterable<Uint8Array>,
  visitor: RawEventVisitor,
  limits: ReadLimits,
): Promise<void> {
  let convert: ((record: unknown) => unknown) | undefined;
  const batches = avroRecordBatches(
    object,
    chunks,
    (header) => {
      visitor.avroSchema?.(header.schema);
      convert = datastreamRecordConverter(header.schema);
    },
    limits,
  );
  for await (const batch of batches) {
    for (let i = 0; i < batch.records.length; i++) {
      let event: unknown;
      try {
        event = (convert as (record: unknown) => unknown)(batch.records[i]);
      } catch {
        return; // reported with its position by the full read
      }
      if (visitor.event(event, batch.firstRecord + i) === false) return;
    }
  }
}

/**
 * Read an object's events without validating them (format decided as readDatastreamObject does): what
 * ingest uses to learn an undeclared table from the object itself before the validating read.
 */
export async function scanDatastreamObject(
  object: string,
  source: AsyncIterable<Uint8Array>,
  visitor: RawEventVisitor,
  overrides: Partial<ReadLimits> = {},
): Promise<void> {
  const limits = readLimits(overrides);
  const opened = await openObject(object, source, limits);
  return opened.avro
    ? scanAvro(object, opened.chunks, visitor, limits)
    : scanJsonl(object, opened.chunks, visitor, limits);
}

/** All events of an object, in an array (small objects, tests). */
export async function readChangeEvents(
  object: string,
  source: AsyncIterable<Uint8Array>,
  options: ReadOptions,
): Promise<ChangeEvent[]> {
  const out: ChangeEvent[] = [];
  await readDatastreamObject(object, source, options, (event) => out.push(event));
  return out;
}
