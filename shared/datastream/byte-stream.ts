// Byte-level plumbing for reading an object as a stream: peek at the first bytes (to detect gzip and
// Avro by their magic numbers, not the name: a `.jsonl.gz` may arrive already decompressed through
// transcoding, a `.jsonl` may be gzip), gunzip, and split UTF-8 text into lines without ever holding
// more than one chunk plus one partial line.

import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DatastreamReadError } from './errors.js';
import { overLimit, readLimits, type ReadLimits } from './read-limits.js';

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

/**
 * Gunzip a stream (multi-member gzip included); a corrupt or truncated body is a DatastreamReadError, and
 * so is one that inflates to more than maxDecompressedBytes.
 */
export async function* gunzip(
  object: string,
  source: AsyncIterable<Uint8Array>,
  limits: ReadLimits = readLimits(),
): AsyncGenerator<Uint8Array> {
  const input = Readable.from(source, { objectMode: false });
  const inflater = createGunzip();
  input.on('error', (error) => inflater.destroy(error));
  input.pipe(inflater);
  let inflated = 0;
  try {
    for await (const chunk of inflater) {
      inflated += (chunk as Uint8Array).length;
      if (inflated > limits.maxDecompressedBytes) {
        throw overLimit({ object }, 'the inflated object', limits, 'maxDecompressedBytes');
      }
      yield chunk as Uint8Array;
    }
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
function withoutCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

/** The read error of bytes that are not UTF-8, at the line that holds them. */
function invalidUtf8(object: string, line: number): DatastreamReadError {
  return new DatastreamReadError({ object, line }, 'is not valid UTF-8');
}

export interface LineBatch {
  /** 1-based number of the first line of the batch. */
  firstLine: number;
  /** The lines, without their terminator (a trailing \r is dropped too). */
  lines: string[];
}

const BOM = [0xef, 0xbb, 0xbf] as const;
const NEWLINE = 0x0a;

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** The lines of `text` (which holds no partial line), pushed onto `lines` without their CR. */
function splitInto(lines: string[], text: string): void {
  let start = 0;
  for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
    lines.push(withoutCr(text.slice(start, newline)));
    start = newline + 1;
  }
  lines.push(withoutCr(text.slice(start)));
}

/**
 * Split a UTF-8 byte stream into lines, in batches (one per chunk) so the caller pays one await per
 * chunk, not per line. The bytes are cut at newlines before they are decoded (a newline byte is never
 * part of a multi-byte character), so a chunk's complete lines are checked (`isUtf8`, native) and
 * decoded at once, and a line that spans chunks once it is whole. Invalid UTF-8 is an error naming the
 * line that holds it, never silently replaced; the lines before it are handed over first, so the
 * error is the same whatever the chunk sizes. A byte order mark before the first line is dropped. A
 * line of more than maxLineBytes (a CR before its newline counted) is an error naming it, raised
 * before it is held whole.
 */
export async function* lineBatches(
  object: string,
  source: AsyncIterable<Uint8Array>,
  limits: ReadLimits = readLimits(),
): AsyncGenerator<LineBatch> {
  const maxLine = limits.maxLineBytes;
  /** The bytes of a line that began in an earlier chunk, and how many there are. */
  let partial: Buffer[] = [];
  let partialBytes = 0;
  let lineNumber = 1;
  const tooLong = (line: number) => overLimit({ object, line }, 'the line', limits, 'maxLineBytes');
  /** Keep the start of a line that goes on in the next chunk. */
  const keep = (bytes: Buffer): void => {
    partialBytes += bytes.length;
    if (partialBytes > maxLine) throw tooLong(lineNumber);
    partial.push(bytes);
  };
  const decodeWhole = (parts: Buffer[]): string => {
    const bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    if (!isUtf8(bytes)) throw invalidUtf8(object, lineNumber);
    return withoutCr(bytes.toString('utf8'));
  };
  /** The object's first bytes, until there are enough to see a byte order mark. */
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const raw of source) {
    if (raw.length === 0) continue;
    let chunk = asBuffer(raw);
    if (head !== undefined) {
      chunk = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (chunk.length < BOM.length) {
        head = chunk;
        continue;
      }
      head = undefined;
      if (BOM.every((b, i) => chunk[i] === b)) chunk = chunk.subarray(BOM.length);
      if (chunk.length === 0) continue;
    }
    const first = chunk.indexOf(NEWLINE);
    if (first < 0) {
      keep(chunk);
      continue;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    keep(chunk.subarray(0, first));
    const lines = [decodeWhole(partial)];
    partial = [];
    partialBytes = 0;
    if (first < last) {
      const middle = chunk.subarray(first + 1, last);
      // A chunk larger than the limit may hold a line beyond it: then, as for invalid UTF-8, the lines
      // are taken one by one, and those before the bad one are handed over before it is named.
      if (middle.length <= maxLine && isUtf8(middle)) splitInto(lines, middle.toString('utf8'));
      else {
        for (let start = 0; start <= middle.length;) {
          const end = middle.indexOf(NEWLINE, start);
          const line = middle.subarray(start, end < 0 ? middle.length : end);
          const bad =
            line.length > maxLine ? tooLong : isUtf8(line) ? undefined : invalidUtf8.bind(null, object);
          if (bad) {
            yield { firstLine: lineNumber, lines };
            throw bad(lineNumber + lines.length);
          }
          lines.push(withoutCr(line.toString('utf8')));
          start = line.length + start + 1;
        }
      }
    }
    yield { firstLine: lineNumber, lines };
    lineNumber += lines.length;
    if (last + 1 < chunk.length) keep(chunk.subarray(last + 1));
  }
  if (head !== undefined && head.length > 0) partial.push(head); // an object of one or two bytes
  if (partial.length > 0) {
    // The last line, without a newline after it.
    const text = decodeWhole(partial);
    if (text.length > 0) yield { firstLine: lineNumber, lines: [text] };
  }
}
