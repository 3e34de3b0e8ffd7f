// The same partitioned table history committed through each catalog — the Iceberg REST reference catalog
// and our embedded SQLite catalog (JDBC schema) — and read back by PyIceberg through that catalog
// (RestCatalog, SqlCatalog), by Iceberg Java through it (RESTCatalog, JdbcCatalog), by PyIceberg and
// Iceberg Java as a static table on the committed metadata file, and by DuckDB's iceberg_scan on it. Every type of the `types` scenario; partitioned by day, bucket and
// truncate; two appends then an overwrite that replaces a file.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LocalObjectStore } from '../../shared/adapters/embedded/local-object-store.js';
import { SqliteCatalog } from '../../shared/adapters/embedded/sqlite-catalog.js';
import { RestCatalog } from '../../shared/adapters/gcp/rest-catalog.js';
import { BoundPartitionSpec, buildPartitionSpec } from '../../shared/iceberg/spec/partitioning.js';
import { readLiveDataFiles, readTableRows } from '../../shared/iceberg/table-files.js';
import { writeTableCommit } from '../../shared/iceberg/snapshot-producer.js';
import { currentSchema } from '../../shared/iceberg/spec/metadata-access.js';
import type { Row } from '../../shared/iceberg/spec/values.js';
import type { Catalog, LoadedTable, TableIdentifier } from '../../shared/ports/catalog.js';
import { isolate } from '../support/isolation.js';
import { stackEnv } from '../support/stack-env.js';
import { readWithJava, type JavaTableSource } from '../support/java-reader.js';
import { readWithDuckDb, readWithPyIceberg, type CanonicalRow } from './support/readers.js';
import { byOrderId, canonicalRow, typesRows, typesSchema } from './support/types-fixture.js';

const objects = new LocalObjectStore();
let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'catalog-conformance-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const byKey = byOrderId;

/** A metadata location as a plain path, the form DuckDB and StaticTable take for local files. */
function localPath(location: string): string {
  return location.replace(/^file:(\/\/)?/, '');
}

interface Backend {
  name: string;
  catalog: () => Promise<{
    catalog: Catalog;
    pyiceberg: Record<string, string>;
    java: (table: string) => JavaTableSource;
  }>;
}

const backends: Backend[] = [
  {
    name: 'REST reference catalog',
    catalog: async () => ({
      catalog: new RestCatalog({ uri: stackEnv('ICEBERG_REST_URI') }),
      pyiceberg: { type: 'rest', uri: stackEnv('ICEBERG_REST_URI') },
      java: (table) => ({ rest: stackEnv('ICEBERG_REST_URI'), table }),
    }),
  },
  {
    name: 'embedded SQLite catalog',
    catalog: async () => {
      const warehouse = await mkdtemp(join(root, 'sqlite-'));
      const db = join(warehouse, 'catalog.db');
      return {
        catalog: new SqliteCatalog({ database: db, warehouse, objectStore: objects }),
        pyiceberg: { type: 'sql', uri: `sqlite:///${db}`, warehouse: `file://${warehouse}` },
        java: (table) => ({ jdbc: db, warehouse: `file://${warehouse}`, table }),
      };
    },
  },
];

for (const backend of backends) {
  test(`${backend.name}: PyIceberg and Iceberg Java (catalog and static table) and DuckDB read the committed history`, async () => {
    const { catalog, pyiceberg, java } = await backend.catalog();
    const namespace = isolate(backend.name).namespace;
    await catalog.createNamespace([namespace]);
    const declared = typesSchema();
    let table: LoadedTable = await catalog.createTable([namespace], {
      name: 'orders',
      schema: declared,
      'partition-spec': buildPartitionSpec(declared, [
        { source: 'created_on', transform: 'day' },
        { source: 'order_id', transform: 'bucket[4]' },
        { source: 'status', transform: 'truncate[2]' },
      ]),
    });
    const id: TableIdentifier = { namespace: [namespace], name: 'orders' };
    // The catalog may renumber field ids: write with the schema and spec it kept.
    const schema = currentSchema(table.metadata);
    const spec = table.metadata['partition-specs'][0]!;
    const rows = typesRows(schema);
    const half = Math.ceil(rows.length / 2);
    for (const batch of [rows.slice(0, half), rows.slice(half)]) {
      const written = await writeTableCommit(table.metadata, objects, { rows: batch });
      table = await catalog.commitTable(id, written.requirements, written.updates);
    }
    // Overwrite: the file holding order 1 is rewritten with its amount changed.
    const bound = new BoundPartitionSpec(spec, schema);
    const live = await readLiveDataFiles(table.metadata, objects);
    const target = live.find(
      (f) => bound.keyOf(f.dataFile.partition) === bound.keyOf(bound.partitionOf(rows[0]!)),
    )!;
    const inTarget = (await readTableRows(table.metadata, objects)).filter(
      (r) => bound.keyOf(bound.partitionOf(r)) === bound.keyOf(target.dataFile.partition),
    );
    const changed = (r: Row): Row => (r.order_id === 1n ? { ...r, amount: 98765432109876n } : r);
    const overwrite = await writeTableCommit(table.metadata, objects, {
      rows: inTarget.map(changed),
      removed: [target.dataFile.filePath],
    });
    table = await catalog.commitTable(id, overwrite.requirements, overwrite.updates);

    const expected = byKey(rows.map((r) => canonicalRow(schema, changed(r))));
    assert.equal(expected.find((r) => r.order_id === '1')!.amount, '9876543210.9876');
    const throughCatalog = await readWithPyIceberg({ catalog: pyiceberg, table: `${namespace}.orders` }, [
      'order_id == 1',
    ]);
    assert.deepEqual(byKey(throughCatalog.rows), expected);
    assert.deepEqual(
      throughCatalog.snapshots.map((s) => s.operation),
      ['append', 'append', 'overwrite'],
    );
    assert.equal(throughCatalog.filtered[0]!.rows.length, 1);
    const metadataFile = localPath(table.metadataLocation);
    const staticTable = await readWithPyIceberg(metadataFile);
    assert.deepEqual(byKey(staticTable.rows), expected);
    assert.deepEqual(byKey(await readWithDuckDb(metadataFile)), expected);
    assert.deepEqual(byKey(await readWithJava<CanonicalRow>(java(`${namespace}.orders`))), expected);
    assert.deepEqual(byKey(await readWithJava<CanonicalRow>({ metadata: metadataFile })), expected);
  });
}
