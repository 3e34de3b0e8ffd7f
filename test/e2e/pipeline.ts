// One deployment of the whole pipeline on the emulator stack, as the cloud wires it:
//   a landing bucket in fake-gcs-server (Datastream's files, the staged change-sets and the tables);
//   the trigger — either a GCS notification published by fake-gcs-server to a Pub/Sub emulator topic whose
//   push subscription calls the `ingestPubsub` HTTP function (the seed's trigger), or an Eventarc-style
//   `object.finalized` CloudEvent posted to the `ingest` function;
//   the Cloud Tasks emulator (one queue per table, concurrency 1) dispatching to the `commit` function;
//   the Iceberg REST reference catalog, with every table created in the bucket (gs://bucket/warehouse).
// Functions are served by the functions framework over real HTTP. Names come from isolate(), so several
// pipelines run side by side on one stack.

import { commitHandler } from '../../functions/commit.js';
import { ingestCloudEventHandler, ingestPubsubHandler } from '../../functions/ingest.js';
import { loadCloudConfig } from '../../shared/config.js';
import type { WriteMode } from '../../shared/iceberg/table-properties.js';
import type { IngestDependencies } from '../../shared/pipeline/ingest-file.js';
import { fileIdOf } from '../../shared/pipeline/ingest-file.js';
import { ConfiguredTableDirectory } from '../../shared/pipeline/table-directory.js';
import type { FileRecord } from '../../shared/ports/state-store.js';
import { createCloudRuntime, type CloudRuntime } from '../../shared/runtime/cloud.js';
import {
  addBucketNotification,
  projectId,
  pubsubClient,
  storageClient,
} from '../support/emulator-clients.js';
import { postStorageFinalized, serveFunction, type ServedFunction } from '../support/function-server.js';
import { isolate, type Isolation } from '../support/isolation.js';
import { stackEnv } from '../support/stack-env.js';
import { BucketWarehouseCatalog } from './bucket-warehouse-catalog.js';

// The functions log every file and commit at INFO; the tests' output keeps warnings and errors only.
process.env.DSI_LOG_LEVEL ??= 'WARNING';

export type Trigger = 'pubsub' | 'cloudevent';
export const TRIGGERS: readonly Trigger[] = ['pubsub', 'cloudevent'];

export const LANDING_PREFIX = 'cdc-staging/';

/** Declared tables in the DSI_TABLES shape (a declared `write_mode` is the table's at creation). */
export type DeclaredTables = Record<
  string,
  { columns: Array<[string, string]>; primary_keys: string[]; write_mode?: WriteMode }
>;

export interface PipelineOptions {
  label: string;
  trigger: Trigger;
  tables: DeclaredTables;
  /**
   * The commit function gets its own table directory (config and catalog only), as a commit instance
   * that never ingested a file has: what it creates must come from the change-sets alone.
   */
  commitOwnDirectory?: boolean;
}

export interface Pipeline {
  readonly names: Isolation;
  readonly bucket: string;
  readonly trigger: Trigger;
  /** The functions' environment (shared/config.ts), e.g. for the CLI on this deployment. */
  readonly environment: Record<string, string>;
  /** The runtime both functions use (its catalog places tables in the bucket). */
  readonly runtime: CloudRuntime;
  readonly ingestDependencies: IngestDependencies;
  /**
   * Upload an object and let the trigger deliver it; resolves once the object is stored, with `delivered`
   * settling when the trigger's call returned (the Pub/Sub push is asynchronous: it settles at once).
   */
  put(name: string, bytes: Uint8Array): Promise<{ generation: string; delivered: Promise<void> }>;
  /** Upload an object, let the trigger deliver it, and return once ingest recorded the generation. */
  upload(name: string, bytes: Uint8Array): Promise<{ generation: string; record: FileRecord }>;
  /** Wait until no change-set of these tables is pending (every task dispatched and committed). */
  waitUntilApplied(tables: string[], timeoutMs?: number): Promise<void>;
  /** PyIceberg catalog properties: the REST catalog, with gs:// read from fake-gcs-server. */
  pyicebergCatalog(): Record<string, string>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const names = isolate(options.label);
  const storage = storageClient();
  await storage.createBucket(names.bucket);
  const closers: Array<() => Promise<unknown>> = [];
  const holder: { runtime?: CloudRuntime } = {};
  const current = (): CloudRuntime => holder.runtime!;

