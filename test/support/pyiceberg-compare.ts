// PyIceberg as the witness of a table's final rows: it loads each table through a catalog (SqlCatalog on
// our catalog.db, or the REST catalog), reads every row, and canonicalises both its rows and the
// scenario's expected/ rows (by the PostgreSQL column types, per the fixtures README) into sorted JSON
// strings, so the comparison is exact (Python ints and Decimals keep every digit).

import { runPython } from './python.js';

/**
 * Python source defining `canon(value, pg_type)`: a value as PyIceberg or DuckDB (through Arrow) returns
 * it, in the fixtures' canonical form for its PostgreSQL column type.
 */
export const PY_CANON = `
import base64, datetime, decimal, json, re

def canon(value, pg):
    if value is None:
        return None
    base = re.sub(r"\\(.*\\)", "", pg).strip().lower()
    if base.endswith("[]"):
        return [None if v is None else v for v in value]
    if base in ("numeric", "decimal"):
        m = re.search(r"\\(\\s*\\d+\\s*,\\s*(\\d+)\\s*\\)", pg)
        scale = int(m.group(1)) if m else None
        d = decimal.Decimal(str(value))
        return format(d, "f") if scale is None else format(d.quantize(decimal.Decimal(1).scaleb(-scale)), "f")
    if base in ("double precision", "float8", "real", "float4", "float"):
        return float(value)
    if base in ("json", "jsonb"):
        return json.loads(value) if isinstance(value, str) else value
    if base == "bytea":
        return base64.b64encode(value).decode() if isinstance(value, (bytes, bytearray)) else value
    if base == "date" and isinstance(value, datetime.date):
        return value.isoformat()
    if base in ("time", "time without time zone") and isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S.%f")
    if base in ("timestamp", "timestamp without time zone") and isinstance(value, datetime.datetime):
        return "%04d-%s" % (value.year, value.strftime("%m-%dT%H:%M:%S.%f"))
    if base in ("timestamptz", "timestamp with time zone") and isinstance(value, datetime.datetime):
        v = value.astimezone(datetime.timezone.utc)
        return "%04d-%sZ" % (v.year, v.strftime("%m-%dT%H:%M:%S.%f"))
    if base == "uuid":
        return str(value)
    return value
`;

export const PY_COMPARE_TABLES = `${PY_CANON}
import sys
from pyiceberg.catalog import load_catalog

out = {}
for job in json.loads(sys.argv[1]):
    catalog = load_catalog("default", **job["catalog"])
    pg = dict(job["columns"])
    names = [c for c, _ in job["columns"]]
    table = catalog.load_table(job["table"])
    rows = table.scan().to_arrow().to_pylist()
    actual = sorted(json.dumps({c: canon(r.get(c), pg[c]) for c in names}, sort_keys=True) for r in rows)
    expected = []
    with open(job["expected"]) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                expected.append(json.dumps({c: canon(r.get(c), pg[c]) if pg[c].lower().startswith(("json", "numeric", "double", "real", "float")) else r.get(c) for c in names}, sort_keys=True))
    out[job["id"]] = {"actual": actual, "expected": sorted(expected)}
print(json.dumps(out))
`;

export interface CompareJob {
  id: string;
  /** PyIceberg catalog properties, e.g. {type: 'sql', uri: 'sqlite:///…', warehouse: 'file://…'}. */
  catalog: Record<string, string>;
  /** namespace.table */
  table: string;
  columns: Array<[string, string]>;
  /** Path of the expected/*.jsonl file. */
  expected: string;
}

export type CompareResult = Record<string, { actual: string[]; expected: string[] }>;

export function compareTablesWithPyIceberg(jobs: CompareJob[]): Promise<CompareResult> {
  return runPython<CompareResult>(PY_COMPARE_TABLES, [JSON.stringify(jobs)]);
}
