// The table an Avro object describes: every Datastream `.avro` file carries its writer schema, whose
// `payload` record lists the source columns with Datastream's unified types. Each column is mapped to the
// PostgreSQL type it stands for, so a table learnt from Avro is defined exactly as a declared one would
// be (same Iceberg types, same `pg-types` bookkeeping for the columns stored as text).
//
//   Avro (after the ["null", T] union)             PostgreSQL
//   boolean                                        boolean
//   int / long                                     integer / bigint
//   float / double                                 real / double precision
//   bytes, fixed                                   bytea
//   bytes|fixed + decimal(p, s)                    numeric(p,s)  (p > 38 is stored as exact text)
//   string                                         text
//   string + varchar, record varchar {value}       varchar
//   string + number                                numeric       (unconstrained: exact text)
//   string + json / Json                           jsonb
//   string + uuid                                  uuid
//   int + date, record calendarDate                date
//   int + time-millis, long + time-micros          time
//   long + timestamp-millis/-micros                timestamptz   (an instant)
//   long + local-timestamp-millis/-micros          timestamp
//   record timestampTz {timestamp, offset}         timestamptz
//   record datetime {date, time}                   timestamp
//   record timeTz {time, offset}                   timetz        (text, offset kept)
//   record interval, long + time-interval-micros   interval      (text)
//   enum                                           text
//   record multidimensionalArray_<col>             <element type>[]
// Any other shape (a map, a plain record) is not a PostgreSQL column Datastream writes: it fails the
// object with a reason naming the column and the Avro type, rather than guessing.

import { DatastreamValidationError } from './errors.js';

type AvroNode = string | AvroObject | AvroNode[];
interface AvroObject {
  type: AvroNode;
  name?: string;
  namespace?: string;
  logicalType?: string;
  fields?: Array<{ name: string; type: AvroNode }>;
  items?: AvroNode;
  precision?: number;
  scale?: number;
}

const PRIMITIVE_TYPES: Record<string, string> = {
  boolean: 'boolean',
  int: 'integer',
  long: 'bigint',
  float: 'real',
  double: 'double precision',
  bytes: 'bytea',
  string: 'text',
};

const LOGICAL_TYPES: Record<string, string> = {
  varchar: 'varchar',
  number: 'numeric',
  json: 'jsonb',
  Json: 'jsonb',
  uuid: 'uuid',
  date: 'date',
  'time-millis': 'time',
  'time-micros': 'time',
  'timestamp-millis': 'timestamptz',
  'timestamp-micros': 'timestamptz',
  'local-timestamp-millis': 'timestamp',
  'local-timestamp-micros': 'timestamp',
  'time-interval-micros': 'interval',
};

/** Datastream's record-shaped unified types, by record name. */
const RECORD_TYPES: Record<string, string> = {
  timestampTz: 'timestamptz',
  datetime: 'timestamp',
  timeTz: 'timetz',
  interval: 'interval',
  varchar: 'varchar',
  calendarDate: 'date',
};

const ARRAY_RECORD_PREFIX = 'multidimensionalArray_';

class UnmappableType extends Error {}

/** Walks a writer schema, remembering named types so a later reference by name maps the same way. */
class AvroColumnMapper {
  private readonly named = new Map<string, AvroObject>();

  pgType(node: AvroNode): string {
    if (typeof node === 'string') {
      const primitive = PRIMITIVE_TYPES[node];
      if (primitive) return primitive;
      const named = this.named.get(node) ?? this.named.get(node.split('.').pop() ?? node);
      if (!named) throw new UnmappableType(`refers to the undefined Avro type ${node}`);
      return this.pgType(named);
    }
    if (Array.isArray(node)) {
      const branches = node.filter((branch) => branch !== 'null');
      if (branches.length !== 1) throw new UnmappableType('is a union of several types');
      return this.pgType(branches[0] as AvroNode);
    }
    this.register(node);
    const type = node.type;
    const logical = node.logicalType;
    if (logical === 'decimal' && (type === 'bytes' || type === 'fixed')) {
      return node.precision === undefined ? 'numeric' : `numeric(${node.precision},${node.scale ?? 0})`;
    }
    if (typeof type === 'string' && type in PRIMITIVE_TYPES) {
      const mapped = logical === undefined ? undefined : LOGICAL_TYPES[logical];
      return mapped ?? (PRIMITIVE_TYPES[type] as string);
    }
    switch (type) {
      case 'fixed':
        return 'bytea';
      case 'enum':
        return 'text';
      case 'record':
        return this.record(node);
      case 'array':
      case 'map':
        throw new UnmappableType(`is an Avro ${type}, which no PostgreSQL column is written as`);
      default:
        // A nested schema object as `type` ({type: {type: 'string', logicalType: …}}).
        if (typeof type === 'object') return this.pgType(type);
        throw new UnmappableType(`has the unknown Avro type ${JSON.stringify(type)}`);
    }
  }

  private register(node: AvroObject): void {
    if (!node.name) return;
    this.named.set(node.name, node);
    this.named.set(node.name.split('.').pop() ?? node.name, node);
    if (node.namespace) this.named.set(`${node.namespace}.${node.name}`, node);
  }

  private record(node: AvroObject): string {
    const name = (node.name ?? '').split('.').pop() ?? '';
    if (name.startsWith(ARRAY_RECORD_PREFIX)) {
      // {nestedArray: [self], elementValue: T}: the element type is the leaf's. PostgreSQL arrays of
      // any dimension share one type; a multi-dimensional value is refused by the list coercer.
      const element = node.fields?.find((f) => f.name === 'elementValue');
      if (!element) throw new UnmappableType(`is an array record without elementValue`);
      return `${this.pgType(element.type)}[]`;
    }
    const mapped = RECORD_TYPES[name];
    if (mapped) return mapped;
    throw new UnmappableType(
      `is the Avro record ${name || '(anonymous)'}, which no PostgreSQL column is written as`,
    );
  }
}

/**
 * The payload columns of a Datastream Avro writer schema as [name, PostgreSQL type] pairs, in the
 * order the file lists them. `object` names the file in an error.
 */
export function avroPayloadColumns(writerSchema: unknown, object: string): Array<[string, string]> {
  const root = writerSchema as AvroObject;
  const payloadField = root.fields?.find((f) => f.name === 'payload');
  const mapper = new AvroColumnMapper();
  const payload = payloadField ? resolvePayloadRecord(payloadField.type) : undefined;
  if (!payload) {
    throw new DatastreamValidationError(
      { object, column: 'payload' },
      'the Avro writer schema has no payload record to take the table columns from',
    );
  }
  return (payload.fields ?? []).map((field) => {
    try {
      return [field.name, mapper.pgType(field.type)];
    } catch (error) {
      if (!(error instanceof UnmappableType)) throw error;
      throw new DatastreamValidationError(
        { object, column: field.name, value: JSON.stringify(field.type).slice(0, 120) },
        `${error.message}; declare the table to give the column a type`,
      );
    }
  });
}

function resolvePayloadRecord(node: AvroNode): AvroObject | undefined {
  if (Array.isArray(node)) {
    const branches = node.filter((branch) => branch !== 'null');
    return branches.length === 1 ? resolvePayloadRecord(branches[0] as AvroNode) : undefined;
  }
  if (typeof node === 'object' && node.type === 'record') return node;
  return undefined;
}
