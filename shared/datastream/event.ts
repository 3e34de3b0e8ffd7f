// One Datastream event (a parsed JSON line or a decoded Avro record) → a validated ChangeEvent.
// Every field the engine relies on is checked for presence and type; fields it does not use are
// checked for type when present. See the project docs for the event layout (gcp-facts §1.2–1.5).

import { CHANGE_TYPES, type ChangeEvent, type ChangeType, type TableRef } from '../changes/change-event.js';
import { newRow, type IcebergValue, type Row } from '../iceberg/spec/values.js';
import {
  CoercionFailure,
  DatastreamValidationError,
  renderValue,
  UnknownColumnError,
  UnknownTableError,
} from './errors.js';
import { JsonNumber } from './lossless-json.js';
import type { CompiledTable } from './table.js';
import { timestampTextToMillis } from './temporal.js';

export interface EventContext {
  object: string;
  line: number;
}

export interface EventOptions {
  /** The compiled target table for a source table, or undefined if it is not known. */
  resolveTable: (table: TableRef) => CompiledTable | undefined;
  /**
   * What to do with a payload column the table does not have: 'reject' (default) fails the object so
   * the schema can be evolved first; 'ignore' drops the column.
   */
  unknownColumns?: 'reject' | 'ignore';
}

type Fields = Record<string, unknown>;

const CHANGE_TYPE_SET = new Set<string>(CHANGE_TYPES);

function invalid(
  ctx: EventContext,
  field: string,
  reason: string,
  value?: unknown,
  expected?: string,
): never {
  throw new DatastreamValidationError(
    {
      object: ctx.object,
      line: ctx.line,
      column: field,
      value: value === undefined ? undefined : renderValue(value),
      expected,
    },
    reason,
  );
}

function isObject(value: unknown): value is Fields {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber)
  );
}

/** Metadata timestamps: ISO-8601 text (zone optional, T or space) or epoch milliseconds. → ms. */
function metadataMillis(ctx: EventContext, value: unknown, name: string, required: boolean): number | null {
  if (value === undefined || value === null) {
    if (required) invalid(ctx, name, 'is missing', value, 'a timestamp');
    return null;
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) invalid(ctx, name, 'is not whole epoch milliseconds', value);
    return value === 0 ? 0 : value; // -0 is 0
  }
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      invalid(ctx, name, 'is out of range', value);
    }
    return Number(value);
  }
  if (typeof value === 'string') {
    try {
      return timestampTextToMillis(value);
    } catch (error) {
      if (error instanceof CoercionFailure) invalid(ctx, name, error.reason, value, 'an ISO-8601 timestamp');
      throw error;
    }
  }
  return invalid(ctx, name, 'has the wrong type', value, 'an ISO-8601 string or epoch milliseconds');
}

function hexValue(text: string, from: number, to: number): number {
  if (to - from < 1 || to - from > 8) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    let digit: number;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if (c >= 0x41 && c <= 0x46) digit = c - 0x37;
    else if (c >= 0x61 && c <= 0x66) digit = c - 0x57;
    else return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** `HI/LO` hex → (HI << 32) | LO; null or '' → 0n (backfill: before any CDC change). */
export function parseLsn(text: string | null): bigint | undefined {
  if (text === null || text === '') return 0n;
  const slash = text.indexOf('/');
  const hi = hexValue(text, 0, slash);
  const lo = hexValue(text, slash + 1, text.length);
  if (slash < 0 || hi < 0 || lo < 0) return undefined;
  return lsnFromHalves(hi, lo);
}

/** (HI << 32) | LO of two unsigned 32-bit halves. */
function lsnFromHalves(hi: number, lo: number): bigint {
  // One bigint conversion while the result fits a double exactly (HI < 2^21), else exact bigint math.
  if (hi < 0x200000) return BigInt(hi * 4294967296 + lo);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function checkSortKeys(ctx: EventContext, value: unknown): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) invalid(ctx, 'sort_keys', 'has the wrong type', value, 'an array');
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (typeof item === 'string' || item === null || typeof item === 'bigint') continue;
    if (typeof item === 'number' ? Number.isInteger(item) : item instanceof JsonNumber) continue;
    invalid(ctx, 'sort_keys', 'has an element that is neither a string nor an integer', value);
  }
}

