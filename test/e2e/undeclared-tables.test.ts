// A table nobody declared, through the whole cloud path on the emulator stack: DSI_TABLES is empty, the
// `types` scenario's files arrive by CloudEvent, ingest learns public.orders from the JSON values and
// creates its queue, and the commit function, with a table directory of its own that never saw the
// files, creates the table through the Iceberg REST catalog from the change-sets alone: inferred types,
// pg-types and schema-source properties included. PyIceberg reads it back through the REST catalog.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tableIdentifier } from '../../shared/table/table-identifier.js';
import {
  PG_TYPES_PROPERTY,
  PRIMARY_KEY_PROPERTY,
  SCHEMA_SOURCE_PROPERTY,
} from '../../shared/iceberg/table-properties.js';
import {
  assertInferredOrdersEqualExpected,
  INFERRED_ORDERS_COLUMNS,
  pyicebergRows,
} from '../support/inferred-orders.js';
import { isolate } from '../support/isolation.js';
import { startPipeline } from './pipeline.js';
import { assertTablesInBucket, scenarioInNamespace } from './scenario-tables.js';

test('types with no declared table via CloudEvent: the REST catalog table is created from the inferred change-sets', async () => {
  const run = scenarioInNamespace('types', isolate('undeclared').namespace);
  const pipeline = await startPipeline({
    label: 'undeclared types',
    trigger: 'cloudevent',
    tables: {},
    commitOwnDirectory: true,
  });
  try {
    for (const file of run.files) {
      const { record } = await pipeline.upload(file.name, file.bytes);
      assert.equal(record.status, 'staged', `${file.name}: ${record.reason ?? ''}`);
    }
    const table = `${run.namespace}.orders`;
    await pipeline.waitUntilApplied([table]);
    await assertTablesInBucket(pipeline, [table]);

    const { metadata } = await pipeline.runtime.catalog.loadTable(tableIdentifier(table));
    const properties = metadata.properties ?? {};
    assert.equal(properties[SCHEMA_SOURCE_PROPERTY], 'json-values');
    assert.equal(properties[PRIMARY_KEY_PROPERTY], 'order_id');
    const pgTypes = JSON.parse(properties[PG_TYPES_PROPERTY] ?? '{}') as Record<string, string>;
    const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id'])!;
    for (const [name, [iceberg, postgres]] of Object.entries(INFERRED_ORDERS_COLUMNS)) {
      const field = schema.fields.find((f) => f.name === name);
      assert.equal(field?.type, iceberg, name);
      assert.equal(field?.required, name === 'order_id', `${name} required`);
      if (iceberg === 'string') assert.equal(pgTypes[name], postgres, `${name} pg-type`);
    }
    assertInferredOrdersEqualExpected(await pyicebergRows(pipeline.pyicebergCatalog(), table));
  } finally {
    await pipeline.close();
  }
});
