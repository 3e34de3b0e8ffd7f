// A generic Thrift compact-protocol codec, enough to edit a Parquet footer (FileMetaData) and write it
// back: structs decode into their fields in wire order with each field's wire type kept, so encoding an
// unedited tree gives back the same bytes, and fields this code knows nothing of pass through untouched.
// It is also the one decoder every footer is read with (parquet-footer.ts, statistics-bounds.ts).

/** Compact-protocol wire types. */
export const enum ThriftType {
  Stop = 0,
  True = 1,
  False = 2,
  Byte = 3,
  I16 = 4,
  I32 = 5,
  I64 = 6,
  Double = 7,
  Binary = 8,
  List = 9,
  Set = 10,
  Map = 11,
  Struct = 12,
}

export interface ThriftField {
  id: number;
  /** The wire type; a boolean field is True or False (its value is in the type). */
  type: ThriftType;
  value: ThriftValue;
}

export interface ThriftStruct {
  fields: ThriftField[];
}

export interface ThriftList {
  elementType: ThriftType;
  /** Set (10) or List (9). */
  kind: ThriftType.List | ThriftType.Set;
  items: ThriftValue[];
}

export interface ThriftMap {
  keyType: ThriftType;
  valueType: ThriftType;
  entries: [ThriftValue, ThriftValue][];
}

/** i8/i16/i32 are numbers, i64 a bigint, binary a byte array. */
export type ThriftValue = boolean | number | bigint | Uint8Array | ThriftList | ThriftMap | ThriftStruct;

