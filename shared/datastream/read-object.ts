// Read one Datastream object (JSONL, gzip JSONL or Avro) from a byte stream into validated
// ChangeEvents, in batches. The format is decided by the bytes (gzip and Avro magic numbers), not the
// name alone. Memory stays bounded: the stream is consumed chunk by chunk, one line or block at a time.

import type { ChangeEvent } from '../changes/change-event.js';
import { datastreamRecordConverter } from './avro-values.js';
import { avroRecordBatches } from './avro-container.js';
import { AVRO_MAGIC, GZIP_MAGIC, gunzip, lineBatches, peek, startsWith } from './byte-stream.js';
import { DatastreamReadError, DatastreamValidationError } from './errors.js';
import {
  fillRow,
  readEnvelope,
  toChangeEvent,
  type EnvelopeParts,
  type EventContext,
  type EventOptions,
} from './event.js';
import type { CompiledTable } from './table.js';
import { JsonSyntaxError, parseJsonLossless } from './lossless-json.js';

const DATASTREAM_SUFFIXES = ['.jsonl', '.jsonl.gz', '.avro'];

/** True for object names Datastream writes (.jsonl, .jsonl.gz, .avro); anything else is ignored. */
export function isDatastreamObject(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower.endsWith('/')) return false;
  return DATASTREAM_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

export type ReadOptions = EventOptions;

/**
 * An object's events are of one table or a few: remember the lookups. Checked by a scan of a few
 * entries (an object of two interleaved tables missed a one-entry memo on every other event, and the
 * lookup behind it builds a key string each time: about 2% of the ingest benchmark's profile).
 */
const MEMO_ENTRIES = 8;

function memoized(options: ReadOptions): ReadOptions {
  // Filled in place, never pushed to: growing a fresh array from empty changes its elements kind,
  // which deoptimized the caller (toChangeEvent, into which this is inlined) once per object read.
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

/**
 * Parse one JSONL line into a ChangeEvent (exported for tests and the fuzzer). `numbersScanned`: the
 * line's bytes were scanned and hold no number a double may not keep (LineBatch.riskyNumbers).
 */
export function parseJsonLine(
  object: string,
  lineNumber: number,
  line: string,
  options: ReadOptions,
  numbersScanned = false,
): ChangeEvent {
  let value: unknown;
  try {
    value = parseJsonLossless(line, numbersScanned);
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      throw new DatastreamReadError(
        {
          object,
          line: lineNumber,
          value: JSON.stringify(line.slice(Math.max(0, error.offset - 20), error.offset + 20)),
        },
        `is not valid JSON (${error.message})`,
        { cause: error },
      );
    }
    throw error;
  }
  return toChangeEvent({ object, line: lineNumber }, value, options);
}

/** Receives each event as soon as it is read; it should not keep the event object (copy what it needs). */
export type EventSink = (event: ChangeEvent) => void;

/**
 * Lines taken through each step together: all parsed, then all validated, then all handed over. One
 * line at a time, the code of every step (JSON.parse, validation, coercion, the sink's encoding) ran
 * for each event and no longer fitted the processor's instruction cache; stepping through 64 lines
 * at a time keeps each step's code hot (measured on the ingest benchmark under cachegrind: a third
 * fewer instruction-cache misses, a sixth fewer data-cache misses, ingest CPU time down about 10%).
 * Few enough that the parsed lines still die young (holding a whole chunk's lines alive made the
 * garbage collector copy them all).
 */
const STEP_LINES = 64;

/** A line JSON.parse refused: validated in its turn, where the exact parser words the error. */
const UNPARSED = Symbol('unparsed');

