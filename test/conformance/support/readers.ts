// The independent readers: PyIceberg (StaticTable on a metadata.json) and DuckDB (iceberg_scan on the
// same file). Both return rows in one canonical text form so values compare exactly: integers as decimal
// text (int64 beyond 2^53 intact), decimals digit for digit, dates as days and times/timestamps as µs
// since the epoch (no float, no time zone conversion), binaries as base64, floats as shortest repr.

import { runPython } from '../../support/python.js';

export type CanonicalValue = string | null | CanonicalValue[] | { [k: string]: CanonicalValue };
export type CanonicalRow = Record<string, CanonicalValue>;

const CANON = `
import base64, datetime, decimal, json, sys
import pyarrow as pa, pyarrow.compute as pc

def cast_column(col):
    t = col.type
    if pa.types.is_timestamp(t) or pa.types.is_time64(t):
        return col.cast(pa.int64())
    if pa.types.is_date32(t):
        return col.cast(pa.int32())
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return col  # elements are canonicalised in python below
    return col

def canon(v):
    if v is None: return None
    if isinstance(v, bool): return 'true' if v else 'false'
    if isinstance(v, int): return str(v)
    if isinstance(v, float): return repr(v)
    if isinstance(v, decimal.Decimal): return str(v)
    if isinstance(v, (bytes, bytearray)): return base64.b64encode(bytes(v)).decode()
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None: v = v.replace(tzinfo=datetime.timezone.utc)
        d = v - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return str((d.days * 86400 + d.seconds) * 1000000 + d.microseconds)
    if isinstance(v, datetime.date): return str((v - datetime.date(1970, 1, 1)).days)
    if isinstance(v, datetime.time): return str(((v.hour * 60 + v.minute) * 60 + v.second) * 1000000 + v.microsecond)
    if isinstance(v, dict): return {k: canon(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [canon(x) for x in v]
    return str(v)

def rows_of(table):
    cols = {name: cast_column(table.column(name)).to_pylist() for name in table.column_names}
    return [{name: canon(cols[name][i]) for name in table.column_names} for i in range(table.num_rows)]
`;

export interface PyIcebergResult {
  rows: CanonicalRow[];
  /** Per live data file: path, record count and partition tuple (canonical). */
  /** null when PyIceberg's inspect cannot render the table's metrics (files_error says why). */
  files: { file_path: string; record_count: string; partition: Record<string, CanonicalValue> }[] | null;
  files_error?: string;
  snapshots: { snapshot_id: string; sequence_number: string; operation: string }[];
  /** Files planned for each filter, and the rows the filtered scan returns. */
  filtered: { filter: string; planned_files: number; rows: CanonicalRow[] }[];
  snapshot_rows: Record<string, number>;
}

/** A table as PyIceberg finds it: a metadata file (StaticTable) or a catalog's table. */
export type PyIcebergSource = string | { catalog: Record<string, string>; table: string };

export async function readWithPyIceberg(
  source: PyIcebergSource,
  filters: string[] = [],
): Promise<PyIcebergResult> {
  const script = `${CANON}
from pyiceberg.table import StaticTable
from pyiceberg.catalog import load_catalog
args = json.loads(sys.argv[1])
if 'catalog' in args:
    # the name is SqlCatalog's catalog_name column: ours defaults to 'default'
    t = load_catalog('default', **args['catalog']).load_table(args['table'])
else:
    t = StaticTable.from_metadata(args['metadata'])
out = {'rows': rows_of(t.scan().to_arrow())}
try:
    files = t.inspect.files().select(['file_path', 'record_count', 'partition']).to_pylist()
    out['files'] = [{k: canon(v) for k, v in f.items()} for f in files]
except Exception as e:  # PyIceberg's inspect cannot render every type's metrics (uuid bounds)
    out['files'] = None
    out['files_error'] = repr(e)
out['snapshots'] = [{'snapshot_id': str(s.snapshot_id), 'sequence_number': str(s.sequence_number), 'operation': s.summary.operation.value} for s in t.snapshots()]
out['snapshot_rows'] = {str(s.snapshot_id): t.scan(snapshot_id=s.snapshot_id).to_arrow().num_rows for s in t.snapshots()}
out['filtered'] = []
for f in args['filters']:
    scan = t.scan(row_filter=f)
    out['filtered'].append({'filter': f, 'planned_files': len(list(scan.plan_files())), 'rows': rows_of(scan.to_arrow())})
print(json.dumps(out))
`;
  const where = typeof source === 'string' ? { metadata: source } : source;
  return runPython<PyIcebergResult>(script, [JSON.stringify({ ...where, filters })]);
}

export async function readWithDuckDb(metadataLocation: string): Promise<CanonicalRow[]> {
  const script = `${CANON}
import os, duckdb, duckdb_ext
args = json.loads(sys.argv[1])
# the iceberg and avro extensions come from the duckdb-ext-* packages (no download at run time)
ext_dir = os.path.join(list(duckdb_ext.__path__)[0], 'extensions')
con = duckdb.connect(config={'extension_directory': ext_dir, 'autoinstall_known_extensions': False, 'autoload_known_extensions': False})
con.execute('LOAD avro')
con.execute('LOAD iceberg')
con.execute("SET TimeZone = 'UTC'")
table = con.execute('SELECT * FROM iceberg_scan(?)', [args['metadata']]).fetch_arrow_table()
print(json.dumps(rows_of(table)))
`;
  return runPython<CanonicalRow[]>(script, [JSON.stringify({ metadata: metadataLocation })]);
}
