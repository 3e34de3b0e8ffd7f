// Which lines of a chunk of JSONL bytes hold a number that JSON.parse may not keep exactly: the
// WebAssembly scan of risky-numbers.wat, which finds the same tokens as the regex of lossless-json.ts
// for a fraction of its cost (README.md, Measured).
// A line it does not name goes straight to JSON.parse; a line it names takes the exact path. The same
// check of one byte range (riskyRange) is what the envelope scan (envelope-scan.wat) asks of each
// payload it finds, with the chunk loaded here (`load`) once for both.

import { RISKY_NUMBERS_WASM } from './risky-numbers-wasm.js';

/** Bytes before the input that stay zero: every look back of the scan stops there. */
export const INPUT_OFFSET = 16;
/** Zero bytes after the input: the last block's look ahead reads them. */
const ZERO_PADDING = 32;
export const PAGE_BYTES = 65536;

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null where the runtime cannot run it (no WebAssembly SIMD). */
function scanModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = new Uint8Array(Buffer.from(RISKY_NUMBERS_WASM, 'base64'));
    compiled =
      typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return compiled;
}

/**
 * One scanner per stream being read: it owns its WebAssembly memory, grown to the largest chunk. The
 * envelope scan (envelope-scan.ts) reads the same copy of the chunk.
 */
export class RiskyNumberScanner {
  readonly memory: WebAssembly.Memory;
  private readonly scan: (length: number, out: number) => number;
  /** Where the last chunk's bytes end, and the first free address after the scan's output. */
  inputEnd = INPUT_OFFSET;
  freeFrom = INPUT_OFFSET;

  constructor(module: WebAssembly.Module) {
    const instance = new WebAssembly.Instance(module);
    this.memory = instance.exports.memory as WebAssembly.Memory;
    this.scan = instance.exports.scan as (length: number, out: number) => number;
    this.riskyRange = instance.exports.riskyRange;
  }

  /** The scan of one byte range (for the envelope scan, which imports it). */
  readonly riskyRange: unknown;

  /** Copy a chunk into the scanner's memory (what riskyLines and the envelope scan read). */
  load(chunk: Uint8Array): void {
    const inputEnd = INPUT_OFFSET + chunk.length;
    const out = (inputEnd + ZERO_PADDING + 3) & ~3;
    // At most one index per line, and a chunk of n bytes has at most n + 1 lines.
    const needed = out + 4 * (chunk.length + 1);
    const have = this.memory.buffer.byteLength;
    if (needed > have) this.memory.grow(Math.ceil((needed - have) / PAGE_BYTES));
    const bytes = new Uint8Array(this.memory.buffer);
    bytes.set(chunk, INPUT_OFFSET);
    bytes.fill(0, inputEnd, inputEnd + ZERO_PADDING);
    this.inputEnd = inputEnd;
    this.freeFrom = out;
  }

  /**
   * Indexes, within the chunk and in ascending order, of the lines that hold a risky number token:
   * line 0 ends at the chunk's first newline, the text after its last newline is one more line. A
   * line that spans chunks is seen in parts here, so the caller must treat it as risky itself. The
   * result is a view of the scanner's memory, valid until the next call.
   */
  riskyLines(chunk: Uint8Array): Int32Array {
    this.load(chunk);
    const out = this.freeFrom;
    const count = this.scan(chunk.length, out);
    this.freeFrom = out + 4 * count;
    return new Int32Array(this.memory.buffer, out, count);
  }
}

/** A scanner, or undefined where WebAssembly SIMD is not available (the caller then checks every line). */
export function riskyNumberScanner(): RiskyNumberScanner | undefined {
  const module = scanModule();
  return module ? new RiskyNumberScanner(module) : undefined;
}
