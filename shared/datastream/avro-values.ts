// Decoded Avro record (avsc, bigint longs, wrapped unions) → the event shape the validator reads, with
// payload values turned into typed source values by the writer schema's logical types. Datastream's
// own logical types (from its unified types) are understood here:
//   number (string) → numeric text          varchar (string, or record {value}) → string
//   json / Json (string) → JSON document     timestampTz {timestamp µs, offset ms} → UTC instant
//   timeTz {time µs, offset ms} → text       interval {months, hours, micros} → ISO-8601 duration text
//   datetime {date days, time µs} → timestamp       time-interval-micros (long) → [-]HH:MM:SS[.ffffff]
//   multidimensionalArray_<col> {nestedArray, elementValue} → nested arrays
// plus the standard date, time-millis/micros, timestamp-millis/micros, decimal and uuid.

import {
  DateDays,
  JsonDocumentText,
  ScaledDecimal,
  TimeOfDayMicros,
  TimestampMicros,
} from './source-values.js';

type Converter = (value: unknown) => unknown;
type SchemaNode = string | SchemaObject | SchemaNode[];
interface SchemaObject {
  type: SchemaNode;
  name?: string;
  namespace?: string;
  logicalType?: string;
  fields?: Array<{ name: string; type: SchemaNode }>;
  items?: SchemaNode;
  values?: SchemaNode;
  symbols?: string[];
  scale?: number;
  precision?: number;
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

function toBytes(value: unknown): Uint8Array {
  const buf = value as Uint8Array;
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Two's-complement big-endian bytes → bigint (Avro decimal). */
function bigintFromTwosComplement(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if ((bytes[0] as number) & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return n;
}

function asBigint(value: unknown): bigint {
  return typeof value === 'bigint' ? value : BigInt(value as number);
}

function pad(n: bigint | number, width: number): string {
  return n.toString().padStart(width, '0');
}

function clockText(totalMicros: bigint): string {
  const negative = totalMicros < 0n;
  const micros = negative ? -totalMicros : totalMicros;
  const seconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  let text = `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}`;
  if (fraction !== 0n) text += `.${pad(fraction, 6)}`;
  return negative ? `-${text}` : text;
}

function offsetText(offsetMs: bigint): string {
  const sign = offsetMs < 0n ? '-' : '+';
  const minutes = (offsetMs < 0n ? -offsetMs : offsetMs) / 60_000n;
  return `${sign}${pad(minutes / 60n, 2)}:${pad(minutes % 60n, 2)}`;
}

function field(record: unknown, name: string): unknown {
  return (record as Record<string, unknown>)[name];
}

/** Builds converters for one writer schema; named types are resolved lazily so recursion works. */
class ConverterBuilder {
  private readonly named = new Map<string, Converter>();

  constructor(private readonly logical: boolean) {}

  build(node: SchemaNode, namespace = ''): Converter {
    if (typeof node === 'string') {
      if (PRIMITIVES.has(node)) return this.primitive(node);
      const name = node.includes('.') || namespace === '' ? node : `${namespace}.${node}`;
      return (value) => {
        const converter = this.named.get(name) ?? this.named.get(node);
        if (!converter) throw new Error(`unknown Avro type name ${node}`);
        return converter(value);
      };
    }
    if (Array.isArray(node)) return this.union(node, namespace);
    const logical = this.logical ? node.logicalType : undefined;
    const type = node.type;
    if (typeof type === 'string' && PRIMITIVES.has(type)) {
      const base = this.primitive(type);
      return logical ? this.logicalPrimitive(logical, node, base) : base;
    }
    switch (type) {
      case 'record':
      case 'error':
        return this.record(node, namespace);
      case 'array': {
        const item = this.build(node.items as SchemaNode, namespace);
        return (value) => (value as unknown[]).map(item);
      }
      case 'map': {
        const item = this.build(node.values as SchemaNode, namespace);
        return (value) => {
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = item(v);
          return out;
        };
      }
      case 'enum': {
        this.register(node, namespace, (value) => value);
        return (value) => value;
      }
      case 'fixed': {
        const converter: Converter = logical === 'decimal' ? this.decimal(node) : toBytes;
        this.register(node, namespace, converter);
        return converter;
      }
      default:
        // A nested schema object as `type` ({type: {type: 'string', logicalType: …}}).
        return this.build(type, namespace);
    }
  }

  private register(node: SchemaObject, namespace: string, converter: Converter): void {
    const ns = node.namespace ?? namespace;
    const name = node.name ?? '';
    const full = name.includes('.') || ns === '' ? name : `${ns}.${name}`;
    this.named.set(full, converter);
    this.named.set(name, converter);
  }

  private primitive(type: string): Converter {
    if (type === 'bytes') return toBytes;
    return (value) => value;
  }

  private decimal(node: SchemaObject): Converter {
    const scale = node.scale ?? 0;
    return (value) => new ScaledDecimal(bigintFromTwosComplement(value as Uint8Array), scale);
  }

  private logicalPrimitive(logical: string, node: SchemaObject, base: Converter): Converter {
    switch (logical) {
      case 'date':
        return (value) => new DateDays(Number(value));
      case 'time-millis':
        return (value) => new TimeOfDayMicros(asBigint(value) * 1000n);
      case 'time-micros':
        return (value) => new TimeOfDayMicros(asBigint(value));
      case 'timestamp-millis':
      case 'local-timestamp-millis':
        return (value) => new TimestampMicros(asBigint(value) * 1000n);
      case 'timestamp-micros':
      case 'local-timestamp-micros':
        return (value) => new TimestampMicros(asBigint(value));
      case 'decimal':
        return node.type === 'bytes' ? this.decimal(node) : base;
      case 'json':
      case 'Json':
        return (value) => new JsonDocumentText(String(value));
      case 'time-interval-micros':
        return (value) => clockText(asBigint(value));
      case 'number':
      case 'varchar':
      case 'uuid':
      default:
        return base;
    }
  }

  private union(branches: SchemaNode[], namespace: string): Converter {
    const byName = new Map<string, Converter>();
    for (const branch of branches) {
      const converter = this.build(branch, namespace);
      for (const name of this.branchNames(branch, namespace)) byName.set(name, converter);
    }
    return (value) => {
      if (value === null || value === undefined) return null;
      const keys = Object.keys(value as object);
      const key = keys[0];
      if (keys.length !== 1 || key === undefined) return value;
      const converter = byName.get(key);
      if (!converter) throw new Error(`unknown union branch ${key}`);
      return converter((value as Record<string, unknown>)[key]);
    };
  }

  /** The key(s) avsc uses for a wrapped union branch: the type name, qualified for named types. */
  private branchNames(branch: SchemaNode, namespace: string): string[] {
    if (typeof branch === 'string') {
      if (PRIMITIVES.has(branch) || branch.includes('.') || namespace === '') return [branch];
      return [branch, `${namespace}.${branch}`];
    }
    if (Array.isArray(branch)) return [];
    const type = branch.type;
    if (typeof type === 'string' && ['record', 'error', 'enum', 'fixed'].includes(type)) {
      const ns = branch.namespace ?? namespace;
      const name = branch.name ?? '';
      return name.includes('.') || ns === '' ? [name] : [name, `${ns}.${name}`];
    }
    if (typeof type === 'string') return [type];
    return this.branchNames(type, namespace);
  }

  private record(node: SchemaObject, namespace: string): Converter {
    const ns =
      node.namespace ??
      (node.name?.includes('.') ? node.name.slice(0, node.name.lastIndexOf('.')) : namespace);
    const shortName = (node.name ?? '').split('.').pop() ?? '';
    let converter: Converter = () => undefined;
    this.register(node, namespace, (value) => converter(value));
    const fields = (node.fields ?? []).map((f) => ({ name: f.name, convert: this.build(f.type, ns) }));
    const generic: Converter = (value) => {
      const out: Record<string, unknown> = {};
      for (const f of fields) out[f.name] = f.convert(field(value, f.name));
      return out;
    };
    if (this.logical && shortName.startsWith('multidimensionalArray_')) {
      // The record refers to itself for its elements: an element is a nested array (nestedArray set)
      // or a leaf (elementValue); at the column level a missing nestedArray is an empty array.
      const nested = (value: unknown) => field(generic(value), 'nestedArray');
      converter = (value) => {
        const items = nested(value);
        return Array.isArray(items) ? items : (field(generic(value), 'elementValue') ?? null);
      };
      return (value) => {
        const items = nested(value);
        return Array.isArray(items) ? items : [];
      };
    }
    converter = this.logical ? this.datastreamRecord(shortName, generic) : generic;
    return converter;
  }

  /** Datastream's record-shaped unified types, recognised by record name. */
  private datastreamRecord(name: string, generic: Converter): Converter {
    switch (name) {
      case 'timestampTz':
        // `timestamp` is the instant in µs (UTC); `offset` only says which zone it was written in.
        return (value) => {
          const timestamp = field(generic(value), 'timestamp');
          return timestamp instanceof TimestampMicros ? timestamp : new TimestampMicros(asBigint(timestamp));
        };
      case 'datetime': {
        return (value) => {
          const record = generic(value) as Record<string, unknown>;
          const date = record.date instanceof DateDays ? BigInt(record.date.days) : asBigint(record.date);
          const time = record.time instanceof TimeOfDayMicros ? record.time.micros : asBigint(record.time);
          return new TimestampMicros(date * 86_400_000_000n + time);
        };
      }
      case 'timeTz':
        return (value) => {
          const record = generic(value) as Record<string, unknown>;
          const time = record.time instanceof TimeOfDayMicros ? record.time.micros : asBigint(record.time);
          return `${clockText(time)}${offsetText(asBigint(record.offset))}`;
        };
      case 'interval':
        return (value) => {
          const record = generic(value) as Record<string, unknown>;
          const micros = asBigint(record.micros ?? 0);
          const negative = micros < 0n;
          const abs = negative ? -micros : micros;
          const seconds = `${negative ? '-' : ''}${abs / 1_000_000n}${abs % 1_000_000n === 0n ? '' : `.${pad(abs % 1_000_000n, 6).replace(/0+$/, '')}`}`;
          return `P${String(record.months ?? 0)}MT${String(record.hours ?? 0)}H${seconds}S`;
        };
      case 'varchar':
        return (value) => field(generic(value), 'value');
      case 'calendarDate':
        return (value) => {
          const record = generic(value) as Record<string, number>;
          const y = Number(record.year);
          const m = Number(record.month);
          const d = Number(record.day);
          return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
        };
      default:
        return generic;
    }
  }
}

/**
 * Converter for whole records of a Datastream Avro file: envelope and source_metadata fields stay
 * plain (timestamps as epoch-ms bigints), payload fields get their logical types.
 */
export function datastreamRecordConverter(writerSchema: unknown): Converter {
  const schema = writerSchema as SchemaObject;
  const plain = new ConverterBuilder(false);
  const logical = new ConverterBuilder(true);
  const fields = (schema.fields ?? []).map((f) => ({
    name: f.name,
    convert:
      f.name === 'payload'
        ? logical.build(f.type, schema.namespace ?? '')
        : plain.build(f.type, schema.namespace ?? ''),
  }));
  return (record) => {
    const out: Record<string, unknown> = {};
    for (const f of fields) out[f.name] = f.convert(field(record, f.name));
    return out;
  };
}
