// The independent readers: PyIceberg writes a table through the REST reference catalog into the local
// warehouse, and DuckDB's iceberg extension (loaded from its package, no download) reads it back from the
// metadata file; PyIceberg also works on gs:// tables in fake-gcs-server. The expected figures are
// computed here from the rows sent, not written down.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isolate } from '../../support/isolation.js';
import { storageClient } from '../../support/emulator-clients.js';
import { DUCKDB_CONNECT, PYICEBERG_GCS, runPython } from '../../support/python.js';
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

const GCS_SCRIPT = `${PYICEBERG_GCS}
import json, sys
import pyarrow as pa
from pyiceberg.catalog.rest import RestCatalog

uri, namespace, location, ids = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
catalog = RestCatalog('smoke', uri=uri, **gcs_properties())
catalog.create_namespace(namespace)
table = catalog.create_table(f'{namespace}.on_gcs', schema=pa.schema([pa.field('id', pa.int64())]), location=location)
table.append(pa.table({'id': pa.array(ids, pa.int64())}))
loaded = catalog.load_table(f'{namespace}.on_gcs')
print(json.dumps({'ids': sorted(r['id'] for r in loaded.scan().to_arrow().to_pylist()),
                  'metadata': loaded.metadata_location}))
`;

test('PyIceberg writes and reads a table on gs:// in fake-gcs-server through the REST catalog', async () => {
  const gcsNames = isolate('readers gcs');
  const bucketName = gcsNames.bucket;
  const [bucket] = await storageClient().createBucket(bucketName);
  try {
    const ids = [7, 3, 5];
    const location = `gs://${bucketName}/warehouse/on_gcs`;
    const result = await runPython<{ ids: number[]; metadata: string }>(GCS_SCRIPT, [
      stackEnv('ICEBERG_REST_URI'),
      gcsNames.namespace,
      location,
      JSON.stringify(ids),
    ]);
    assert.deepEqual(
      result.ids,
      [...ids].sort((a, b) => a - b),
    );
    assert.ok(result.metadata.startsWith(`${location}/metadata/`), result.metadata);
    // The files are really in the emulator's bucket, seen by a third client.
    const [files] = await bucket.getFiles({ prefix: 'warehouse/on_gcs/' });
    const objectNames = files.map((file) => file.name);
    assert.ok(
      objectNames.some((name) => name.startsWith('warehouse/on_gcs/data/') && name.endsWith('.parquet')),
      objectNames.join(', '),
    );
    assert.ok(
      objectNames.includes(result.metadata.slice(`gs://${bucketName}/`.length)),
      objectNames.join(', '),
    );
  } finally {
    await fetch(`${stackEnv('ICEBERG_REST_URI')}/v1/namespaces/${gcsNames.namespace}/tables/on_gcs`, {
      method: 'DELETE',
    });
    await fetch(`${stackEnv('ICEBERG_REST_URI')}/v1/namespaces/${gcsNames.namespace}`, { method: 'DELETE' });
    await bucket.deleteFiles({ force: true });
    await bucket.delete();
  }
});
