// A table on gs:// end to end: created through the Iceberg REST reference catalog at a gs:// location in
// fake-gcs-server, written by our engine (data files, manifests, manifest lists) through the GCS object
// store, committed through the REST catalog (which writes the metadata files to the bucket), then read
// back through the same catalog by PyIceberg with its own GCS file IO and by Iceberg Java with its GCS
// FileIO. Two snapshots: an append and an overwrite that replaces a file.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GcsObjectStore } from '../../shared/adapters/gcp/gcs-object-store.js';
import { RestCatalog } from '../../shared/adapters/gcp/rest-catalog.js';
import { buildPartitionSpec } from '../../shared/iceberg/spec/partitioning.js';
import { buildSchema } from '../../shared/iceberg/spec/schema.js';
import { readLiveDataFiles, readTableRows } from '../../shared/iceberg/table-files.js';
import { writeTableCommit } from '../../shared/iceberg/snapshot-producer.js';
import type { Row } from '../../shared/iceberg/spec/values.js';
import { projectId, storageClient } from '../support/emulator-clients.js';
import { isolate } from '../support/isolation.js';
import { readWithJava } from '../support/java-reader.js';
import { PYICEBERG_GCS, runPython } from '../support/python.js';
import { stackEnv } from '../support/stack-env.js';

const DAY_US = 86_400_000_000n;

const PY_READ = `${PYICEBERG_GCS}
import json, sys
from datetime import timezone
from pyiceberg.catalog.rest import RestCatalog
uri, table = sys.argv[1], sys.argv[2]
catalog = RestCatalog("rest", uri=uri, **gcs_properties())
t = catalog.load_table(table)
rows = t.scan().to_arrow().to_pylist()
out = [{"id": str(r["id"]), "name": r["name"], "price": str(r["price"]),
        "ts": r["ts"].astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")} for r in rows]
print(json.dumps({"location": t.metadata.location, "rows": sorted(out, key=lambda r: int(r["id"])),
                  "operations": [s.summary.operation.value for s in t.snapshots()]}))
`;

test('a gs:// table written by our engine and committed through the REST catalog reads back in PyIceberg and Iceberg Java', async () => {
  const names = isolate('gcs table');
  const storage = storageClient();
  await storage.createBucket(names.bucket);
  const objects = new GcsObjectStore({
    apiEndpoint: stackEnv('STORAGE_EMULATOR_HOST'),
    projectId: projectId(),
  });
  const catalog = new RestCatalog({ uri: stackEnv('ICEBERG_REST_URI') });
  const schema = buildSchema(
    [
      { name: 'id', type: 'long', required: true },
      { name: 'name', type: 'string' },
      { name: 'price', type: 'decimal(10, 2)' },
      { name: 'ts', type: 'timestamptz' },
    ],
    { identifierFieldNames: ['id'] },
  );
  await catalog.createNamespace([names.namespace]);
  const location = `gs://${names.bucket}/warehouse/${names.namespace}/products`;
  let table = await catalog.createTable([names.namespace], {
    name: 'products',
    schema,
    location,
    'partition-spec': buildPartitionSpec(schema, [{ source: 'ts', transform: 'day' }]),
  });
  assert.equal(table.metadata.location, location);
  assert.ok(table.metadataLocation.startsWith(`${location}/metadata/`), table.metadataLocation);

  const base = 1_795_000_000_000_000n; // µs, 2026-11
  const rows: Row[] = Array.from({ length: 50 }, (_, i) => ({
    id: BigInt(i + 1) + 9_007_199_254_740_000n, // beyond 2^53
    name: `p-${i}`,
    price: BigInt(i * 101 + 1), // unscaled, scale 2
    ts: base + BigInt(i % 3) * DAY_US + BigInt(i),
  }));
  const id = { namespace: [names.namespace], name: 'products' };
  const first = await writeTableCommit(table.metadata, objects, { rows });
  table = await catalog.commitTable(id, first.requirements, first.updates);

  // Overwrite: the file of one day is rewritten with one price changed.
  const live = await readLiveDataFiles(table.metadata, objects);
  const target = live[0]!.dataFile;
  const partitionOf = (r: Row) => (r.ts as bigint) / DAY_US;
  const targetDay = BigInt(target.partition['ts_day'] as number);
  const inTarget = (await readTableRows(table.metadata, objects)).filter((r) => partitionOf(r) === targetDay);
  assert.equal(inTarget.length, target.recordCount);
  const changedId = inTarget[0]!.id as bigint;
  const rewritten = inTarget.map((r) => (r.id === changedId ? { ...r, price: 99_999_999_99n } : r));
  const second = await writeTableCommit(table.metadata, objects, {
    rows: rewritten,
    removed: [target.filePath],
  });
  table = await catalog.commitTable(id, second.requirements, second.updates);

  // Everything lives in the bucket: data, manifests, manifest lists and the catalog's metadata files.
  const [files] = await storage
    .bucket(names.bucket)
    .getFiles({ prefix: `warehouse/${names.namespace}/products/` });
  const paths = files.map((f) => f.name);
  assert.ok(
    paths.some((p) => p.endsWith('.parquet')),
    'data files in GCS',
  );
  assert.ok(paths.filter((p) => p.endsWith('.avro')).length >= 4, 'manifests and manifest lists in GCS');
  assert.ok(paths.filter((p) => p.endsWith('.metadata.json')).length >= 3, 'metadata files in GCS');

  const read = await runPython<{
    location: string;
    rows: { id: string; name: string; price: string; ts: string }[];
    operations: string[];
  }>(PY_READ, [stackEnv('ICEBERG_REST_URI'), `${names.namespace}.products`]);
  assert.equal(read.location, location);
  assert.deepEqual(read.operations, ['append', 'overwrite']);
  assert.equal(read.rows.length, rows.length);
  const expectedPrice = (r: Row) => (r.id === changedId ? 99_999_999_99n : (r.price as bigint));
  for (const [i, row] of rows.entries()) {
    const seen = read.rows[i]!;
    assert.equal(seen.id, String(row.id));
    const cents = expectedPrice(row);
    assert.equal(seen.price, `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`);
    const micros = row.ts as bigint;
    const iso = new Date(Number(micros / 1000n)).toISOString().replace('Z', '');
    assert.equal(seen.ts, `${iso}${String(micros % 1000n).padStart(3, '0')}Z`);
  }

  // Iceberg Java, in the canonical form (timestamps as µs since the epoch, decimals as text).
  const java = await readWithJava<Record<string, string>>({
    rest: stackEnv('ICEBERG_REST_URI'),
    table: `${names.namespace}.products`,
  });
  const asCanonical = (r: Row) => {
    const cents = expectedPrice(r);
    return {
      id: String(r.id),
      name: r.name as string,
      price: `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`,
      ts: String(r.ts),
    };
  };
  assert.deepEqual(
    java.sort((a, b) => Number(BigInt(a.id!) - BigInt(b.id!))),
    rows.map(asCanonical),
  );
});
