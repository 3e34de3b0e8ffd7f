// Lossless JSON for Datastream lines. Datastream writes numeric(p,s) and int8 values as bare JSON
// numbers, and JSON.parse turns 99999999999999.9999 or 9007199254740993 into the nearest double. So:
//
// - Fast path: when no numeric token in the line can lose anything through a double, JSON.parse is
//   exact and (being native) the fastest parser there is. A decimal token with at most 15 significant
//   digits and a moderate exponent survives the round trip decimal → double → shortest decimal text.
//   The check is a regex over the whole line, strings included: digits inside strings can only cause
//   false positives, which cost speed, never exactness.
// - Slow path: a strict JSON parser that returns the same values as JSON.parse, except that a number
//   token which could lose precision becomes a JsonNumber holding its exact text.

/** A JSON number kept as its exact source text because a double would not hold it exactly. */
export class JsonNumber {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type JsonValue =
  null | boolean | number | string | JsonNumber | JsonValue[] | { [key: string]: JsonValue };

/** Deepest array/object nesting accepted (Datastream itself limits very deep JSON). */
export const MAX_JSON_DEPTH = 500;

/** A syntax error with its character offset in the line. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

// A number token can only follow ":", "," or "[" (then optional whitespace and "-"), so only digit
// runs there count: hex ids and hashes inside strings (uuids, schema keys) do not trip the check. Risky: a
// run of 16 digits-or-dots (≥ 16 digits, or 15 and a dot: a harmless false positive), or an exponent of
// three or more digits (overflow/underflow). A string holding such a pattern after one of those
// characters only costs the slow path. (Anchoring on the separators and not on whitespace makes this
// scan cheaper than anchoring on either; a hand-written character loop, a loop over the undecoded
// bytes, one scan per chunk instead of per line and reshaped patterns were all no faster: README.md,
// Measured.) A document that is itself a number has no separator before it and is checked apart.
const RISKY_NUMBER = /[:,[]\s*-?\d(?:[\d.]{15}|[\d.]*[eE][+-]?\d{3})/g;

/** One JSON number token, anchored where the scan points. */
const NUMBER_TOKEN = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * True when some number token in the text may lose precision through a double. The whole text is
 * scanned: metadata numbers count too (a source_timestamp of -1e-500 must not pass as -0).
 */
export function mayLosePrecision(text: string): boolean {
  RISKY_NUMBER.lastIndex = 0;
  return RISKY_NUMBER.test(text) || startsWithNumber(text);
}

function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function startsWithNumber(text: string): boolean {
  let pos = 0;
  while (isJsonWhitespace(text.charCodeAt(pos))) pos++;
  const c = text.charCodeAt(pos);
  return c === 0x2d || (c >= 0x30 && c <= 0x39);
}

/** Parse one JSON text losslessly (see the header). Throws JsonSyntaxError on invalid JSON. */
export function parseJsonLossless(text: string): JsonValue {
  if (!mayLosePrecision(text)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Re-parse with our parser only to get a precise offset and message.
      return new Parser(text).parseDocument();
    }
    return value as JsonValue;
  }
  return parseWithMarkedNumbers(text) ?? new Parser(text).parseDocument();
}

// The marker that stands for a risky number while JSON.parse runs: a string starting with U+0000. A
// text that already holds the escape \u0000 anywhere is left to the parser in this file, so every
// string starting with U+0000 after JSON.parse is one of ours.
const MARKER_CODE = 0;
const MARKER_ESCAPE = '\\u0000';

/**
 * The middle path for a text with risky-looking numbers (the JS parser costs many times JSON.parse per
 * line): each risky number token is rewritten as a marked string, the text goes through
 * JSON.parse, and the marked strings are turned back into exact numbers. Returns undefined whenever the
 * text is anything but plain valid JSON of that shape (invalid, a marked token in key position, deeper
 * than MAX_JSON_DEPTH): the JS parser then gives the exact value or the precise error.
 *
 * No need to know whether a match sits inside a string: there the inserted quote closes that string
 * and the marked string follows it directly, and two adjacent strings are never valid JSON, so such a
 * text fails JSON.parse and goes to the JS parser (a rare false positive that costs only speed).
 */