function classifyReadMethod(ctx: EventContext, readMethod: string): boolean {
  const lower = readMethod.toLowerCase();
  if (lower.includes('backfill')) return true;
  if (lower.includes('cdc')) return false;
  return invalid(ctx, 'read_method', 'is neither a backfill nor a CDC read method', readMethod);
}

function coerceColumn(ctx: EventContext, table: CompiledTable, name: string, value: unknown): IcebergValue {
  const column = table.byName.get(name);
  if (!column) {
    throw new UnknownColumnError(
      { object: ctx.object, line: ctx.line, column: name, value: renderValue(value) },
      table.ref,
    );
  }
  if (value === null) return null;
  try {
    return column.coerce(value);
  } catch (error) {
    if (error instanceof CoercionFailure) {
      return invalid(ctx, name, error.reason, error.value, column.expected);
    }
    throw error;
  }
}

function keyValue(ctx: EventContext, name: string, value: unknown): unknown {
  if (value === undefined || value === null) {
    invalid(ctx, name, `is a primary-key column but is ${value === null ? 'null' : 'absent'}`, value);
  }
  return value;
}

/** Validate one event and normalize it. Throws DatastreamValidationError naming the field. */
interface RawEvent {
  uuid?: unknown;
  source_timestamp?: unknown;
  read_timestamp?: unknown;
  read_method?: unknown;
  object?: unknown;
  stream_name?: unknown;
  schema_key?: unknown;
  sort_keys?: unknown;
  source_metadata?: unknown;
  payload?: unknown;
}

interface RawMetadata {
  schema?: unknown;
  table?: unknown;
  is_deleted?: unknown;
  change_type?: unknown;
  tx_id?: unknown;
  lsn?: unknown;
  primary_keys?: unknown;
}

function checkOptionalString(ctx: EventContext, value: unknown, path: string): void {
  if (value !== undefined && value !== null && typeof value !== 'string') {
    invalid(ctx, path, 'has the wrong type', value, 'a string or null');
  }
}

function requiredString(ctx: EventContext, value: unknown, path: string): string {
  if (typeof value !== 'string') {
    invalid(ctx, path, value === undefined ? 'is missing' : 'has the wrong type', value, 'a string');
  }
  return value;
}

// The read method is the same on every line of an object: classify it once.
let lastReadMethod = '';
let lastIsBackfill = false;

/** What readEnvelope found beside the event: the event's table and its payload, for fillRow. */
export interface EnvelopeParts {
  table: CompiledTable | undefined;
  payload: Record<string, unknown> | undefined;
}

const scratchParts: EnvelopeParts = { table: undefined, payload: undefined };

/** The row of an event readEnvelope returns, until fillRow sets the real one. */
const UNFILLED_ROW: Row = Object.freeze({});

/** Validate one event and normalize it (readEnvelope, then fillRow). Throws DatastreamValidationError. */
export function toChangeEvent(ctx: EventContext, input: unknown, options: EventOptions): ChangeEvent {
  const event = readEnvelope(ctx, input, options, scratchParts);
  const { table, payload } = scratchParts;
  scratchParts.table = undefined;
  scratchParts.payload = undefined;
  return fillRow(ctx, event, table as CompiledTable, payload as Record<string, unknown>, options);
}

/**
 * The first half of toChangeEvent: every field outside the payload validated, the table resolved, the
 * payload checked to be an object. Returns the event with an empty row and key, and puts its table and
 * payload in `parts`; fillRow completes it. (Readers that validate many lines at once do each half for
 * all of them in turn.)
 */