  const commitServer = await serveFunction(`commit-${names.id}`, { http: commitHandler(current) });
  closers.push(() => commitServer.close());
  const environment: Record<string, string> = {
    GOOGLE_CLOUD_PROJECT: projectId(),
    DSI_LANDING_BUCKET: names.bucket,
    DSI_LANDING_PREFIX: LANDING_PREFIX,
    DSI_WORK_ROOT: `gs://${names.bucket}/_datastream_iceberg`,
    DSI_CATALOG_URI: stackEnv('ICEBERG_REST_URI'),
    DSI_CATALOG_WAREHOUSE: stackEnv('ICEBERG_REST_WAREHOUSE'),
    DSI_CATALOG_AUTH: 'none',
    DSI_FIRESTORE_PREFIX: names.collectionPrefix,
    DSI_TASKS_LOCATION: 'us-central1',
    DSI_COMMIT_URL: commitServer.url,
    DSI_QUEUE_PREFIX: `q${names.id}`,
    DSI_TABLES: JSON.stringify(options.tables),
    DSI_STORAGE_ENDPOINT: stackEnv('STORAGE_EMULATOR_HOST'),
    DSI_CLOUD_TASKS_ENDPOINT: stackEnv('CLOUD_TASKS_EMULATOR_HOST'),
  };
  const base = createCloudRuntime(loadCloudConfig(environment));
  const catalog = new BucketWarehouseCatalog(base.catalog, `gs://${names.bucket}/warehouse`);
  const commitTables = options.commitOwnDirectory
    ? { tables: new ConfiguredTableDirectory(base.config.tables, catalog) }
    : {};
  const runtime: CloudRuntime = {
    ...base,
    catalog,
    commitDependencies: () => ({ ...base.commitDependencies(), catalog, ...commitTables }),
  };
  holder.runtime = runtime;

  let ingestServer: ServedFunction;
  if (options.trigger === 'pubsub') {
    ingestServer = await serveFunction(`ingestPubsub-${names.id}`, { http: ingestPubsubHandler(current) });
    const pubsub = pubsubClient();
    const [topic] = await pubsub.createTopic(names.topic('gcs'));
    const [subscription] = await topic.createSubscription(names.subscription('ingest'), {
      pushConfig: { pushEndpoint: ingestServer.url },
      ackDeadlineSeconds: 60,
    });
    // Only Datastream's prefix notifies: the change-sets and table files written to the same bucket do not.
    await addBucketNotification(names.bucket, names.topic('gcs'), {
      eventTypes: ['OBJECT_FINALIZE'],
      objectNamePrefix: LANDING_PREFIX,
    });
    closers.push(async () => {
      await subscription.delete();
      await topic.delete();
      await pubsub.close();
    });
  } else {
    ingestServer = await serveFunction(`ingest-${names.id}`, {
      cloudEvent: ingestCloudEventHandler(current),
    });
  }
  closers.push(() => ingestServer.close());

  const recordOf = async (name: string, generation: string, timeoutMs: number): Promise<FileRecord> => {
    const fileId = fileIdOf({ bucket: names.bucket, name, generation });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await runtime.state.getFile(fileId);
      if (record && record.status !== 'processing') return record;
      if (Date.now() > deadline) {
        throw new Error(`gs://${names.bucket}/${name}#${generation} not ingested within ${timeoutMs} ms`);
      }
      await sleep(100);
    }
  };

  const put = async (name: string, bytes: Uint8Array) => {
    const file = storage.bucket(names.bucket).file(name);
    await file.save(Buffer.from(bytes), { resumable: false });
    const [meta] = await file.getMetadata();
    const generation = String(meta.generation);
    const delivered =
      options.trigger === 'cloudevent'
        ? postStorageFinalized(ingestServer.url, { bucket: names.bucket, name, generation }).then(
            async (response) => {
              if (response.status !== 200 && response.status !== 204) {
                throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
              }
            },
          )
        : Promise.resolve();
    return { generation, delivered };
  };

  return {
    names,
    bucket: names.bucket,
    trigger: options.trigger,
    environment,
    runtime,
    ingestDependencies: runtime.ingestDependencies(),
    put,
    async upload(name, bytes) {
      const { generation, delivered } = await put(name, bytes);
      await delivered;
      return { generation, record: await recordOf(name, generation, 30_000) };
    },
    async waitUntilApplied(tables, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pending = await Promise.all(tables.map((t) => runtime.state.listPendingChangesets(t, 5)));
        if (pending.every((p) => p.length === 0)) return;
        if (Date.now() > deadline) {
          throw new Error(
            `change-sets still pending after ${timeoutMs} ms: ${JSON.stringify(pending.flat())}`,
          );
        }
        await sleep(200);
      }
    },
    pyicebergCatalog: () => ({
      type: 'rest',
      uri: stackEnv('ICEBERG_REST_URI'),
      'gcs.service.host': stackEnv('STORAGE_EMULATOR_HOST'),
      // fake-gcs-server checks no token; with one, the GCS client never looks for credentials elsewhere
      'gcs.oauth2.token': 'emulator',
      'gcs.oauth2.token-expires-at': String(Date.now() + 3_600_000),
      'gcs.project-id': projectId(),
    }),
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}