function parseWithMarkedNumbers(text: string): JsonValue | undefined {
  if (startsWithNumber(text) || text.includes(MARKER_ESCAPE)) return undefined;
  let rewritten = '';
  let copied = 0; // text before this offset is already in `rewritten`
  let marked = 0;
  RISKY_NUMBER.lastIndex = 0;
  for (let match = RISKY_NUMBER.exec(text); match !== null; match = RISKY_NUMBER.exec(text)) {
    let start = match.index + 1;
    while (isJsonWhitespace(text.charCodeAt(start))) start++;
    NUMBER_TOKEN.lastIndex = start;
    const token = NUMBER_TOKEN.exec(text)?.[0];
    if (token === undefined) return undefined;
    const end = start + token.length;
    if (isNumberCharacter(text.charCodeAt(end))) return undefined; // e.g. "01…" or "1.5.3": invalid
    rewritten += `${text.slice(copied, start)}"${MARKER_ESCAPE}${token}"`;
    copied = end;
    RISKY_NUMBER.lastIndex = end;
    marked++;
  }
  if (marked === 0) return undefined;
  let value: JsonValue;
  try {
    value = JSON.parse(rewritten + text.slice(copied)) as JsonValue;
  } catch {
    return undefined;
  }
  const restored = { count: 0, marked };
  const result = restoreMarkedNumbers(value, 0, restored);
  return result === INVALID || restored.count !== marked ? undefined : result;
}