export function readEnvelope(
  ctx: EventContext,
  input: unknown,
  options: EventOptions,
  parts: EnvelopeParts,
): ChangeEvent {
  if (!isObject(input)) invalid(ctx, 'event', 'is not a JSON object', input);
  // Direct property reads (not a loop over names): this runs once per line of every file.
  const event = input as RawEvent;
  const uuid = requiredString(ctx, event.uuid, 'uuid');
  if (uuid === '') invalid(ctx, 'uuid', 'is empty', uuid);
  const sourceTsMs = metadataMillis(ctx, event.source_timestamp, 'source_timestamp', true) as number;
  // read_timestamp is not used for ordering: its type is checked, its text is not parsed (a hot path).
  const readTimestamp = event.read_timestamp;
  if (readTimestamp !== undefined && readTimestamp !== null && typeof readTimestamp !== 'string') {
    metadataMillis(ctx, readTimestamp, 'read_timestamp', false);
  }
  const readMethod = requiredString(ctx, event.read_method, 'read_method');
  let backfill: boolean;
  if (readMethod === lastReadMethod && readMethod !== '') {
    backfill = lastIsBackfill;
  } else {
    backfill = classifyReadMethod(ctx, readMethod);
    lastReadMethod = readMethod;
    lastIsBackfill = backfill;
  }
  checkOptionalString(ctx, event.object, 'object');
  checkOptionalString(ctx, event.stream_name, 'stream_name');
  checkOptionalString(ctx, event.schema_key, 'schema_key');
  checkSortKeys(ctx, event.sort_keys);

  const rawMeta = event.source_metadata;
  if (!isObject(rawMeta)) {
    invalid(
      ctx,
      'source_metadata',
      rawMeta === undefined ? 'is missing' : 'has the wrong type',
      rawMeta,
      'an object',
    );
  }
  const meta = rawMeta as RawMetadata;
  const schema = requiredString(ctx, meta.schema, 'source_metadata.schema');
  const tableName = requiredString(ctx, meta.table, 'source_metadata.table');

  const isDeleted = meta.is_deleted;
  if (isDeleted !== undefined && isDeleted !== null && typeof isDeleted !== 'boolean') {
    invalid(ctx, 'source_metadata.is_deleted', 'has the wrong type', isDeleted, 'a boolean or null');
  }
  const changeTypeValue = meta.change_type;
  checkOptionalString(ctx, changeTypeValue, 'source_metadata.change_type');
  const rawChangeType = (changeTypeValue ?? '') as string;
  if (!CHANGE_TYPE_SET.has(rawChangeType)) {
    invalid(
      ctx,
      'source_metadata.change_type',
      'is not a known change type',
      rawChangeType,
      'INSERT, UPDATE, DELETE, UPDATE-INSERT or UPDATE-DELETE',
    );
  }
  const changeType = rawChangeType as ChangeType;
  if (changeType === '' && !backfill) {
    invalid(ctx, 'source_metadata.change_type', 'is missing on a CDC event', changeTypeValue);
  }
  const typeSaysDelete = changeType === 'DELETE' || changeType === 'UPDATE-DELETE';
  if (isDeleted === true && changeType !== '' && !typeSaysDelete) {
    invalid(ctx, 'source_metadata.is_deleted', `is true but change_type is ${changeType}`, isDeleted);
  }
  if (isDeleted === false && typeSaysDelete) {
    invalid(ctx, 'source_metadata.is_deleted', `is false but change_type is ${changeType}`, isDeleted);
  }
  const op = isDeleted === true || typeSaysDelete ? 'delete' : 'upsert';

  const txId = meta.tx_id;
  const txOk =
    txId === undefined ||
    txId === null ||
    (typeof txId === 'number'
      ? Number.isInteger(txId)
      : typeof txId === 'bigint' || txId instanceof JsonNumber);
  if (!txOk) invalid(ctx, 'source_metadata.tx_id', 'has the wrong type', txId, 'an integer or null');

  const lsnValue = meta.lsn;
  checkOptionalString(ctx, lsnValue, 'source_metadata.lsn');
  const lsnText = (lsnValue ?? null) as string | null;
  const lsn = parseLsn(lsnText);
  if (lsn === undefined)
    invalid(ctx, 'source_metadata.lsn', 'is not a WAL position', lsnText, 'HI/LO in hex');

  const primaryKeys = meta.primary_keys;
  if (primaryKeys !== undefined && primaryKeys !== null) {
    let ok = Array.isArray(primaryKeys);
    if (ok) for (const k of primaryKeys as unknown[]) if (typeof k !== 'string') ok = false;
    if (!ok) {
      invalid(ctx, 'source_metadata.primary_keys', 'has the wrong type', primaryKeys, 'an array of strings');
    }
  }

  const ref: TableRef = { schema, name: tableName };
  const table = options.resolveTable(ref);
  if (!table) {
    throw new UnknownTableError({ object: ctx.object, line: ctx.line, column: 'source_metadata.table' }, ref);
  }
  // The source's key names the rows: a file keyed otherwise than the declared table would merge rows by
  // a key the source does not have. (A learnt table keeps the key it was first learnt with.)
  if (
    Array.isArray(primaryKeys) &&
    table.learntFrom === undefined &&
    !sameKeys(primaryKeys, table.primaryKeys)
  ) {
    invalid(
      ctx,
      'source_metadata.primary_keys',
      `are (${primaryKeys.join(', ')}) but the table's primary key is (${table.primaryKeys.join(', ')})`,
      primaryKeys,
    );
  }

  const payload = event.payload;
  if (!isObject(payload)) {
    invalid(
      ctx,
      'payload',
      payload === undefined ? 'is missing' : 'has the wrong type',
      payload,
      'an object',
    );
  }

  parts.table = table;
  parts.payload = payload;
  return envelopeEvent(ctx, table, op, sourceTsMs, lsn, uuid, changeType, backfill);
}

