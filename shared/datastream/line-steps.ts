// JSONL lines to validated ChangeEvents, 64 lines at a time through each step: all parsed, then all
// envelopes validated, then all payloads, then all handed over. One line at a time, the code of every
// step (JSON.parse, validation, coercion, the sink's encoding) ran for each event and no longer fitted
// the processor's instruction cache; in steps each one's code stays hot: fewer instruction- and
// data-cache misses and less ingest CPU time, as cachegrind showed (README.md, Measured). 64 lines are
// few enough that the parsed lines still die young (holding a whole chunk's lines alive made the
// garbage collector copy them all).

import type { ChangeEvent } from '../changes/change-event.js';
import type { LineBatch } from './byte-stream.js';
import { DatastreamReadError } from './errors.js';
import {
  fillRow,
  readEnvelope,
  toChangeEvent,
  type EnvelopeParts,
  type EventContext,
  type EventOptions,
} from './event.js';
import { JsonSyntaxError, parseJsonLossless } from './lossless-json.js';
import { checkValueSizes, readLimits, type ReadLimits } from './read-limits.js';
import type { CompiledTable } from './table.js';

/** Receives each event as soon as it is read; it should not keep the event object (copy what it needs). */
export type EventSink = (event: ChangeEvent) => void;

const STEP_LINES = 64;

/** The read error of a line that is not JSON, with the text around the offset the parser stopped at. */
function notJsonError(
  object: string,
  line: number,
  text: string,
  error: JsonSyntaxError,
): DatastreamReadError {
  return new DatastreamReadError(
    { object, line, value: JSON.stringify(text.slice(Math.max(0, error.offset - 20), error.offset + 20)) },
    `is not valid JSON (${error.message})`,
    { cause: error },
  );
}

/** Parse one JSONL line into a ChangeEvent (exported for tests and the fuzzer). */
export function parseJsonLine(
  object: string,
  lineNumber: number,
  line: string,
  options: EventOptions,
): ChangeEvent {
  let value: unknown;
  try {
    value = parseJsonLossless(line);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw notJsonError(object, lineNumber, line, error);
    throw error;
  }
  return toChangeEvent({ object, line: lineNumber }, value, options);
}

/**
 * The lines of one object, batch after batch. A plain class with a synchronous `read`, so the hot loops
 * are compiled as such rather than inside the reader's async generator.
 */
export class LineSteps {
  private readonly values = new Array<unknown>(STEP_LINES).fill(undefined);
  private readonly contexts = new Array<EventContext | undefined>(STEP_LINES).fill(undefined);
  private readonly texts = new Array<string>(STEP_LINES).fill('');
  private readonly tables = new Array<CompiledTable | undefined>(STEP_LINES).fill(undefined);
  private readonly payloads = new Array<Record<string, unknown> | undefined>(STEP_LINES).fill(undefined);
  private readonly parts: EnvelopeParts = { table: undefined, payload: undefined };

  /** Lines longer than this (UTF-16 units) may hold a value beyond the value limit: checked. */
  private readonly checkValuesFrom: number;

  constructor(
    private readonly object: string,
    private readonly options: EventOptions,
    private readonly sink: EventSink,
    private readonly limits: ReadLimits = readLimits(),
  ) {
    // A value of more than n UTF-8 bytes takes more than n / 3 UTF-16 units.
    this.checkValuesFrom = Math.floor(limits.maxValueBytes / 3);
  }

  /** Read a batch of lines; returns how many events were handed over. Throws at the first bad line. */
  read(batch: LineBatch): number {
    let count = 0;
    for (let from = 0; from < batch.lines.length; from += STEP_LINES) {
      count += this.step(batch, from, Math.min(batch.lines.length, from + STEP_LINES));
    }
    return count;
  }

  private step(batch: LineBatch, from: number, to: number): number {
    const { values, contexts, texts, tables, payloads, parts, object, options } = this;
    let taken = 0;
    for (let i = from; i < to; i++) {
      const line = batch.lines[i] as string;
      // Blank lines (a trailing newline, an empty file) carry no event.
      if (line.length === 0 || (line.charCodeAt(0) <= 0x20 && line.trim().length === 0)) continue;
      contexts[taken] = { object, line: batch.firstLine + i };
      texts[taken] = line;
      taken++;
    }
    // JSON.parse in a loop of its own: interleaved with validation, it missed the instruction cache
    // more often (README.md, Measured).
    for (let j = 0; j < taken; j++) {
      const line = texts[j] as string;
      try {
        values[j] = parseJsonLossless(line);
      } catch (error) {
        if (!(error instanceof JsonSyntaxError)) throw error;
        // Kept, not thrown: an earlier line of the step may fail validation, and it is reported first.
        values[j] = notJsonError(object, (contexts[j] as EventContext).line, line, error);
      }
    }
    // Validated in two passes, the fields outside the payload for every line, then the payloads. The
    // first bad line is still the one reported: the first pass stops at its first failure, the second
    // covers the lines before it, and the events before the bad line are handed over first, as when
    // lines went one at a time.
    let failedAt = taken;
    let failure: unknown;
    for (let j = 0; j < taken; j++) {
      const context = contexts[j] as EventContext;
      try {
        const value = values[j];
        if (value instanceof DatastreamReadError) throw value; // JSON.parse never makes one
        values[j] = readEnvelope(context, value, options, parts);
        tables[j] = parts.table;
        payloads[j] = parts.payload;
        if ((texts[j] as string).length > this.checkValuesFrom) {
          checkValueSizes(context, parts.payload as Record<string, unknown>, this.limits);
        }
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
      this.handOver(filled);
      throw error;
    }
    this.handOver(failedAt);
    if (failedAt < taken) throw failure;
    return taken;
  }

  private handOver(upTo: number): void {
    const { values, payloads, contexts, texts, sink } = this;
    for (let j = 0; j < upTo; j++) {
      const event = values[j] as ChangeEvent;
      values[j] = undefined;
      payloads[j] = undefined;
      contexts[j] = undefined;
      texts[j] = '';
      sink(event);
    }
  }
}
