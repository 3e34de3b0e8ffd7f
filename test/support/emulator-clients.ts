// Cloud clients pointed at the test stack. Production code builds its own clients; these exist so every
// test talks to the emulators the same way (endpoints from the stack's environment, no credentials).

import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { CloudTasksClient } from '@google-cloud/tasks';
import { credentials } from '@grpc/grpc-js';
import { stackEnv } from './stack-env.js';

export function projectId(): string {
  return stackEnv('GOOGLE_CLOUD_PROJECT');
}

/** @google-cloud/storage on fake-gcs-server, through `apiEndpoint` (see stack-env.ts on STORAGE_EMULATOR_HOST). */
export function storageClient(): Storage {
  return new Storage({ apiEndpoint: stackEnv('STORAGE_EMULATOR_HOST'), projectId: projectId() });
}

/** @google-cloud/firestore on the emulator; call terminate() when done or the process lingers. */
export function firestoreClient(): Firestore {
  stackEnv('FIRESTORE_EMULATOR_HOST'); // the client reads it; fail early with the stack's message if unset
  return new Firestore({ projectId: projectId() });
}

/** @google-cloud/pubsub on the emulator; call close() when done. */
export function pubsubClient(): PubSub {
  stackEnv('PUBSUB_EMULATOR_HOST');
  return new PubSub({ projectId: projectId() });
}

/** Splits "host:port" as the stack exports it. */
export function hostAndPort(
  variable: 'CLOUD_TASKS_EMULATOR_HOST' | 'FIRESTORE_EMULATOR_HOST' | 'PUBSUB_EMULATOR_HOST',
) {
  const value = stackEnv(variable);
  const colon = value.lastIndexOf(':');
  const port = Number(value.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port)) throw new Error(`${variable}="${value}" is not host:port`);
  return { host: value.slice(0, colon), port };
}

/** @google-cloud/tasks on the Cloud Tasks emulator: plain gRPC, no TLS, no credentials. */
export function tasksClient(): CloudTasksClient {
  const { host, port } = hostAndPort('CLOUD_TASKS_EMULATOR_HOST');
  return new CloudTasksClient({
    apiEndpoint: host,
    port,
    sslCreds: credentials.createInsecure(),
    projectId: projectId(),
  });
}

/**
 * Adds a Pub/Sub notification config to a fake-gcs-server bucket. Not bucket.createNotification():
 * @google-cloud/storage sends the topic as "//pubsub.googleapis.com/projects/P/topics/T" (the form GCS
 * takes), which fake-gcs-server 1.55 stores but cannot publish to (it wants "projects/P/topics/T" and
 * only logs the mismatch); the JSON API call below is the same request with the short topic name.
 */
export async function addBucketNotification(
  bucket: string,
  topicId: string,
  options: { eventTypes?: string[]; objectNamePrefix?: string } = {},
): Promise<void> {
  const response = await fetch(
    `${stackEnv('STORAGE_EMULATOR_HOST')}/storage/v1/b/${encodeURIComponent(bucket)}/notificationConfigs`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        topic: `projects/${projectId()}/topics/${topicId}`,
        payload_format: 'JSON_API_V1',
        event_types: options.eventTypes,
        object_name_prefix: options.objectNamePrefix,
      }),
    },
  );
  if (response.status !== 201 && response.status !== 200) {
    throw new Error(
      `adding a notification to bucket ${bucket} failed: ${response.status} ${await response.text()}`,
    );
  }
}
