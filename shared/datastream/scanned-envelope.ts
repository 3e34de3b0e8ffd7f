// readEnvelope for a line whose envelope envelope-scan.wat recognized: the same event, built from the
// scan's record and the line's bytes, with JSON.parse (or the exact parser) run on the payload alone.
// It vouches only for what it can see is valid; any doubt (a change type that contradicts is_deleted,
// an unknown table, a payload that does not parse to an object) returns undefined, and the caller
// reads the line the exact way, which reports the problem as it always has. Everything before the
// payload is printable ASCII (the scan checked), so its bytes are read as Latin-1.

import { CHANGE_TYPES, type ChangeEvent, type ChangeOp, type TableRef } from '../changes/change-event.js';
import { withoutCr } from './byte-stream.js';
import { Field } from './envelope-scan.js';
import {
  envelopeEvent,
  isObject,
  lsnFromHalves,
  type EnvelopeParts,
  type EventContext,
  type EventOptions,
} from './event.js';
import { parseJsonLossless } from './lossless-json.js';
import type { CompiledTable } from './table.js';

type Slicer = (this: Buffer, start: number, end: number) => string;
const bufferMethods = Buffer.prototype as unknown as { utf8Slice?: Slicer; latin1Slice?: Slicer };
/**
 * Buffer's own decoders, without toString's argument checks and encoding lookup, which cost more than
 * the decoding itself on texts this short (README.md, Measured); toString where a runtime lacks them.
 */
const utf8Slice: Slicer =
  bufferMethods.utf8Slice ??
  function (this: Buffer, start: number, end: number) {
    return this.toString('utf8', start, end);
  };
const latin1Slice: Slicer =
  bufferMethods.latin1Slice ??
  function (this: Buffer, start: number, end: number) {
    return this.toString('latin1', start, end);
  };

/** True if `bytes[from..from + text.length)` are the characters of `text` (which is ASCII). */
function sameText(bytes: Buffer, from: number, to: number, text: string): boolean {
  if (to - from !== text.length) return false;
  for (let k = 0; k < text.length; k++) if (bytes[from + k] !== text.charCodeAt(k)) return false;
  return true;
}

/** Reads the scanned envelopes of one object; remembers the last table it read. */
export class ScannedEnvelopes {
  private schema = '';
  private name = '';
  private table: CompiledTable | undefined;
  /** The records last read from, and the same bytes as float64s (the source timestamps). */
  private records: Int32Array = new Int32Array(0);
  private millis: Float64Array = new Float64Array(0);
  /** Set by `read` for the line it read: its text from the uuid on, and where the payload starts in it. */
  text = '';
  payloadOffset = 0;

  constructor(private readonly options: EventOptions) {}

  /**
   * The event of the line whose record starts at `records[at]`, in `bytes`, with its table in `parts`;
   * or undefined when the exact path must read the line. The payload is read apart (`payload`).
   */
  read(
    ctx: EventContext,
    bytes: Buffer,
    records: Int32Array,
    at: number,
    parts: EnvelopeParts,
  ): ChangeEvent | undefined {
    const backfill = records[at + Field.readMethod] === 1;
    const changeType = CHANGE_TYPES[records[at + Field.changeType] as number];
    if (changeType === undefined || (changeType === '' && !backfill)) return undefined;
    const isDeleted = records[at + Field.isDeleted];
    const typeSaysDelete = changeType === 'DELETE' || changeType === 'UPDATE-DELETE';
    // is_deleted must agree with the change type (event.ts words the error).
    if (isDeleted === 2 ? changeType !== '' && !typeSaysDelete : isDeleted === 1 && typeSaysDelete) {
      return undefined;
    }
    const op: ChangeOp = isDeleted === 2 || typeSaysDelete ? 'delete' : 'upsert';

    if (records !== this.records) {
      this.records = records;
      this.millis = new Float64Array(records.buffer, records.byteOffset, records.length >> 1);
    }
    const sourceTsMs = this.millis[(at + Field.sourceTimestampMs) >> 1] as number;
    const lsn =
      records[at + Field.lsnKind] === 0
        ? 0n
        : lsnFromHalves(
            (records[at + Field.lsnHigh] as number) >>> 0,
            (records[at + Field.lsnLow] as number) >>> 0,
          );

    const start = records[at + Field.lineStartByte] as number;
    const table = this.tableOf(
      bytes,
      start + (records[at + Field.schemaStart] as number),
      start + (records[at + Field.schemaEnd] as number),
      start + (records[at + Field.tableStart] as number),
      start + (records[at + Field.tableEnd] as number),
    );
    if (!table) return undefined;

    // One decoding from the uuid to the envelope's "}" (the uuid comes before the payload, which is
    // last): the uuid and the payload are slices of it, so each line costs one call into Buffer.
    const uuidStart = records[at + Field.uuidStart] as number;
    const text = utf8Slice.call(bytes, start + uuidStart, start + (records[at + Field.closeByte] as number));
    this.text = text;
    this.payloadOffset = (records[at + Field.payloadStart] as number) - uuidStart;

    parts.table = table;
    const uuid = text.slice(0, (records[at + Field.uuidEnd] as number) - uuidStart);
    return envelopeEvent(ctx, table, op, sourceTsMs, lsn, uuid, changeType, backfill);
  }

  /**
   * The payload of a line read by `read`: `text` and `offset` are what `read` left in `this.text` and
   * `this.payloadOffset`. Parsed from there to the text's end (the envelope's "}" excluded); undefined
   * if it is not a JSON object. `riskyNumbers`: it may hold a number JSON.parse would not keep exactly
   * (see risky-numbers.ts).
   */
  payload(text: string, offset: number, riskyNumbers: boolean): Record<string, unknown> | undefined {
    let payload: unknown;
    try {
      payload = parseJsonLossless(text.slice(offset), !riskyNumbers);
    } catch {
      return undefined;
    }
    return isObject(payload) ? payload : undefined;
  }

  /**
   * The table of the event, resolved as readEnvelope resolves it; the last one is remembered with its
   * names, which are compared in place in the bytes, so a run of events of one table makes no strings.
   */
  private tableOf(
    bytes: Buffer,
    schemaStart: number,
    schemaEnd: number,
    nameStart: number,
    nameEnd: number,
  ): CompiledTable | undefined {
    if (
      this.table !== undefined &&
      sameText(bytes, schemaStart, schemaEnd, this.schema) &&
      sameText(bytes, nameStart, nameEnd, this.name)
    ) {
      return this.table;
    }
    const ref: TableRef = {
      schema: latin1Slice.call(bytes, schemaStart, schemaEnd),
      name: latin1Slice.call(bytes, nameStart, nameEnd),
    };
    const table = this.options.resolveTable(ref);
    if (table) {
      this.schema = ref.schema;
      this.name = ref.name;
    }
    this.table = table;
    return table;
  }
}

/** The whole text of the line whose record starts at `records[at]` (without a CRLF's carriage return). */
export function scannedLineText(bytes: Buffer, records: Int32Array, at: number): string {
  return withoutCr(
    utf8Slice.call(
      bytes,
      records[at + Field.lineStartByte] as number,
      records[at + Field.newlineByte] as number,
    ),
  );
}
