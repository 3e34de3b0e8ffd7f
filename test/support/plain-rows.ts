// Rows made by the engine (newRow in shared/iceberg/spec/values.ts) have their own empty prototype, so
// that any column name is an ordinary property; strict deep equality compares prototypes too. plain()
// copies rows into ordinary objects, deeply, so a test can compare them with object literals.

export function plain<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => plain(v)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  const proto = Object.getPrototypeOf(value) as object | null;
  // only the engine's rows: an object of another class (Map, Date…) is left as it is
  if (proto !== null && proto !== Object.prototype && Object.getPrototypeOf(proto) !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    Object.defineProperty(out, k, { value: plain(v), enumerable: true, writable: true, configurable: true });
  return out as T;
}
