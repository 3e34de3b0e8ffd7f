// Reads JSONL bytes twice, with and without the envelope scan (envelope-scan.wat), so tests and the
// fuzzer can check that the scan changes nothing: the same events, or the same error at the same line.
// One difference is by design: invalid UTF-8. Without the scan a chunk is decoded whole, before any of
// its lines is read, and the error names the chunk's first line; with it, lines are checked as they are
// read and the error names the line that holds the bad bytes, unless an earlier line fails first.

import { isDeepStrictEqual } from 'node:util';
import type { ChangeEvent } from '../../shared/changes/change-event.js';
import { lineBatches } from '../../shared/datastream/byte-stream.js';
import type { EventOptions } from '../../shared/datastream/event.js';
import { LineSteps } from '../../shared/datastream/line-steps.js';
import { scannedLineBatches } from '../../shared/datastream/scanned-lines.js';

export interface ReadOutcome {
  events: ChangeEvent[];
  /** The error's class and message, or undefined when every line was read. */
  error: string | undefined;
}

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function readJsonl(
  object: string,
  bytes: Uint8Array,
  options: EventOptions,
  chunkSize: number,
  scanEnvelopes: boolean,
): Promise<ReadOutcome> {
  const events: ChangeEvent[] = [];
  const steps = new LineSteps(object, options, (event) => events.push(event));
  try {
    const chunks = chunksOf(bytes, chunkSize);
    for await (const batch of scanEnvelopes
      ? scannedLineBatches(object, chunks)
      : lineBatches(object, chunks, { scanNumbers: true })) {
      steps.read(batch);
    }
  } catch (error) {
    return { events, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  return { events, error: undefined };
}

const INVALID_UTF8 = /^DatastreamReadError: .*:\d+: is not valid UTF-8$/;

/**
 * Whether two reads agree. Where the read without the scan refused invalid UTF-8, the scanned read must
 * fail too (at that line or an earlier bad one); it may refuse invalid UTF-8 only if the other did.
 */
export function sameOutcome(scanned: ReadOutcome, exact: ReadOutcome): boolean {
  const scannedUtf8 = scanned.error !== undefined && INVALID_UTF8.test(scanned.error);
  const exactUtf8 = exact.error !== undefined && INVALID_UTF8.test(exact.error);
  if (exactUtf8) return scanned.error !== undefined;
  if (scannedUtf8) return false;
  return isDeepStrictEqual(scanned, exact);
}

/** The outcome of reading `bytes` as JSONL with the envelope scan, and with the exact path alone. */
export async function readBothWays(
  object: string,
  bytes: Uint8Array,
  options: EventOptions,
  chunkSize = Math.max(1, bytes.length),
): Promise<{ scanned: ReadOutcome; exact: ReadOutcome }> {
  return {
    scanned: await readJsonl(object, bytes, options, chunkSize, true),
    exact: await readJsonl(object, bytes, options, chunkSize, false),
  };
}
