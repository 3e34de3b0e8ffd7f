// Avro writer schemas shaped like Datastream's: the event fields, source_metadata and a payload record
// of the test's columns. Shared by the reader tests and the table-from-Avro tests.

/** A union with null, as Datastream writes every payload column. */
export const nullable = (type: unknown): unknown[] => ['null', type];

/** Datastream's record for a PostgreSQL array column (`multidimensionalArray_<column>`). */
export const arrayRecord = (name: string, element: unknown) => ({
  type: 'record',
  name,
  fields: [
    { name: 'nestedArray', type: nullable({ type: 'array', items: name }), default: null },
    { name: 'elementValue', type: nullable(element), default: null },
  ],
});

// Datastream's records for PostgreSQL timestamptz, timestamp (as date + time), timetz and interval.
export const TIMESTAMP_TZ_RECORD = {
  type: 'record',
  name: 'timestampTz',
  fields: [
    { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'offset', type: { type: 'int', logicalType: 'time-millis' } },
  ],
};
export const DATETIME_RECORD = {
  type: 'record',
  name: 'datetime',
  fields: [
    { name: 'date', type: { type: 'int', logicalType: 'date' } },
    { name: 'time', type: { type: 'long', logicalType: 'time-micros' } },
  ],
};
export const TIME_TZ_RECORD = {
  type: 'record',
  name: 'timeTz',
  fields: [
    { name: 'time', type: { type: 'long', logicalType: 'time-micros' } },
    { name: 'offset', type: { type: 'int', logicalType: 'time-millis' } },
  ],
};
export const INTERVAL_RECORD = {
  type: 'record',
  name: 'interval',
  fields: [
    { name: 'months', type: 'int' },
    { name: 'hours', type: 'int' },
    { name: 'micros', type: 'long' },
  ],
};

/** A Datastream event schema named `name` whose payload has these fields (`{name, type}` as given). */
export function datastreamEventSchema(name: string, payloadFields: Array<{ name: string; type: unknown }>) {
  return {
    type: 'record',
    name,
    fields: [
      { name: 'uuid', type: 'string' },
      { name: 'read_timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'source_timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'object', type: 'string' },
      { name: 'read_method', type: 'string' },
      { name: 'stream_name', type: 'string' },
      { name: 'schema_key', type: 'string' },
      { name: 'sort_keys', type: { type: 'array', items: ['string', 'long'] } },
      {
        name: 'source_metadata',
        type: {
          type: 'record',
          name: 'source_metadata',
          fields: [
            { name: 'schema', type: 'string' },
            { name: 'table', type: 'string' },
            { name: 'is_deleted', type: nullable('boolean') },
            { name: 'change_type', type: nullable('string') },
            { name: 'tx_id', type: nullable('long') },
            { name: 'lsn', type: nullable('string') },
            { name: 'primary_keys', type: nullable({ type: 'array', items: 'string' }) },
          ],
        },
      },
      { name: 'payload', type: { type: 'record', name: 'payload', fields: payloadFields } },
    ],
  };
}
