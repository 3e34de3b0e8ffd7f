// The two shapes a "file landed" notice arrives in, reduced to one SourceFile: the Eventarc CloudEvent
// `google.cloud.storage.object.v1.finalized` (binary or structured mode; data = StorageObjectData) and
// the Pub/Sub push of a Cloud Storage notification (the seed's trigger: OBJECT_FINALIZE with bucketId,
// objectId and objectGeneration attributes, the object resource as base64 JSON data).

import type { SourceFile } from '../shared/pipeline/ingest-file.js';

export const FINALIZED_EVENT_TYPE = 'google.cloud.storage.object.v1.finalized';

export class BadNotificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadNotificationError';
  }
}

function generationText(value: unknown, what: string): string {
  // Real events carry int64 fields as strings; Google's samples also show numbers.
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  throw new BadNotificationError(
    `${what}: generation ${JSON.stringify(value)} is not a non-negative integer`,
  );
}

function sourceFile(bucket: unknown, name: unknown, generation: unknown, what: string): SourceFile {
  if (typeof bucket !== 'string' || bucket.length === 0) throw new BadNotificationError(`${what}: no bucket`);
  if (typeof name !== 'string' || name.length === 0)
    throw new BadNotificationError(`${what}: no object name`);
  return { bucket, name, generation: generationText(generation, what), location: `gs://${bucket}/${name}` };
}

/** StorageObjectData of a finalized CloudEvent → the file; undefined for any other event type. */
export function fromCloudEvent(event: {
  type?: string;
  data?: unknown;
  id?: string;
}): SourceFile | undefined {
  if (event.type !== undefined && event.type !== FINALIZED_EVENT_TYPE) return undefined;
  let data = event.data;
  if (typeof data === 'string') data = JSON.parse(data) as unknown;
  if (data instanceof Uint8Array) data = JSON.parse(Buffer.from(data).toString('utf8')) as unknown;
  if (typeof data !== 'object' || data === null) {
    throw new BadNotificationError(`CloudEvent ${event.id ?? ''}: no StorageObjectData`);
  }
  const object = data as { bucket?: unknown; name?: unknown; generation?: unknown };
  return sourceFile(object.bucket, object.name, object.generation, `CloudEvent ${event.id ?? ''}`.trim());
}

interface PushBody {
  message?: { attributes?: Record<string, string>; data?: string; messageId?: string };
  subscription?: string;
}

/** A Pub/Sub push body of a GCS notification → the file; undefined for events other than OBJECT_FINALIZE. */
export function fromPubsubPush(body: unknown): SourceFile | undefined {
  const message = (body as PushBody | undefined)?.message;
  if (!message) throw new BadNotificationError('Pub/Sub push body has no message');
  const what = `Pub/Sub message ${message.messageId ?? ''}`.trim();
  const attributes = message.attributes ?? {};
  if (attributes.eventType !== undefined && attributes.eventType !== 'OBJECT_FINALIZE') return undefined;
  if (attributes.bucketId && attributes.objectId && attributes.objectGeneration) {
    return sourceFile(attributes.bucketId, attributes.objectId, attributes.objectGeneration, what);
  }
  if (!message.data) throw new BadNotificationError(`${what}: neither object attributes nor data`);
  let resource: { bucket?: unknown; name?: unknown; generation?: unknown };
  try {
    resource = JSON.parse(Buffer.from(message.data, 'base64').toString('utf8')) as typeof resource;
  } catch {
    throw new BadNotificationError(`${what}: data is not a JSON object resource`);
  }
  return sourceFile(resource.bucket, resource.name, resource.generation, what);
}
