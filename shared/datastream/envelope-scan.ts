// The records envelope-scan.wat writes for the lines of a chunk: for each complete line, whether the
// scan recognized its envelope and, if so, where the values the engine keeps sit in the line. Read by
// ScannedEnvelopes (scanned-envelope.ts); a line without a recognized record takes the exact path.

import { ENVELOPE_SCAN_WASM } from './envelope-scan-wasm.js';
import { INPUT_OFFSET, PAGE_BYTES, type RiskyNumberScanner } from './risky-numbers.js';

/** Int32 fields per line (the WebAssembly writes 128-byte records). */
export const RECORD_INTS = 32;

/** Field indexes in a record. Text offsets count from the line's first character. */
export const Field = {
  /** 1 when the envelope was recognized; every other field is meaningful only then. */
  status: 0,
  /** Where the payload's JSON value starts; it ends before the line's last character ("}"). */
  payloadStart: 1,
  uuidStart: 2,
  uuidEnd: 3,
  /** The source timestamp in ms, a float64 over this field and the next (Float64 index `at / 2 + 2`). */
  sourceTimestampMs: 4,
  /** 1 for a backfill read method, 2 for a CDC one. */
  readMethod: 6,
  schemaStart: 7,
  schemaEnd: 8,
  tableStart: 9,
  tableEnd: 10,
  /** 0 when is_deleted is absent or null, 1 when false, 2 when true. */
  isDeleted: 11,
  /** Index of the change type in CHANGE_TYPES (0 also when it is absent or null). */
  changeType: 12,
  /** 0 when the LSN is absent, null or empty; 1 when it is HI/LO, in the next two fields (unsigned). */
  lsnKind: 13,
  lsnHigh: 14,
  lsnLow: 15,
  /** 1 when the payload may hold a number JSON.parse would not keep exactly (risky-numbers.wat). */
  riskyNumbers: 16,
  /** Where the envelope's closing "}" is, in bytes from the line's first byte. */
  closeByte: 17,
  /** Where the line starts and where its newline is, in bytes from the chunk's first byte. */
  lineStartByte: 18,
  newlineByte: 19,
} as const;

let compiled: WebAssembly.Module | undefined;

function scanModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(new Uint8Array(Buffer.from(ENVELOPE_SCAN_WASM, 'base64')));
  return compiled;
}

/** Reads the envelopes of the chunk a RiskyNumberScanner last loaded, in that scanner's memory. */
export class EnvelopeScanner {
  private readonly read: (input: number, from: number, end: number, out: number, capacity: number) => number;
  private readonly resume: WebAssembly.Global;

  constructor(private readonly chunk: RiskyNumberScanner) {
    const instance = new WebAssembly.Instance(scanModule(), {
      chunk: { memory: chunk.memory, riskyRange: chunk.riskyRange },
    });
    this.read = instance.exports.envelopes as typeof this.read;
    this.resume = instance.exports.resume as WebAssembly.Global;
  }

  /**
   * One record per line of the chunk that ends with a newline, in order (a copy, so it outlives the
   * next chunk). The text after the last newline has none.
   */
  envelopes(): Int32Array {
    const { memory, inputEnd } = this.chunk;
    const out = (this.chunk.freeFrom + 63) & ~63;
    // Room for lines of 256 bytes on average, doubled while the lines are shorter.
    let capacity = ((inputEnd - INPUT_OFFSET) >> 8) + 16;
    let count = 0;
    let from = INPUT_OFFSET;
    for (;;) {
      const needed = out + capacity * RECORD_INTS * 4;
      const have = memory.buffer.byteLength;
      if (needed > have) memory.grow(Math.ceil((needed - have) / PAGE_BYTES));
      count += this.read(INPUT_OFFSET, from, inputEnd, out + count * RECORD_INTS * 4, capacity - count);
      from = this.resume.value as number;
      if (count < capacity) break;
      capacity *= 2;
    }
    return new Int32Array(memory.buffer.slice(out, out + count * RECORD_INTS * 4));
  }
}
