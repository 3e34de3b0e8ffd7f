// Every failure to read a Datastream object is one of these typed errors, so the pipeline can tell
// "this file is bad, quarantine it with the reason" from a bug or an outage (anything else).
// Messages name the object, and the line, column, value and expected type where there is one.

export interface ErrorPosition {
  /** Object name (or location) the event came from. */
  object: string;
  /** 1-based line (JSONL) or record number (Avro); undefined for whole-object failures. */
  line?: number;
  /** Payload column or event field the failure is about. */
  column?: string;
  /** The offending value, already rendered short. */
  value?: string;
  /** What was expected there. */
  expected?: string;
}

const MAX_VALUE_CHARS = 120;

/** Render a value for an error message: JSON-like, bigint-safe, cut short. */
export function renderValue(value: unknown): string {
  let text: string;
  try {
    if (value === undefined) text = 'undefined';
    else if (typeof value === 'bigint') text = value.toString();
    else if (value instanceof Uint8Array) text = `<${value.length} bytes>`;
    else if (typeof value === 'object' && value !== null && 'text' in value && typeof value.text === 'string')
      text = value.text;
    else
      text =
        JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ??
        String(value);
  } catch {
    // Too deep to stringify (String() of a nested array recurses as well): describe, don't render.
    text = Array.isArray(value)
      ? '<deeply nested array>'
      : typeof value === 'object'
        ? '<deeply nested object>'
        : '<value>';
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

function describe(position: ErrorPosition, reason: string): string {
  let where = position.object;
  if (position.line !== undefined) where += `:${position.line}`;
  let message = `${where}: ${reason}`;
  if (position.column !== undefined) message = `${where}: column "${position.column}": ${reason}`;
  if (position.value !== undefined) message += `; value ${position.value}`;
  if (position.expected !== undefined) message += `; expected ${position.expected}`;
  return message;
}

/** Base of all typed ingest errors: the object cannot be applied, for the reason given. */
export class DatastreamError extends Error {
  readonly object: string;
  readonly line: number | undefined;
  readonly column: string | undefined;
  readonly value: string | undefined;
  readonly expected: string | undefined;
  readonly reason: string;

  constructor(position: ErrorPosition, reason: string, options?: { cause?: unknown }) {
    super(describe(position, reason), options);
    this.name = 'DatastreamError';
    this.object = position.object;
    this.line = position.line;
    this.column = position.column;
    this.value = position.value;
    this.expected = position.expected;
    this.reason = reason;
  }
}

/** The bytes cannot be read as a Datastream object: bad gzip, bad Avro container, bad UTF-8, bad JSON. */
export class DatastreamReadError extends DatastreamError {
  constructor(position: ErrorPosition, reason: string, options?: { cause?: unknown }) {
    super(position, reason, options);
    this.name = 'DatastreamReadError';
  }
}

/** An event was read but a field or a payload value is missing, of the wrong type or out of range. */
export class DatastreamValidationError extends DatastreamError {
  constructor(position: ErrorPosition, reason: string, options?: { cause?: unknown }) {
    super(position, reason, options);
    this.name = 'DatastreamValidationError';
  }
}

/**
 * Thrown by value coercers, which know neither the object nor the line; the event reader catches it
 * and re-throws a DatastreamValidationError with the full position. Cheap: no stack is needed.
 */
export class CoercionFailure {
  constructor(
    readonly reason: string,
    readonly value: unknown,
  ) {}
}

/**
 * An event names a table the reader was given no definition for. Ingest may learn the table from the
 * object itself (its Avro schema or its payload values) and read again; otherwise the file fails.
 */
export class UnknownTableError extends DatastreamValidationError {
  constructor(
    position: ErrorPosition,
    readonly table: { schema: string; name: string },
  ) {
    super(position, `names a table with no definition: ${table.schema}.${table.name}`);
    this.name = 'UnknownTableError';
  }
}

/**
 * A payload carries a column its table does not have. For a table that is not declared, ingest may
 * learn the column from the object and read again; for a declared table the file fails.
 */
export class UnknownColumnError extends DatastreamValidationError {
  constructor(
    position: ErrorPosition,
    readonly table: { schema: string; name: string },
  ) {
    super(position, `is not a column of ${table.schema}.${table.name}`);
    this.name = 'UnknownColumnError';
  }
}
