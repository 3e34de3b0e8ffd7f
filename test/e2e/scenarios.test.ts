// Every fixture scenario through the whole cloud path on the emulator stack, in each write mode and for
// both trigger forms: files uploaded to fake-gcs-server in order.txt order; delivered by a GCS notification
// → Pub/Sub push → `ingestPubsub`, or by an Eventarc-style CloudEvent → `ingest`; change-sets queued on
// per-table Cloud Tasks queues (concurrency 1) dispatched to `commit`; tables declared in the run's write
// mode (`write_mode` in DSI_TABLES) and committed through the Iceberg REST catalog with their files in the
// bucket; PyIceberg then reads exactly the scenario's expected/ rows. Copy-on-write runs with both
// triggers; merge-on-read (Pub/Sub) and auto (CloudEvent), whose difference is in the commit and not in
// the delivery, with one each, which keeps the set at twice the runs of one mode. The number of position
// delete files the tables hold per mode is printed at the end. Each run has its own bucket, state, queues
// and namespace, so the runs go side by side on one stack.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { WRITE_MODES, type WriteMode } from '../../shared/iceberg/table-properties.js';
import { isolate } from '../support/isolation.js';
import { startPipeline, TRIGGERS, type Trigger } from './pipeline.js';
import {
  assertReadsExpected,
  assertTablesInBucket,
  assertWriteMode,
  scenarioInNamespace,
  scenariosWithExpectedRows,
} from './scenario-tables.js';

// Two cores are shared by the JVM emulators, the functions and PyIceberg: a few runs at a time keep each
// of them responsive while the whole set (28 runs) finishes within three minutes.
const CONCURRENT_RUNS = 4;

const TRIGGERS_OF: Record<WriteMode, readonly Trigger[]> = {
  'copy-on-write': TRIGGERS,
  'merge-on-read': ['pubsub'],
  auto: ['cloudevent'],
};

const triggerName = (trigger: Trigger) =>
  trigger === 'pubsub' ? 'GCS notification → Pub/Sub push' : 'CloudEvent';

describe(
  'every scenario end to end on the emulators, in every write mode',
  { concurrency: CONCURRENT_RUNS },
  () => {
    const deleteFiles: Partial<Record<WriteMode, number>> = {};
    after(() =>
      console.log(`position delete files in the scenarios' tables: ${JSON.stringify(deleteFiles)}`),
    );
    for (const mode of WRITE_MODES) {
      for (const trigger of TRIGGERS_OF[mode]) {
        for (const name of scenariosWithExpectedRows()) {
          test(`${name}, ${mode}, via ${triggerName(trigger)}: PyIceberg reads exactly expected/`, async () => {
            const run = scenarioInNamespace(name, isolate(`${name} ${mode}`).namespace);
            // every table declared in this run's write mode, as a deployment's tables.json declares it
            for (const table of Object.values(run.tables)) table.write_mode = mode;
            const pipeline = await startPipeline({
              label: `${name} ${mode} ${trigger}`,
              trigger,
              tables: run.tables,
            });
            try {
              for (const file of run.files) {
                const { record } = await pipeline.upload(file.name, file.bytes);
                assert.equal(record.status, 'staged', `${file.name}: ${record.reason ?? ''}`);
              }
              const tables = Object.keys(run.tables);
              await pipeline.waitUntilApplied(tables);
              await assertTablesInBucket(pipeline, tables);
              deleteFiles[mode] = (deleteFiles[mode] ?? 0) + (await assertWriteMode(pipeline, tables, mode));
              await assertReadsExpected(pipeline, run);
            } finally {
              await pipeline.close();
            }
          });
        }
      }
    }
  },
);