export class ThriftDecodeError extends Error {
  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset} of the Thrift struct`);
    this.name = 'ThriftDecodeError';
  }
}

/** Deepest struct/list nesting read (a Parquet footer nests about 6 deep). */
const MAX_DEPTH = 64;

class Reader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.bytes.length) throw new ThriftDecodeError('unexpected end', this.pos);
    return this.bytes[this.pos++]!;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new ThriftDecodeError('varint too long', this.pos);
    }
  }

  zigzag(): bigint {
    // Most values fit in 7 bytes (49 bits), which a number holds exactly: BigInt only for the rest.
    const start = this.pos;
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return BigInt(n % 2 === 0 ? n / 2 : -(n + 1) / 2);
      scale *= 128;
    }
    this.pos = start;
    const big = this.varint();
    return (big >> 1n) ^ -(big & 1n);
  }

  /** A zigzag i16/i32 or an unsigned length: at most 5 bytes, exact as a number. */
  smallZigzag(): number {
    const n = this.smallVarint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  smallVarint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return n;
      scale *= 128;
    }
    throw new ThriftDecodeError('varint too long for 32 bits', this.pos);
  }

  take(length: number): Uint8Array {
    if (length < 0 || this.pos + length > this.bytes.length) {
      throw new ThriftDecodeError(`a length of ${length} runs past the end`, this.pos);
    }
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  value(type: ThriftType, depth: number): ThriftValue {
    switch (type) {
      case ThriftType.True:
        return true;
      case ThriftType.False:
        return false;
      case ThriftType.Byte:
        return (this.byte() << 24) >> 24;
      case ThriftType.I16:
      case ThriftType.I32:
        return this.smallZigzag();
      case ThriftType.I64:
        return this.zigzag();
      case ThriftType.Double:
        return new DataView(this.take(8).slice().buffer).getFloat64(0, true);
      case ThriftType.Binary:
        return this.take(this.smallVarint());
      case ThriftType.List:
      case ThriftType.Set:
        return this.list(type, depth + 1);
      case ThriftType.Map:
        return this.map(depth + 1);
      case ThriftType.Struct:
        return this.struct(depth + 1);
      default:
        throw new ThriftDecodeError(`unknown wire type ${type as number}`, this.pos);
    }
  }

  /** A collection element: booleans are a byte each (1 true, else false), the rest as fields. */
  element(type: ThriftType, depth: number): ThriftValue {
    if (type === ThriftType.True || type === ThriftType.False) return this.byte() === ThriftType.True;
    return this.value(type, depth);
  }

  list(kind: ThriftType.List | ThriftType.Set, depth: number): ThriftList {
    if (depth > MAX_DEPTH) throw new ThriftDecodeError('nesting too deep', this.pos);
    const head = this.byte();
    const elementType = (head & 0x0f) as ThriftType;
    const size = head >> 4 === 0x0f ? this.smallVarint() : head >> 4;
    const items: ThriftValue[] = [];
    for (let i = 0; i < size; i++) items.push(this.element(elementType, depth));
    return { kind, elementType, items };
  }

  map(depth: number): ThriftMap {
    if (depth > MAX_DEPTH) throw new ThriftDecodeError('nesting too deep', this.pos);
    const size = this.smallVarint();
    if (size === 0) return { keyType: ThriftType.Stop, valueType: ThriftType.Stop, entries: [] };
    const types = this.byte();
    const keyType = (types >> 4) as ThriftType;
    const valueType = (types & 0x0f) as ThriftType;
    const entries: [ThriftValue, ThriftValue][] = [];
    for (let i = 0; i < size; i++)
      entries.push([this.element(keyType, depth), this.element(valueType, depth)]);
    return { keyType, valueType, entries };
  }

  struct(depth: number): ThriftStruct {
    if (depth > MAX_DEPTH) throw new ThriftDecodeError('nesting too deep', this.pos);
    const fields: ThriftField[] = [];
    let lastId = 0;
    for (;;) {
      const head = this.byte();
      if (head === ThriftType.Stop) return { fields };
      const type = (head & 0x0f) as ThriftType;
      const delta = head >> 4;
      const id = delta === 0 ? this.smallZigzag() : lastId + delta;
      fields.push({ id, type, value: this.value(type, depth) });
      lastId = id;
    }
  }
}

/** Decode one struct starting at `offset`; returns it and the offset just past it. */
export function decodeThriftStruct(bytes: Uint8Array, offset = 0): { struct: ThriftStruct; end: number } {
  const reader = new Reader(bytes);
  reader.pos = offset;
  const struct = reader.struct(0);
  return { struct, end: reader.pos };
}

class Writer {
  private buffer = new Uint8Array(1024);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(b: number): void {
    this.room(1);
    this.buffer[this.length++] = b & 0xff;
  }

  varint(n: bigint): void {
    let v = n;
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  zigzag(n: bigint, bits: bigint): void {
    this.varint(BigInt.asUintN(Number(bits), (n << 1n) ^ (n >> (bits - 1n))));
  }

  bytes(data: Uint8Array): void {
    this.room(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  value(type: ThriftType, value: ThriftValue): void {
    switch (type) {
      case ThriftType.True:
      case ThriftType.False:
        return; // in the field header
      case ThriftType.Byte:
        return this.byte(value as number);
      case ThriftType.I16:
        return this.zigzag(BigInt(value as number), 16n);
      case ThriftType.I32:
        return this.zigzag(BigInt(value as number), 32n);
      case ThriftType.I64:
        return this.zigzag(value as bigint, 64n);
      case ThriftType.Double: {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setFloat64(0, value as number, true);
        return this.bytes(b);
      }
      case ThriftType.Binary: {
        const data = value as Uint8Array;
        this.varint(BigInt(data.length));
        return this.bytes(data);
      }
      case ThriftType.List:
      case ThriftType.Set:
        return this.list(value as ThriftList);
      case ThriftType.Map:
        return this.map(value as ThriftMap);
      case ThriftType.Struct:
        return this.struct(value as ThriftStruct);
      default:
        throw new Error(`unknown Thrift wire type ${type as number}`);
    }
  }

  element(type: ThriftType, value: ThriftValue): void {
    if (type === ThriftType.True || type === ThriftType.False) return this.byte(value ? 1 : 2);
    this.value(type, value);
  }

  list(list: ThriftList): void {
    const size = list.items.length;
    if (size < 15) this.byte((size << 4) | list.elementType);
    else {
      this.byte(0xf0 | list.elementType);
      this.varint(BigInt(size));
    }
    for (const item of list.items) this.element(list.elementType, item);
  }

  map(map: ThriftMap): void {
    this.varint(BigInt(map.entries.length));
    if (map.entries.length === 0) return;
    this.byte((map.keyType << 4) | map.valueType);
    for (const [k, v] of map.entries) {
      this.element(map.keyType, k);
      this.element(map.valueType, v);
    }
  }

  struct(struct: ThriftStruct): void {
    let lastId = 0;
    for (const field of struct.fields) {
      const type =
        field.type === ThriftType.True || field.type === ThriftType.False
          ? field.value
            ? ThriftType.True
            : ThriftType.False
          : field.type;
      const delta = field.id - lastId;
      if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
      else {
        this.byte(type);
        this.zigzag(BigInt(field.id), 16n);
      }
      this.value(type, field.value);
      lastId = field.id;
    }
    this.byte(ThriftType.Stop);
  }

  result(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

export function encodeThriftStruct(struct: ThriftStruct): Uint8Array {
  const writer = new Writer();
  writer.struct(struct);
  return writer.result();
}

/** The field with this id, or undefined. */
export function thriftField(struct: ThriftStruct, id: number): ThriftField | undefined {
  return struct.fields.find((f) => f.id === id);
}

/** The value of a required field of the given wire type; throws naming `what` if absent or mistyped. */
export function requiredField<T extends ThriftValue>(
  struct: ThriftStruct,
  id: number,
  type: ThriftType,
  what: string,
): T {
  const field = thriftField(struct, id);
  if (!field || field.type !== type) throw new Error(`${what} (field ${id}) is missing or mistyped`);
  return field.value as T;
}

/** Set (or add, keeping ids ascending) a field's value. */
export function setThriftField(struct: ThriftStruct, id: number, type: ThriftType, value: ThriftValue): void {
  const at = struct.fields.findIndex((f) => f.id === id);
  if (at >= 0) {
    struct.fields[at] = { id, type, value };
    return;
  }
  const before = struct.fields.findIndex((f) => f.id > id);
  struct.fields.splice(before < 0 ? struct.fields.length : before, 0, { id, type, value });
}

export function removeThriftFields(struct: ThriftStruct, ids: readonly number[]): void {
  struct.fields = struct.fields.filter((f) => !ids.includes(f.id));
}

/**
 * A deep copy of a decoded struct. Binary values are views into the bytes they were decoded from (the
 * whole file, for a footer): structuredClone would copy that whole buffer for each one, this copies only
 * the value's own bytes.
 */
export function cloneThriftStruct(struct: ThriftStruct): ThriftStruct {
  return { fields: struct.fields.map((f) => ({ id: f.id, type: f.type, value: cloneValue(f.value) })) };
}

function cloneValue(value: ThriftValue): ThriftValue {
  if (value instanceof Uint8Array) return value.slice();
  if (typeof value !== 'object') return value;
  if ('fields' in value) return cloneThriftStruct(value);
  if ('items' in value) return { ...value, items: value.items.map(cloneValue) };
  return { ...value, entries: value.entries.map(([k, v]) => [cloneValue(k), cloneValue(v)]) };
}
