// Reads JSONL bytes twice, with and without the envelope scan (envelope-scan.wat), so tests and the
// fuzzer can check that the scan changes nothing: the same events, or the same error at the same line.

import type { ChangeEvent } from '../../shared/changes/change-event.js';
import { lineBatches } from '../../shared/datastream/byte-stream.js';
import type { EventOptions } from '../../shared/datastream/event.js';
import { LineSteps } from '../../shared/datastream/line-steps.js';

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
    for await (const batch of lineBatches(object, chunksOf(bytes, chunkSize), {
      scanNumbers: true,
      scanEnvelopes,
    })) {
      steps.read(batch);
    }
  } catch (error) {
    return { events, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  return { events, error: undefined };
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
