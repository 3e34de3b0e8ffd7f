// The independent readers: PyIceberg writes a table through the REST reference catalog into the local
// warehouse, and DuckDB's iceberg extension (loaded from its package, no download) reads it back from the
// metadata file. The expected figures are computed here from the rows sent, not written down.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isolate } from '../../support/isolation.js';
import { DUCKDB_CONNECT, runPython } from '../../support/python.js';
import { stackEnv } from '../../support/stack-env.js';

const names = isolate('readers smoke');

const SCRIPT = `${DUCKDB_CONNECT}
import json, sys
import pyarrow as pa
from pyiceberg.catalog.rest import RestCatalog

uri, namespace, rows = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
catalog = RestCatalog('smoke', uri=uri)
catalog.create_namespace(namespace)
data = pa.table({'id': pa.array([r[0] for r in rows], pa.int64()), 'name': pa.array([r[1] for r in rows], pa.string())})
table = catalog.create_table(f'{namespace}.people', schema=data.schema)
table.append(data)
loaded = catalog.load_table(f'{namespace}.people')
pyiceberg_rows = sorted(loaded.scan().to_arrow().to_pylist(), key=lambda r: r['id'])

con = duckdb_connect()
metadata = loaded.metadata_location
count, total, names = con.execute(
    "select count(*), sum(id), string_agg(name, ',' order by id) from iceberg_scan(?)", [metadata]
).fetchone()
catalog.purge_table(f'{namespace}.people')
catalog.drop_namespace(namespace)
print(json.dumps({'pyiceberg': pyiceberg_rows, 'duckdb': {'count': count, 'sum': int(total), 'names': names},
                  'metadata': metadata}))
`;

test('PyIceberg writes through the REST catalog and DuckDB reads the same rows offline', async () => {
  const rows: [number, string][] = [
    [3, 'carol'],
    [1, 'alice'],
    [2, 'bob'],
    [10, 'dan'],
  ];
  const result = await runPython<{
    pyiceberg: { id: number; name: string }[];
    duckdb: { count: number; sum: number; names: string };
    metadata: string;
  }>(SCRIPT, [stackEnv('ICEBERG_REST_URI'), names.namespace, JSON.stringify(rows)]);

  const sorted = [...rows].sort((a, b) => a[0] - b[0]);
  assert.deepEqual(
    result.pyiceberg,
    sorted.map(([id, name]) => ({ id, name })),
  );
  assert.equal(result.duckdb.count, rows.length);
  assert.equal(
    result.duckdb.sum,
    rows.reduce((sum, [id]) => sum + id, 0),
  );
  assert.equal(result.duckdb.names, sorted.map(([, name]) => name).join(','));
  assert.ok(result.metadata.includes(stackEnv('ICEBERG_REST_WAREHOUSE')), result.metadata);
});