function isNumberCharacter(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

const INVALID: unique symbol = Symbol('invalid');

/**
 * Turns marked strings back into numbers in place; INVALID when a key is marked or nesting is too deep.
 * Stops walking once all `marked` are restored: no other value or key can hold a marker then.
 */
function restoreMarkedNumbers(
  value: JsonValue,
  depth: number,
  restored: { count: number; marked: number },
): JsonValue | typeof INVALID {
  if (typeof value === 'string') {
    if (value.charCodeAt(0) !== MARKER_CODE) return value;
    restored.count++;
    const token = value.slice(1);
    const number = Number(token);
    return isDoubleSafe(token, number) ? number : new JsonNumber(token);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_JSON_DEPTH) return INVALID;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = restoreMarkedNumbers(value[i] as JsonValue, depth + 1, restored);
      if (item === INVALID) return INVALID;
      value[i] = item;
      if (restored.count === restored.marked) break;
    }
    return value;
  }
  const record = value as { [key: string]: JsonValue };
  // for…in: JSON.parse objects have no inherited enumerable keys, and no key array is allocated.
  for (const key in record) {
    if (key.charCodeAt(0) === MARKER_CODE) return INVALID; // a number where a key must be
    const item = restoreMarkedNumbers(record[key] as JsonValue, depth + 1, restored);
    if (item === INVALID) return INVALID;
    if (item !== record[key]) {
      // Assignment writes the own property. Only "__proto__" goes the slow way: JSON.parse made it an
      // own property, and defineProperty (a runtime call) is the form that never touches the prototype.
      if (key !== '__proto__') record[key] = item;
      else {
        Object.defineProperty(record, key, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    if (restored.count === restored.marked) break;
  }
  return record;
}

/**
 * The same result as parseJsonLossless through this file's own parser alone, never JSON.parse: the
 * reference the faster paths are tested against.
 */
export function parseJsonWithOwnParser(text: string): JsonValue {
  return new Parser(text).parseDocument();
}

/** True when a plain double represents this decimal token's value exactly enough to print it back. */
function isDoubleSafe(token: string, value: number): boolean {
  let significant = 0;
  let leading = true;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c === 0x65 || c === 0x45) break; // e / E
    if (c < 0x30 || c > 0x39) continue; // sign, dot
    if (leading && c === 0x30) continue;
    leading = false;
    significant++;
  }
  if (significant > 15) return false;
  if (significant === 0) return true; // a zero
  const magnitude = Math.abs(value);
  return magnitude >= 1e-307 && magnitude <= 1e308;
}

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): JsonValue {
    this.skipWhitespace();
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail('unexpected text after the JSON value');
    return value;
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(`${message} at character ${this.pos + 1}`, this.pos);
  }

  private skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.pos = pos;
  }

  private parseValue(depth: number): JsonValue {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.parseObject(depth + 1);
      case 0x5b: // [
        return this.parseArray(depth + 1);
      case 0x22: // "
        return this.parseString();
      case 0x74: // t
        return this.parseLiteral('true', true);
      case 0x66: // f
        return this.parseLiteral('false', false);
      case 0x6e: // n
        return this.parseLiteral('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
        if (Number.isNaN(c)) this.fail('unexpected end of JSON');
        this.fail(`unexpected character ${JSON.stringify(this.text[this.pos])}`);
    }
  }

  private parseLiteral<T>(word: string, value: T): T {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    this.fail('invalid literal');
  }

  private parseObject(depth: number): JsonValue {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.pos++; // {
    const result: { [key: string]: JsonValue } = {};
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return result;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail('expected a property name');
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail('expected ":"');
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(depth);
      // JSON.parse makes "__proto__" an own property; plain assignment would set the prototype.
      if (key === '__proto__') {
        Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        result[key] = value;
      }
      this.skipWhitespace();
      const next = this.text.charCodeAt(this.pos);
      if (next === 0x2c) {
        this.pos++;
        this.skipWhitespace();
      } else if (next === 0x7d) {
        this.pos++;
        return result;
      } else {
        this.fail('expected "," or "}"');
      }
    }
  }

  private parseArray(depth: number): JsonValue {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.pos++; // [
    const result: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return result;
    }
    for (;;) {
      result.push(this.parseValue(depth));
      this.skipWhitespace();
      const next = this.text.charCodeAt(this.pos);
      if (next === 0x2c) {
        this.pos++;
        this.skipWhitespace();
      } else if (next === 0x5d) {
        this.pos++;
        return result;
      } else {
        this.fail('expected "," or "]"');
      }
    }
  }

  private parseString(): string {
    const text = this.text;
    const start = ++this.pos; // after the opening quote
    let pos = start;
    // Common case: no escapes, so one slice.
    for (;;) {
      if (pos >= text.length) this.failAt(pos, 'unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        this.pos = pos + 1;
        return text.slice(start, pos);
      }
      if (c === 0x5c) break;
      if (c < 0x20) this.failAt(pos, 'control character in string');
      pos++;
    }
    let out = text.slice(start, pos);
    for (;;) {
      if (pos >= text.length) this.failAt(pos, 'unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        this.pos = pos + 1;
        return out;
      }
      if (c < 0x20) this.failAt(pos, 'control character in string');
      if (c !== 0x5c) {
        const runStart = pos;
        while (pos < text.length) {
          const d = text.charCodeAt(pos);
          if (d === 0x22 || d === 0x5c || d < 0x20) break;
          pos++;
        }
        out += text.slice(runStart, pos);
        continue;
      }
      const e = text.charCodeAt(pos + 1);
      pos += 2;
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          const hex = text.slice(pos, pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.failAt(pos, 'invalid \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          this.failAt(pos - 1, 'invalid escape');
      }
    }
  }

  private failAt(pos: number, message: string): never {
    this.pos = pos;
    this.fail(message);
  }

  private parseNumber(): number | JsonNumber {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    if (text.charCodeAt(pos) === 0x2d) pos++;
    const first = text.charCodeAt(pos);
    if (first === 0x30) {
      pos++;
    } else if (first >= 0x31 && first <= 0x39) {
      while (isDigit(text.charCodeAt(pos))) pos++;
    } else {
      this.failAt(pos, 'invalid number');
    }
    if (text.charCodeAt(pos) === 0x2e) {
      pos++;
      if (!isDigit(text.charCodeAt(pos))) this.failAt(pos, 'invalid number');
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    const e = text.charCodeAt(pos);
    if (e === 0x65 || e === 0x45) {
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === 0x2b || sign === 0x2d) pos++;
      if (!isDigit(text.charCodeAt(pos))) this.failAt(pos, 'invalid number');
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    this.pos = pos;
    const token = text.slice(start, pos);
    const value = Number(token);
    return isDoubleSafe(token, value) ? value : new JsonNumber(token);
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Compact JSON text of a parsed value, exact for JsonNumber (written as its source text). Object keys
 * keep their order. Used to store json/jsonb columns as text.
 */
export function canonicalJsonText(value: JsonValue, depth = 0): string {
  if (depth > MAX_JSON_DEPTH) throw new RangeError(`JSON nesting deeper than ${MAX_JSON_DEPTH}`);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
  }
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJsonText(value[i] as JsonValue, depth + 1);
    }
    return out + ']';
  }
  if (typeof value === 'object') {
    let out = '{';
    let first = true;
    for (const key of Object.keys(value)) {
      if (!first) out += ',';
      first = false;
      out += JSON.stringify(key) + ':' + canonicalJsonText(value[key] as JsonValue, depth + 1);
    }
    return out + '}';
  }
  throw new TypeError(`not a JSON value: ${typeof value}`);
}
