// Lossless JSON for catalog responses and metadata.json files. Snapshot ids written by other engines are
// random 63-bit integers; JSON.parse would round them (3051729675574597004 → 3051729675574597000) and every
// `assert-ref-snapshot-id` built from the rounded id would then fail. Integers outside the safe range
// become bigint on parse and are written back as bare digits; every other value is what JSON.parse gives.

import type { Int64 } from './metadata-types.js';

/** A JSON value as parsed here: numbers that are unsafe integers arrive as bigint. */
export type JsonValue =
  null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

// Integers of 15 digits or fewer are always safe; only a run of 16+ digits can need a bigint. Text without
// one (all metadata written only by us) takes the native parser.
const LONG_DIGIT_RUN = /\d{16}/;

export class JsonSyntaxError extends SyntaxError {
  constructor(
    message: string,
    public readonly source: string,
    public readonly line: number,
    public readonly column: number,
  ) {
    super(`${source}:${line}:${column}: ${message}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Parses JSON, keeping integers beyond ±(2^53−1) exact as bigint. `source` names the text in errors. */
export function parseJson<T = JsonValue>(text: string, source = '<json>'): T {
  if (!LONG_DIGIT_RUN.test(text)) {
    try {
      return JSON.parse(text) as T;
    } catch {
      // fall through: the exact parser below reports line and column
    }
  }
  return new ExactParser(text, source).parseDocument() as T;
}

/** The exact parser, exported so tests can check it against JSON.parse on documents without big ids. */
export function parseJsonExact(text: string, source = '<json>'): JsonValue {
  return new ExactParser(text, source).parseDocument();
}

/**
 * Serializes like JSON.stringify (compact; undefined properties dropped, undefined array items as null),
 * except that bigints are written as bare digits.
 */
export function stringifyJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join('');
}

function write(value: unknown, out: string[]): void {
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'number':
      out.push(Number.isFinite(value) ? String(value) : 'null');
      return;
    case 'bigint':
      out.push(value.toString());
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'object':
      break;
    default:
      out.push('null');
      return;
  }
  if (value === null) {
    out.push('null');
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      const item: unknown = value[i];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') out.push('null');
      else write(item, out);
    }
    out.push(']');
    return;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    write((toJSON as () => unknown).call(value), out);
    return;
  }
  out.push('{');
  let first = true;
  for (const key of Object.keys(value)) {
    const item: unknown = (value as Record<string, unknown>)[key];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    if (!first) out.push(',');
    first = false;
    out.push(JSON.stringify(key), ':');
    write(item, out);
  }
  out.push('}');
}

/** An Int64 as a bigint, for exact comparison of ids whichever form they arrived in. */
export function toBigInt(value: Int64): bigint {
  return typeof value === 'bigint' ? value : BigInt(value);
}

/** True when two int64 values are the same integer (a number and a bigint may be equal). */
export function int64Equal(a: Int64 | null | undefined, b: Int64 | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a === typeof b) return a === b;
  return toBigInt(a) === toBigInt(b);
}

/** The canonical Int64 form: a number when safe, else a bigint (what the parser yields). */
export function normalizeInt64(value: Int64): Int64 {
  if (typeof value === 'number') return value;
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value;
}

const enum Char {
  Tab = 9,
  Newline = 10,
  Return = 13,
  Space = 32,
  Quote = 34,
  Comma = 44,
  Minus = 45,
  Colon = 58,
  OpenBracket = 91,
  Backslash = 92,
  CloseBracket = 93,
  OpenBrace = 123,
  CloseBrace = 125,
}

const NUMBER_TOKEN = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
// JSON forbids raw control characters (U+0000–U+001F) in strings
// eslint-disable-next-line no-control-regex
const STRING_BODY = /[^"\\\u0000-\u001f]*/y;

// A recursive-descent parser over char codes. Strings without escapes are sliced directly; strings with
// escapes are decoded by JSON.parse on their slice, so escape handling is the native one.
class ExactParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  parseDocument(): JsonValue {
    this.skipWhitespace();
    const value = this.parseValue();
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail('unexpected text after the JSON value');
    return value;
  }

  private parseValue(): JsonValue {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case Char.OpenBrace:
        return this.parseObject();
      case Char.OpenBracket:
        return this.parseArray();
      case Char.Quote:
        return this.parseString();
      case 116: // t
        return this.parseLiteral('true', true);
      case 102: // f
        return this.parseLiteral('false', false);
      case 110: // n
        return this.parseLiteral('null', null);
      default:
        if (c === Char.Minus || (c >= 48 && c <= 57)) return this.parseNumber();
        return this.fail(Number.isNaN(c) ? 'unexpected end of input' : 'unexpected character');
    }
  }

  private parseObject(): { [key: string]: JsonValue } {
    const result: { [key: string]: JsonValue } = {};
    this.pos++;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === Char.CloseBrace) {
      this.pos++;
      return result;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== Char.Quote) this.fail('expected a property name');
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== Char.Colon) this.fail("expected ':'");
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue();
      // defineProperty keeps a "__proto__" key an ordinary property, as JSON.parse does
      Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === Char.CloseBrace) return result;
      if (c !== Char.Comma) {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
      this.skipWhitespace();
    }
  }

  private parseArray(): JsonValue[] {
    const result: JsonValue[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === Char.CloseBracket) {
      this.pos++;
      return result;
    }
    for (;;) {
      result.push(this.parseValue());
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === Char.CloseBracket) return result;
      if (c !== Char.Comma) {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
      this.skipWhitespace();
    }
  }

  private parseString(): string {
    const start = this.pos;
    this.pos++;
    let escaped = false;
    for (;;) {
      STRING_BODY.lastIndex = this.pos;
      STRING_BODY.test(this.text);
      this.pos = STRING_BODY.lastIndex;
      const c = this.text.charCodeAt(this.pos);
      if (c === Char.Quote) break;
      if (c === Char.Backslash) {
        escaped = true;
        this.pos += 2;
        continue;
      }
      this.fail(Number.isNaN(c) ? 'unterminated string' : 'control character in string');
    }
    this.pos++;
    if (!escaped) return this.text.slice(start + 1, this.pos - 1);
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch {
      this.pos = start;
      return this.fail('invalid escape in string');
    }
  }

  private parseNumber(): number | bigint {
    NUMBER_TOKEN.lastIndex = this.pos;
    const match = NUMBER_TOKEN.exec(this.text);
    if (!match) return this.fail('invalid number');
    const token = match[0];
    this.pos += token.length;
    const asNumber = Number(token);
    if (match[1] !== undefined || match[2] !== undefined) return asNumber;
    return Number.isSafeInteger(asNumber) ? asNumber : BigInt(token);
  }

  private parseLiteral<V extends JsonValue>(word: string, value: V): V {
    if (!this.text.startsWith(word, this.pos)) this.fail('unexpected character');
    this.pos += word.length;
    return value;
  }

  private skipWhitespace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c === Char.Space || c === Char.Newline || c === Char.Return || c === Char.Tab) this.pos++;
      else return;
    }
  }

  private fail(message: string): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < this.pos && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === Char.Newline) {
        line++;
        lineStart = i + 1;
      }
    }
    const near = this.text.slice(this.pos, this.pos + 20);
    throw new JsonSyntaxError(
      `${message} near ${JSON.stringify(near)}`,
      this.source,
      line,
      this.pos - lineStart + 1,
    );
  }
}
