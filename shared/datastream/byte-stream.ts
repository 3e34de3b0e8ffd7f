// Byte-level plumbing for reading an object as a stream: peek at the first bytes (to detect gzip and
// Avro by their magic numbers, not the name: a `.jsonl.gz` may arrive already decompressed through
// transcoding, a `.jsonl` may be gzip), gunzip, and split UTF-8 text into lines without ever holding
// more than one chunk plus one partial line.

import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DatastreamReadError } from './errors.js';
import { riskyNumberScanner } from './risky-numbers.js';

export const GZIP_MAGIC = [0x1f, 0x8b] as const;
export const AVRO_MAGIC = [0x4f, 0x62, 0x6a, 0x01] as const; // "Obj" 1

export interface PeekedStream {
  /** The first bytes of the object (up to 4; fewer only if the object is shorter). */
  head: Uint8Array;
  /** The whole object, head included. */
  chunks: AsyncIterable<Uint8Array>;
}

/** Read just enough of a stream to see its first `count` bytes, without losing them. */
export async function peek(source: AsyncIterable<Uint8Array>, count = 4): Promise<PeekedStream> {
  const iterator = source[Symbol.asyncIterator]();
  const buffered: Uint8Array[] = [];
  let size = 0;
  let done = false;
  while (size < count) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    if (next.value.length === 0) continue;
    buffered.push(next.value);
    size += next.value.length;
  }
  const head = new Uint8Array(Math.min(size, count));
  let filled = 0;
  for (const chunk of buffered) {
    if (filled >= head.length) break;
    const part = chunk.subarray(0, head.length - filled);
    head.set(part, filled);
    filled += part.length;
  }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield* buffered;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, chunks: chunks() };
}

export function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  if (head.length < magic.length) return false;
  return magic.every((b, i) => head[i] === b);
}

/** Gunzip a stream (multi-member gzip included); a corrupt or truncated body is a DatastreamReadError. */
export async function* gunzip(object: string, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const input = Readable.from(source, { objectMode: false });
  const inflater = createGunzip();
  input.on('error', (error) => inflater.destroy(error));
  input.pipe(inflater);
  try {
    for await (const chunk of inflater) yield chunk as Uint8Array;
  } catch (error) {
    if (error instanceof DatastreamReadError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new DatastreamReadError({ object }, `gzip data is corrupt or truncated (${message})`, {
      cause: error,
    });
  } finally {
    input.destroy();
    inflater.destroy();
  }
}

/** A line's text without the carriage return of a CRLF ending. */
export function withoutCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

/** The read error of bytes that are not UTF-8, at the line that holds them. */
export function invalidUtf8(object: string, line: number, cause?: unknown): DatastreamReadError {
  return new DatastreamReadError(
    { object, line },
    'is not valid UTF-8',
    cause === undefined ? undefined : { cause },
  );
}

export interface LineBatch {
  /** 1-based number of the first line of the batch. */
  firstLine: number;
  /** The lines, without their terminator (a trailing \r is dropped too). */
  lines: string[];
  /**
   * Asked for with `scanNumbers`, where the runtime can scan: one flag per line, 0 when JSON.parse
   * keeps every number of the line exactly, 1 when some number may need the exact parser (or the
   * line spans chunks and was not scanned whole). See risky-numbers.ts.
   */
  riskyNumbers?: Uint8Array;
  /**
   * Only from scannedLineBatches (scanned-lines.ts): RECORD_INTS fields per line, from the first, read by
   * envelope-scan.wat (see envelope-scan.ts). A line whose record's status is 1 has '' in `lines` and is
   * read from `bytes`; its `riskyNumbers` flag covers its payload only. Other lines are as usual.
   */
  envelopes?: Int32Array;
  /** With `envelopes`: the chunk's bytes, which the records' byte offsets point into. */
  bytes?: Buffer;
}

export interface LineOptions {
  /** Scan the bytes for numbers a double may not hold (LineBatch.riskyNumbers). */
  scanNumbers?: boolean;
}

/**
 * Split a UTF-8 byte stream into lines, in batches (one per chunk) so the caller pays one await per
 * chunk, not per line. Invalid UTF-8 is an error, never silently replaced.
 */
export async function* lineBatches(
  object: string,
  source: AsyncIterable<Uint8Array>,
  options: LineOptions = {},
): AsyncGenerator<LineBatch> {
  const scanner = options.scanNumbers ? riskyNumberScanner() : undefined;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let partial: string[] = [];
  let lineNumber = 1;
  const decode = (chunk: Uint8Array | undefined): string => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch (error) {
      throw invalidUtf8(object, lineNumber, error);
    }
  };
  /**
   * The complete lines of `text` (all of it when `final`); the rest waits in `partial`. `risky` holds
   * the chunk's risky line indexes (ascending) when its bytes were scanned.
   */
  const split = (text: string, final: boolean, risky: Int32Array | undefined): LineBatch | undefined => {
    let newline = text.indexOf('\n');
    if (newline < 0 && !final) {
      if (text.length > 0) partial.push(text);
      return undefined;
    }
    const lines: string[] = [];
    const firstLine = lineNumber;
    const firstBeganEarlier = partial.length > 0;
    let start = 0;
    while (newline >= 0) {
      let line = text.slice(start, newline);
      if (partial.length > 0) {
        partial.push(line);
        line = partial.join('');
        partial = [];
      }
      lines.push(withoutCr(line));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    const completed = lines.length;
    const rest = text.slice(start);
    if (final) {
      partial.push(rest);
      const last = partial.join('');
      partial = [];
      if (last.length > 0) lines.push(withoutCr(last));
    } else if (rest.length > 0) {
      partial.push(rest);
    }
    lineNumber += lines.length;
    if (!scanner) return { firstLine, lines };
    // Line k of the chunk is the k-th line completed here (newlines are the same bytes in the text).
    // Flagged whatever the scan says: a line that began in an earlier chunk, scanned in parts, and the
    // object's last line if it has no newline.
    const flags = new Uint8Array(lines.length);
    if (risky === undefined) flags.fill(1);
    else
      for (let i = 0; i < risky.length && (risky[i] as number) < completed; i++)
        flags[risky[i] as number] = 1;
    if (firstBeganEarlier && lines.length > 0) flags[0] = 1;
    if (lines.length > completed) flags[completed] = 1;
    return { firstLine, lines, riskyNumbers: flags };
  };
  for await (const chunk of source) {
    // Scanned as bytes, before decoding; the decoder holds back only an incomplete character, never a
    // newline, so the chunk's lines are the same in both.
    const risky = scanner?.riskyLines(chunk);
    const batch = split(decode(chunk), false, risky);
    if (batch && batch.lines.length > 0) yield batch;
  }
  const batch = split(decode(undefined), true, undefined);
  if (batch && batch.lines.length > 0) yield batch;
}
