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

/**
 * Above every row: an empty prototype with none above it. Column names come from the source, so a
 * column may be called `__proto__` or `constructor`; on a plain object the first would set the
 * prototype instead of a property and an absent second would read as Object. On a row made by newRow
 * both are plain own properties, and a missing column reads as undefined. (Object.create(null) alone
 * would do the same but puts every row in V8's slow dictionary mode.)
 */
const ROW_PROTOTYPE: object = Object.freeze(Object.create(null) as object);

/** An empty row: use for every row keyed by column names (see ROW_PROTOTYPE). */
export function newRow(): Row {
  return Object.create(ROW_PROTOTYPE) as Row;
}

/** Struct values are keyed by field names too: the same rule. */
export const newStruct = newRow;
