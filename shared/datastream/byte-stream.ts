// Byte-level plumbing for reading an object as a stream: peek at the first bytes (to detect gzip and
// Avro by their magic numbers, not the name: a `.jsonl.gz` may arrive already decompressed through
// transcoding, a `.jsonl` may be gzip), gunzip, and split UTF-8 text into lines without ever holding
// more than one chunk plus one partial line.

import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DatastreamReadError } from './errors.js';

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

export interface LineBatch {
  /** 1-based number of the first line of the batch. */
  firstLine: number;
  /** The lines, without their terminator (a trailing \r is dropped too). */
  lines: string[];
}

/**
 * Split a UTF-8 byte stream into lines, in batches (one per chunk) so the caller pays one await per
 * chunk, not per line. Invalid UTF-8 is an error, never silently replaced.
 */
export async function* lineBatches(
  object: string,
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<LineBatch> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let partial: string[] = [];
  let lineNumber = 1;
  const decode = (chunk: Uint8Array | undefined): string => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch (error) {
      throw new DatastreamReadError({ object, line: lineNumber }, 'is not valid UTF-8', { cause: error });
    }
  };
  const split = (text: string, final: boolean): LineBatch | undefined => {
    let newline = text.indexOf('\n');
    if (newline < 0 && !final) {
      if (text.length > 0) partial.push(text);
      return undefined;
    }
    const lines: string[] = [];
    const firstLine = lineNumber;
    let start = 0;
    while (newline >= 0) {
      let line = text.slice(start, newline);
      if (partial.length > 0) {
        partial.push(line);
        line = partial.join('');
        partial = [];
      }
      lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    const rest = text.slice(start);
    if (final) {
      partial.push(rest);
      const last = partial.join('');
      partial = [];
      if (last.length > 0) lines.push(last.endsWith('\r') ? last.slice(0, -1) : last);
    } else if (rest.length > 0) {
      partial.push(rest);
    }
    lineNumber += lines.length;
    return { firstLine, lines };
  };
  for await (const chunk of source) {
    const batch = split(decode(chunk), false);
    if (batch && batch.lines.length > 0) yield batch;
  }
  const batch = split(decode(undefined), true);
  if (batch && batch.lines.length > 0) yield batch;
}
