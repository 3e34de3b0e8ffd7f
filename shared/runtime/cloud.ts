// The cloud wiring: Cloud Storage, Firestore, Cloud Tasks and the REST catalog built from CloudConfig.
// Built once per function instance and reused across invocations (clients hold connections).

import { Firestore } from '@google-cloud/firestore';
import { CloudTasksClient } from '@google-cloud/tasks';
import { credentials } from '@grpc/grpc-js';
import { CloudTasksQueue } from '../adapters/gcp/cloud-tasks-queue.js';
import { FirestoreStateStore } from '../adapters/gcp/firestore-state-store.js';
import { GcsObjectStore } from '../adapters/gcp/gcs-object-store.js';
import { googleAuthHeaders } from '../adapters/gcp/google-auth-headers.js';
import { RestCatalog } from '../adapters/gcp/rest-catalog.js';
import { LocalObjectStore } from '../adapters/embedded/local-object-store.js';
import { ObjectStoreRouter } from '../adapters/object-store-router.js';
import { ConfigError, type CloudConfig } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import type { IngestDependencies } from '../pipeline/ingest-file.js';
import { ConfiguredTableDirectory } from '../pipeline/table-directory.js';
import { parseWriteMode } from '../pipeline/declared-properties.js';
import type { CommitDependencies } from '../pipeline/commit-table.js';
import type { Catalog } from '../ports/catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { StateStore } from '../ports/state-store.js';
import type { TaskQueue } from '../ports/task-queue.js';

export interface CloudRuntime {
  config: CloudConfig;
  objects: ObjectStore;
  state: StateStore;
  queue: TaskQueue;
  catalog: Catalog;
  log: Logger;
  ingestDependencies(): IngestDependencies;
  commitDependencies(): CommitDependencies;
}

function tasksClient(config: CloudConfig): CloudTasksClient {
  const endpoint = config.emulators.cloudTasks;
  if (!endpoint) return new CloudTasksClient();
  const colon = endpoint.lastIndexOf(':');
  return new CloudTasksClient({
    apiEndpoint: endpoint.slice(0, colon),
    port: Number(endpoint.slice(colon + 1)),
    sslCreds: credentials.createInsecure(),
    projectId: config.project,
  });
}

export function createCloudRuntime(config: CloudConfig): CloudRuntime {
  const log = createLogger({ component: 'datastream-iceberg' });
  // Table files live on gs://; a catalog whose warehouse is a local folder (a local REST catalog, the
  // emulator stack) hands out local locations, so local paths are served too.
  const objects = new ObjectStoreRouter(
    new GcsObjectStore({
      projectId: config.project,
      ...(config.emulators.storage ? { apiEndpoint: config.emulators.storage } : {}),
    }),
    new LocalObjectStore(),
  );
  const state = new FirestoreStateStore({
    firestore: new Firestore({
      projectId: config.project,
      ...(config.firestore.databaseId ? { databaseId: config.firestore.databaseId } : {}),
    }),
    collectionPrefix: config.firestore.collectionPrefix,
    retentionMs: config.firestore.retentionMs,
  });
  const queue = new CloudTasksQueue({
    client: tasksClient(config),
    project: config.project,
    location: config.tasks.location,
    targetUrl: config.tasks.commitUrl,
    queuePrefix: config.tasks.queuePrefix,
    dispatchDeadlineSeconds: config.tasks.dispatchDeadlineSeconds,
    createMissingQueues: config.tasks.createMissingQueues,
    ...(config.tasks.serviceAccountEmail
      ? { oidcServiceAccountEmail: config.tasks.serviceAccountEmail }
      : {}),
  });
  const catalog = new RestCatalog({
    uri: config.catalog.uri,
    warehouse: config.catalog.warehouse,
    // A warehouse that is a location (BigLake: gs://bucket; the stack: a folder) is where tables go.
    ...(/^(gs:\/\/|file:\/\/|\/)/.test(config.catalog.warehouse)
      ? { tableRoot: config.catalog.warehouse }
      : {}),
    ...(config.catalog.auth === 'google'
      ? { headers: googleAuthHeaders({ userProject: config.project }) }
      : {}),
    ...(config.catalog.accessDelegation ? { accessDelegation: config.catalog.accessDelegation } : {}),
  });
  const tables = new ConfiguredTableDirectory(config.tables, catalog, {
    undeclaredTables: config.undeclaredTables,
    ...(config.writeMode ? { writeMode: parseWriteMode(config.writeMode, 'DSI_WRITE_MODE') } : {}),
  });
  return {
    config,
    objects,
    state,
    queue,
    catalog,
    log,
    // A short lease renewed in the background: a long commit keeps its table, a crashed one frees it
    // within minutes rather than at the end of the dispatch deadline.
    commitDependencies: () => ({
      catalog,
      objects,
      state,
      log,
      tables,
      options: { leaseTtlMs: 5 * 60_000, renewEveryMs: 60_000 },
    }),
    ingestDependencies: () => {
      if (!config.landingBucket) {
        throw new ConfigError(
          'environment variable DSI_LANDING_BUCKET is required to ingest: the bucket Datastream writes to',
        );
      }
      return {
        objects,
        state,
        queue,
        tables,
        workRoot: config.workRoot,
        landingBucket: config.landingBucket,
        landingPrefix: config.landingPrefix,
        log,
        readLimits: config.readLimits,
      };
    },
  };
}