async function jsonlEvents(
  object: string,
  chunks: AsyncIterable<Uint8Array>,
  options: ReadOptions,
  sink: EventSink,
): Promise<number> {
  let count = 0;
  const values = new Array<unknown>(STEP_LINES).fill(undefined);
  const texts = new Array<string>(STEP_LINES).fill('');
  const lineNumbers = new Array<number>(STEP_LINES).fill(0);
  const contexts = new Array<EventContext | undefined>(STEP_LINES).fill(undefined);
  const tables = new Array<CompiledTable | undefined>(STEP_LINES).fill(undefined);
  const payloads = new Array<Record<string, unknown> | undefined>(STEP_LINES).fill(undefined);
  const parts: EnvelopeParts = { table: undefined, payload: undefined };
  const handOver = (upTo: number) => {
    for (let j = 0; j < upTo; j++) {
      const event = values[j] as ChangeEvent;
      values[j] = undefined;
      payloads[j] = undefined;
      sink(event);
      count++;
    }
  };
  for await (const batch of lineBatches(object, chunks, { scanNumbers: true })) {
    const lines = batch.lines;
    const risky = batch.riskyNumbers;
    for (let from = 0; from < lines.length; from += STEP_LINES) {
      const to = Math.min(lines.length, from + STEP_LINES);
      let taken = 0;
      for (let i = from; i < to; i++) {
        const line = lines[i] as string;
        // Blank lines (a trailing newline, an empty file) carry no event.
        if (line.length === 0 || (line.charCodeAt(0) <= 0x20 && line.trim().length === 0)) continue;
        texts[taken] = line;
        lineNumbers[taken] = batch.firstLine + i;
        try {
          values[taken] = parseJsonLossless(line, risky !== undefined && risky[i] === 0);
        } catch (error) {
          if (!(error instanceof JsonSyntaxError)) throw error;
          values[taken] = UNPARSED;
        }
        taken++;
      }
      // Validated in two passes, the fields outside the payload for every line, then the payloads:
      // each pass's code stays hot too. The first bad line is still the one reported: the first pass
      // stops at its first failure, the second pass covers the lines before it, and the events before
      // the bad line are handed over first, as when lines went one at a time.
      let failedAt = taken;
      let failure: unknown;
      for (let j = 0; j < taken; j++) {
        const context = { object, line: lineNumbers[j] as number };
        contexts[j] = context;
        try {
          if (values[j] === UNPARSED) parseJsonLine(object, context.line, texts[j] as string, options);
          values[j] = readEnvelope(context, values[j], options, parts);
          tables[j] = parts.table;
          payloads[j] = parts.payload;
        } catch (error) {
          failedAt = j;
          failure = error;
          break;
        }
      }
      let filled = 0;
      try {
        for (; filled < failedAt; filled++) {
          fillRow(
            contexts[filled] as EventContext,
            values[filled] as ChangeEvent,
            tables[filled] as CompiledTable,
            payloads[filled] as Record<string, unknown>,
            options,
          );
        }
      } catch (error) {
        handOver(filled);
        throw error;
      }
      handOver(failedAt);
      if (failedAt < taken) throw failure;
    }
  }
  return count;
}

async function avroEvents(
  object: string,
  chunks: AsyncIterable<Uint8Array>,
  options: ReadOptions,
  sink: EventSink,
): Promise<number> {
  let convert: ((record: unknown) => unknown) | undefined;
  const batches = avroRecordBatches(object, chunks, (header) => {
    convert = datastreamRecordConverter(header.schema);
  });
  let count = 0;
  for await (const batch of batches) {
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
  const opened = await openObject(object, source);
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
): Promise<{ gzip: boolean; avro: boolean; head: Uint8Array; chunks: AsyncIterable<Uint8Array> }> {
  const raw = await peek(source, 4);
  const gzip = startsWith(raw.head, GZIP_MAGIC);
  const { head, chunks } = gzip ? await peek(gunzip(object, raw.chunks), 4) : raw;
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
): Promise<void> {
  for await (const batch of lineBatches(object, chunks)) {
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
): Promise<void> {
  let convert: ((record: unknown) => unknown) | undefined;
  const batches = avroRecordBatches(object, chunks, (header) => {
    visitor.avroSchema?.(header.schema);
    convert = datastreamRecordConverter(header.schema);
  });
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
): Promise<void> {
  const opened = await openObject(object, source);
  return opened.avro ? scanAvro(object, opened.chunks, visitor) : scanJsonl(object, opened.chunks, visitor);
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
