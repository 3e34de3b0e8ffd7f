// How a value of each Iceberg type is held in memory, everywhere in the engine (coercion produces it, the
// change-set codec stores it, the Parquet writer consumes it, the reader returns it). Exact by design:
// no value ever passes through a double unless its Iceberg type is float or double.
//
//   boolean            boolean
//   int                number (32-bit integer)
//   long               bigint
//   float, double      number
//   decimal(P, S)      bigint: the unscaled value (12.30 at scale 2 → 1230n)
//   date               number: days since 1970-01-01
//   time               bigint: microseconds since midnight
//   timestamp(tz)      bigint: microseconds since 1970-01-01T00:00:00 (UTC for timestamptz)
//   string, uuid       string
//   binary, fixed[L]   Uint8Array
//   list<E>            IcebergValue[] (elements may be null)
//   map<K, V>          Array<[key, value]>
//   struct             { [fieldName]: IcebergValue }
//
// null is SQL NULL. In a row object, an absent key means "not present in the change" (kept from the
// current row by the copy-on-write merge), which is not the same as null.

export type IcebergValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | IcebergValue[]
  | Array<[IcebergValue, IcebergValue]>
  | { [field: string]: IcebergValue };

export type Row = Record<string, IcebergValue>;
