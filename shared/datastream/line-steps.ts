// JSONL lines to validated ChangeEvents, 64 lines at a time through each step: the envelopes the scan
// recognized read from its records (envelope-scan.wat), then all parsed (the payload alone where the
// envelope was read), then the other envelopes validated, then all payloads, then all handed over.
// One line at a time, the code of every step (JSON.parse, validation, coercion, the sink's encoding)
// ran for each event and no longer fitted the processor's instruction cache; in steps each one's code
// stays hot: fewer instruction- and data-cache misses and less ingest CPU time, as cachegrind showed
// (README.md, Measured). 64 lines are few enough that the parsed lines still die young
// (holding a whole chunk's lines alive made the garbage collector copy them all).

import type { ChangeEvent } from '../changes/change-event.js';
import type { LineBatch } from './byte-stream.js';
import { Field, RECORD_INTS } from './envelope-scan.js';
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
import { ScannedEnvelopes, scannedLineText } from './scanned-envelope.js';
import type { CompiledTable } from './table.js';

/** Receives each event as soon as it is read; it should not keep the event object (copy what it needs). */
export type EventSink = (event: ChangeEvent) => void;

const STEP_LINES = 64;
const EXACT = 0;
const SCANNED = 1;

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
  /** SCANNED where the line's envelope was read from the scan's record, else EXACT. */
  private readonly kinds = new Uint8Array(STEP_LINES);
  /** Where the record of a SCANNED line starts in the batch's envelopes. */
  private readonly recordAt = new Int32Array(STEP_LINES);
  /** Where the payload starts in a SCANNED line's text (which begins at its uuid). */
  private readonly payloadOffsets = new Int32Array(STEP_LINES);
  /** 1 where the line may hold a number JSON.parse would not keep exactly. */
  private readonly riskyNumbers = new Uint8Array(STEP_LINES);
  private readonly parts: EnvelopeParts = { table: undefined, payload: undefined };
  private readonly scanned: ScannedEnvelopes;

  constructor(
    private readonly object: string,
    private readonly options: EventOptions,
    private readonly sink: EventSink,
  ) {
    this.scanned = new ScannedEnvelopes(options);
  }

  /** Read a batch of lines; returns how many events were handed over. Throws at the first bad line. */
  read(batch: LineBatch): number {
    const { lines, riskyNumbers } = batch;
    let count = 0;
    for (let from = 0; from < lines.length; from += STEP_LINES) {
      count += this.step(batch, from, Math.min(lines.length, from + STEP_LINES), riskyNumbers);
    }
    return count;
  }

  private step(batch: LineBatch, from: number, to: number, risky: Uint8Array | undefined): number {
    const {
      values,
      contexts,
      texts,
      tables,
      payloads,
      kinds,
      recordAt,
      payloadOffsets,
      riskyNumbers,
      parts,
      object,
      options,
    } = this;
    const records = batch.envelopes;
    const bytes = batch.bytes as Buffer;
    let taken = 0;
    // The envelopes the scan recognized (envelope-scan.wat): their events are read from its records.
    for (let i = from; i < to; i++) {
      const at = i * RECORD_INTS;
      const recognized = records !== undefined && at < records.length && records[at + Field.status] === 1;
      let line = batch.lines[i] as string;
      // Blank lines (a trailing newline, an empty file) carry no event.
      if (!recognized && (line.length === 0 || (line.charCodeAt(0) <= 0x20 && line.trim().length === 0))) {
        continue;
      }
      const context: EventContext = { object, line: batch.firstLine + i };
      contexts[taken] = context;
      riskyNumbers[taken] = risky === undefined || risky[i] !== 0 ? 1 : 0;
      kinds[taken] = EXACT;
      if (recognized) {
        const event = this.scanned.read(context, bytes, records, at, parts);
        if (event !== undefined) {
          values[taken] = event;
          tables[taken] = parts.table;
          recordAt[taken] = at;
          payloadOffsets[taken] = this.scanned.payloadOffset;
          line = this.scanned.text;
          kinds[taken] = SCANNED;
        } else {
          line = scannedLineText(bytes, records, at);
          riskyNumbers[taken] = 1; // its flag covered the payload only
        }
      }
      texts[taken] = line;
      taken++;
    }
    // JSON: the payload alone after a scanned envelope, the whole line otherwise (and where the payload
    // is not a JSON object: the exact path words the error).
    for (let j = 0; j < taken; j++) {
      if (kinds[j] === SCANNED) {
        const at = recordAt[j] as number;
        const payload = this.scanned.payload(
          texts[j] as string,
          payloadOffsets[j] as number,
          riskyNumbers[j] === 1,
        );
        if (payload !== undefined) {
          payloads[j] = payload;
          continue;
        }
        kinds[j] = EXACT;
        texts[j] = scannedLineText(bytes, records as Int32Array, at);
        riskyNumbers[j] = 1; // its flag covered the payload only
      }
      const line = texts[j] as string;
      try {
        values[j] = parseJsonLossless(line, riskyNumbers[j] === 0);
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
      if (kinds[j] === SCANNED) continue;
      const context = contexts[j] as EventContext;
      try {
        const value = values[j];
        if (value instanceof DatastreamReadError) throw value; // JSON.parse never makes one
        values[j] = readEnvelope(context, value, options, parts);
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
