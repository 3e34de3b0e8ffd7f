// JSONL bytes → line batches for the validating read, with each line's envelope read by
// envelope-scan.wat. A line whose envelope the scan recognized is not decoded at all here: its event is
// read from the scan's record and its payload decoded from the chunk's bytes (scanned-envelope.ts), so
// most of a Datastream line never becomes a string. Every other line is decoded as it is. Decoding the
// payloads alone costs much less than decoding every chunk (README.md, Measured), and no string of a
// whole chunk is made for the garbage collector.
//
// UTF-8 is still checked for every byte: each chunk's complete lines at once (`isUtf8`, native), a
// line split across chunks when it is whole. Invalid UTF-8 is an error naming its line.

import { isUtf8 } from 'node:buffer';
import { invalidUtf8, lineBatches, withoutCr, type LineBatch } from './byte-stream.js';
import { EnvelopeScanner, Field, RECORD_INTS } from './envelope-scan.js';
import { riskyNumberScanner } from './risky-numbers.js';

const BOM = [0xef, 0xbb, 0xbf] as const;

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * The lines of a JSONL object, in batches (one per chunk), each with `envelopes` and `bytes`. In a
 * batch, `lines[i]` is the line's text unless its record's status is 1: then it is '' and the line is
 * read from `bytes` through the record. Without WebAssembly SIMD, lineBatches' plain batches.
 */
export async function* scannedLineBatches(
  object: string,
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<LineBatch> {
  const scanner = riskyNumberScanner();
  if (!scanner) {
    // No WebAssembly SIMD, so no scan at all: every line takes the exact path.
    yield* lineBatches(object, source);
    return;
  }
  const envelopes = new EnvelopeScanner(scanner);
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  /** The bytes of a line that began in an earlier chunk. */
  let partial: Buffer[] = [];
  let lineNumber = 1;
  const decodeWhole = (parts: Buffer[]): string => {
    try {
      return decoder.decode(parts.length === 1 ? parts[0] : Buffer.concat(parts));
    } catch (error) {
      throw invalidUtf8(object, lineNumber, error);
    }
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
      // A byte order mark is not part of the first line (TextDecoder drops it too).
      if (BOM.every((b, i) => chunk[i] === b)) chunk = chunk.subarray(BOM.length);
      if (chunk.length === 0) continue;
    }
    scanner.load(chunk);
    const records = envelopes.envelopes();
    const count = records.length / RECORD_INTS;
    if (count === 0) {
      partial.push(chunk);
      continue;
    }
    const lines = new Array<string>(count);
    const risky = new Uint8Array(count);
    let from = 0;
    if (partial.length > 0) {
      // The first line began in an earlier chunk: its record describes only its end.
      partial.push(chunk.subarray(0, records[Field.newlineByte]));
      lines[0] = withoutCr(decodeWhole(partial));
      partial = [];
      records[Field.status] = 0;
      risky[0] = 1;
      from = 1;
    }
    const last = (count - 1) * RECORD_INTS;
    const checkedFrom = from === 0 ? 0 : (records[Field.newlineByte] as number) + 1;
    const checkedTo = records[last + Field.newlineByte] as number;
    if (checkedFrom < checkedTo && !isUtf8(chunk.subarray(checkedFrom, checkedTo))) {
      for (let k = from; k < count; k++) {
        const at = k * RECORD_INTS;
        const line = chunk.subarray(records[at + Field.lineStartByte], records[at + Field.newlineByte]);
        if (!isUtf8(line)) throw invalidUtf8(object, lineNumber + k);
      }
    }
    for (let k = from; k < count; k++) {
      const at = k * RECORD_INTS;
      if (records[at + Field.status] === 1) {
        lines[k] = '';
        risky[k] = records[at + Field.riskyNumbers] as number;
      } else {
        const start = records[at + Field.lineStartByte] as number;
        lines[k] = withoutCr(chunk.toString('utf8', start, records[at + Field.newlineByte]));
        risky[k] = 1;
      }
    }
    if (checkedTo + 1 < chunk.length) partial.push(chunk.subarray(checkedTo + 1));
    yield { firstLine: lineNumber, lines, riskyNumbers: risky, envelopes: records, bytes: chunk };
    lineNumber += count;
  }
  if (head !== undefined && head.length > 0) partial.push(head); // an object of one or two bytes
  if (partial.length > 0) {
    // The last line, without a newline after it.
    const text = withoutCr(decodeWhole(partial));
    if (text.length > 0) {
      yield {
        firstLine: lineNumber,
        lines: [text],
        riskyNumbers: Uint8Array.of(1),
        envelopes: new Int32Array(0),
        bytes: Buffer.alloc(0),
      };
    }
  }
}
