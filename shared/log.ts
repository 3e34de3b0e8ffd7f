// Structured logs in the Cloud Logging convention: one JSON object per line on stdout, with `severity`,
// `message` and flat fields (table, file, changeset, snapshot, counts, durations, lag). Cloud Functions
// forwards stdout to Cloud Logging, which parses these lines into jsonPayload.

export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR';

export type LogFields = Record<string, unknown>;

const RANK: Record<Severity, number> = { DEBUG: 0, INFO: 1, NOTICE: 2, WARNING: 3, ERROR: 4 };

function threshold(): number {
  const level = (process.env.DSI_LOG_LEVEL ?? 'INFO').toUpperCase() as Severity;
  return RANK[level] ?? RANK.INFO;
}

function serialise(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  notice(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry these fields too. */
  with(fields: LogFields): Logger;
}

export function createLogger(base: LogFields = {}, write: (line: string) => void = defaultWrite): Logger {
  const emit = (severity: Severity, message: string, fields: LogFields = {}): void => {
    if (RANK[severity] < threshold()) return;
    write(
      JSON.stringify({ severity, message, ...base, ...fields }, (_key, value: unknown) => serialise(value)),
    );
  };
  return {
    debug: (message, fields) => emit('DEBUG', message, fields),
    info: (message, fields) => emit('INFO', message, fields),
    notice: (message, fields) => emit('NOTICE', message, fields),
    warn: (message, fields) => emit('WARNING', message, fields),
    error: (message, fields) => emit('ERROR', message, fields),
    with: (fields) => createLogger({ ...base, ...fields }, write),
  };
}

function defaultWrite(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A logger that drops everything (library use and quiet tests). */
export const silentLogger: Logger = createLogger({}, () => undefined);
