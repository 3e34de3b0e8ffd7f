// Read one Datastream object (JSONL, gzip JSONL or Avro) from a byte stream into validated
// ChangeEvents, in batches. The format is decided by the bytes (gzip and Avro magic numbers), not the
// name alone. Memory stays bounded: the stream is consumed chunk by chunk, one line or block at a time.

import type { ChangeEvent } from '../changes/change-event.js';
import { datastreamRecordConverter } from './avro-values.js';
import { avroRecordBatches } from './avro-container.js';
import { AVRO_MAGIC, GZIP_MAGIC, gunzip, lineBatches, peek, startsWith } from './byte-stream.js';
import { DatastreamReadError, DatastreamValidationError } from './errors.js';
import { toChangeEvent, type EventOptions } from './event.js';
import { JsonSyntaxError, parseJsonLossless } from './lossless-json.js';

const DATASTREAM_SUFFIXES = ['.jsonl', '.jsonl.gz', '.avro'];

/** True for object names Datastream writes (.jsonl, .jsonl.gz, .avro); anything else is ignored. */
export function isDatastreamObject(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower.endsWith('/')) return false;
  return DATASTREAM_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

export type ReadOptions = EventOptions;

/** Parse one JSONL line into a ChangeEvent (exported for tests and the fuzzer). */
export function parseJsonLine(
  object: string,
  lineNumber: number,
  line: string,
  options: ReadOptions,
): ChangeEvent {
  let value: unknown;
  try {
    value = parseJsonLossless(line);
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

async function* jsonlEvents(
  object: string,
  chunks: AsyncIterable<Uint8Array>,
  options: ReadOptions,
): AsyncGenerator<ChangeEvent[]> {
  for await (const batch of lineBatches(object, chunks)) {
    const events: ChangeEvent[] = [];
    const lines = batch.lines;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      // Blank lines (a trailing newline, an empty file) carry no event.
      if (line.length === 0 || line.trim().length === 0) continue;
      events.push(parseJsonLine(object, batch.firstLine + i, line, options));
    }
    if (events.length > 0) yield events;
  }
}

async function* avroEvents(
  object: string,
  chunks: AsyncIterable<Uint8Array>,
  options: ReadOptions,
): AsyncGenerator<ChangeEvent[]> {
  let convert: ((record: unknown) => unknown) | undefined;
  const batches = avroRecordBatches(object, chunks, (header) => {
    convert = datastreamRecordConverter(header.schema);
  });
  for await (const batch of batches) {
    const events: ChangeEvent[] = [];
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
          {
            cause: error,
          },
        );
      }
      events.push(toChangeEvent({ object, line }, event, options));
    });
    if (events.length > 0) yield events;
  }
}

/**
 * Stream the ChangeEvents of one Datastream object, in batches. Throws a DatastreamError (read or
 * validation) at the first problem; a caller that must not half-apply a file collects everything
 * first (the change-set builder does) and discards it on error.
 */
export async function* readChangeEventBatches(
  object: string,
  source: AsyncIterable<Uint8Array>,
  options: ReadOptions,
): AsyncGenerator<ChangeEvent[]> {
  const { head, chunks } = await peek(source, 4);
  if (startsWith(head, GZIP_MAGIC)) {
    const inflated = await peek(gunzip(object, chunks), 4);
    if (startsWith(inflated.head, AVRO_MAGIC)) yield* avroEvents(object, inflated.chunks, options);
    else yield* jsonlEvents(object, inflated.chunks, options);
    return;
  }
  if (startsWith(head, AVRO_MAGIC)) {
    yield* avroEvents(object, chunks, options);
    return;
  }
  if (object.toLowerCase().endsWith('.avro') && head.length > 0) {
    throw new DatastreamReadError({ object }, 'is named .avro but is not an Avro object container');
  }
  // A `.jsonl.gz` without the gzip magic was decompressed by transcoding on download: read it as JSONL.
  yield* jsonlEvents(object, chunks, options);
}

/** All events of an object (small objects, tests). */
export async function readChangeEvents(
  object: string,
  source: AsyncIterable<Uint8Array>,
  options: ReadOptions,
): Promise<ChangeEvent[]> {
  const out: ChangeEvent[] = [];
  for await (const batch of readChangeEventBatches(object, source, options)) out.push(...batch);
  return out;
}