/** The same key columns, in any order (the source lists them in its own order). */
function sameKeys(file: readonly string[], table: readonly string[]): boolean {
  if (file.length !== table.length) return false;
  for (const key of file) if (!table.includes(key)) return false;
  return true;
}

/**
 * The event readEnvelope returns: made in one place, with every field in the same order, so every
 * event has the same shape and the code that reads events stays monomorphic.
 */
function envelopeEvent(
  ctx: EventContext,
  table: CompiledTable,
  op: ChangeEvent['op'],
  sourceTsMs: number,
  lsn: bigint,
  uuid: string,
  changeType: ChangeType,
  backfill: boolean,
): ChangeEvent {
  return {
    table: table.ref,
    op,
    key: [],
    order: { sourceTsMs, lsn },
    uuid,
    row: UNFILLED_ROW,
    changeType,
    backfill,
    source: { object: ctx.object, line: ctx.line },
  };
}

/** The second half of toChangeEvent: the payload coerced into the event's row, its key taken. */
export function fillRow(
  ctx: EventContext,
  event: ChangeEvent,
  table: CompiledTable,
  payload: Record<string, unknown>,
  options: EventOptions,
): ChangeEvent {
  const key = event.key;
  let row: Row = newRow();
  if (event.op === 'delete') {
    // A delete carries reliable values only for the key (pgoutput sends the old key alone), so the
    // other columns are not read: a stale or placeholder value there must not fail the object.
    if (table.keyColumns.length === 0) {
      invalid(
        ctx,
        'source_metadata.change_type',
        'is a delete on a table without a primary key',
        event.changeType,
      );
    }
    for (const column of table.keyColumns) {
      const value = keyValue(ctx, column.name, payload[column.name]);
      row[column.name] = coerceColumn(ctx, table, column.name, value);
    }
  } else {
    const state = { column: -1, present: 0 };
    try {
      row = table.coerceRow(payload, state);
    } catch (error) {
      const column = table.columns[state.column];
      if (error instanceof CoercionFailure && column) {
        return invalid(ctx, column.name, error.reason, error.value, column.expected);
      }
      throw error;
    }
    let keys = 0;
    for (const _ in payload) keys++;
    if (keys !== state.present && options.unknownColumns !== 'ignore') {
      for (const name of Object.keys(payload)) {
        if (!table.byName.has(name)) coerceColumn(ctx, table, name, payload[name]);
      }
    }
  }
  for (const column of table.keyColumns) {
    key.push(keyValue(ctx, column.name, row[column.name]) as IcebergValue);
  }
  event.row = row;
  return event;
}
