// Every fixture scenario through the whole cloud path on the emulator stack, for both trigger forms:
// files uploaded to fake-gcs-server in order.txt order; delivered by a GCS notification → Pub/Sub push →
// `ingestPubsub`, or by an Eventarc-style CloudEvent → `ingest`; change-sets queued on per-table Cloud
// Tasks queues (concurrency 1) dispatched to `commit`; tables committed through the Iceberg REST catalog
// with their files in the bucket; PyIceberg then reads exactly the scenario's expected/ rows. Each run has
// its own bucket, state, queues and namespace, so the runs go side by side on one stack.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isolate } from '../support/isolation.js';
import { startPipeline, TRIGGERS } from './pipeline.js';
import {
  assertReadsExpected,
  assertTablesInBucket,
  scenarioInNamespace,
  scenariosWithExpectedRows,
} from './scenario-tables.js';

// Two cores are shared by the JVM emulators, the functions and PyIceberg: a few runs at a time keep each
// of them responsive while the whole set finishes well within a minute.
const CONCURRENT_RUNS = 4;

describe('every scenario end to end on the emulators', { concurrency: CONCURRENT_RUNS }, () => {
  for (const trigger of TRIGGERS) {
    for (const name of scenariosWithExpectedRows()) {
      test(`${name} via ${trigger === 'pubsub' ? 'GCS notification → Pub/Sub push' : 'CloudEvent'}: PyIceberg reads exactly expected/`, async () => {
        const run = scenarioInNamespace(name, isolate(name).namespace);
        const pipeline = await startPipeline({ label: `${name} ${trigger}`, trigger, tables: run.tables });
        try {
          for (const file of run.files) {
            const { record } = await pipeline.upload(file.name, file.bytes);
            assert.equal(record.status, 'staged', `${file.name}: ${record.reason ?? ''}`);
          }
          const tables = Object.keys(run.tables);
          await pipeline.waitUntilApplied(tables);
          await assertTablesInBucket(pipeline, tables);
          await assertReadsExpected(pipeline, run);
        } finally {
          await pipeline.close();
        }
      });
    }
  }
});
