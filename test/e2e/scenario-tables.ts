// A fixture scenario moved into one test's own Iceberg namespace (the source schema `public` of every
// event becomes the namespace, so runs on one stack never share a table), and the checks every end-to-end
// run ends with: the tables live in the bucket, and PyIceberg reads exactly the scenario's expected/ rows.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { currentSnapshot } from '../../shared/iceberg/spec/snapshot.js';
import { writeModeOf, type WriteMode } from '../../shared/iceberg/table-properties.js';
import { tableIdentifier } from '../../shared/table/table-identifier.js';
import { storageClient } from '../support/emulator-clients.js';
import { compareTablesWithPyIceberg } from '../support/pyiceberg-compare.js';
import { loadScenario, scenarioNames, type Scenario } from '../support/scenarios.js';
import type { DeclaredTables, Pipeline } from './pipeline.js';

export interface ScenarioInNamespace {
  scenario: Scenario;
  namespace: string;
  tables: DeclaredTables;
  /** Object names and bytes, in the scenario's arrival order. */
  files: Array<{ name: string; bytes: Buffer }>;
}

/** Scenarios with an expected/ folder (bad-input has none: it must change no table). */
export function scenariosWithExpectedRows(): string[] {
  return scenarioNames().filter((name) => existsSync(join(loadScenario(name).root, 'expected')));
}

export function retarget(bytes: Buffer, gzip: boolean, namespace: string): Buffer {
  const text = (gzip ? gunzipSync(bytes) : bytes).toString('utf8');
  const rewritten = Buffer.from(text.replace(/"schema"\s*:\s*"public"/g, `"schema":"${namespace}"`));
  return gzip ? gzipSync(rewritten) : rewritten;
}

export function scenarioInNamespace(name: string, namespace: string): ScenarioInNamespace {
  const scenario = loadScenario(name);
  const tables: DeclaredTables = Object.fromEntries(
    Object.entries(scenario.tables).map(([key, t]) => [
      key.replace(/^public\./, `${namespace}.`),
      { columns: t.columns, primary_keys: t.primaryKeys },
    ]),
  );
  const files = scenario.order.map((relative) => ({
    name: relative,
    bytes: retarget(readFileSync(join(scenario.bucketRoot, relative)), relative.endsWith('.gz'), namespace),
  }));
  return { scenario, namespace, tables, files };
}

/**
 * Every table was created in the given write mode; returns how many position delete files the tables'
 * current snapshots hold (merge-on-read and auto write them for rows changed in earlier files).
 */
export async function assertWriteMode(
  pipeline: Pipeline,
  tables: string[],
  mode: WriteMode,
): Promise<number> {
  let deleteFiles = 0;
  for (const table of tables) {
    const { metadata } = await pipeline.runtime.catalog.loadTable(tableIdentifier(table));
    assert.equal(writeModeOf(metadata.properties), mode, `${table}: write mode`);
    deleteFiles += Number(currentSnapshot(metadata)?.summary['total-delete-files'] ?? 0);
  }
  return deleteFiles;
}

/** Every table was created in the pipeline's bucket, metadata and data files alike. */
export async function assertTablesInBucket(pipeline: Pipeline, tables: string[]): Promise<void> {
  const bucket = storageClient().bucket(pipeline.bucket);
  for (const table of tables) {
    const loaded = await pipeline.runtime.catalog.loadTable(tableIdentifier(table));
    const location = loaded.metadata.location;
    assert.ok(location.startsWith(`gs://${pipeline.bucket}/warehouse/`), `${table}: location ${location}`);
    assert.ok(loaded.metadataLocation.startsWith(`${location}/metadata/`), loaded.metadataLocation);
    const prefix = location.slice(`gs://${pipeline.bucket}/`.length);
    const [dataFiles] = await bucket.getFiles({ prefix: `${prefix}/data/` });
    assert.ok(
      dataFiles.some((f) => f.name.endsWith('.parquet')),
      `${table}: no Parquet file under ${location}/data/`,
    );
  }
}

/** PyIceberg, through the REST catalog and reading gs:// from fake-gcs-server, against expected/. */
export async function assertReadsExpected(pipeline: Pipeline, run: ScenarioInNamespace): Promise<void> {
  const jobs = Object.entries(run.tables).map(([table, definition]) => ({
    id: table,
    catalog: pipeline.pyicebergCatalog(),
    table,
    columns: definition.columns,
    expected: join(run.scenario.root, 'expected', `${table.replace(`${run.namespace}.`, 'public.')}.jsonl`),
  }));
  const seen = await compareTablesWithPyIceberg(jobs);
  for (const job of jobs) {
    const result = seen[job.id];
    assert.ok(result && result.expected.length > 0, `${job.id}: expected rows`);
    assert.deepEqual(result.actual, result.expected, job.id);
  }
}
