// The object store on Cloud Storage (gs://bucket/key). Create-only writes use the ifGenerationMatch=0
// precondition, so two writers of the same name cannot both succeed; the emulator (fake-gcs-server)
// is reached through `apiEndpoint`.

import { randomUUID } from 'node:crypto';
import { Storage, type File } from '@google-cloud/storage';
import {
  NotFoundError,
  PreconditionFailedError,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from '../../ports/object-store.js';

export interface GcsObjectStoreOptions {
  /** A ready client; otherwise one is made from apiEndpoint / projectId (and ADC). */
  storage?: Storage;
  /** e.g. http://127.0.0.1:4443 for fake-gcs-server. */
  apiEndpoint?: string;
  projectId?: string;
}

const LIST_PAGE_SIZE = 1000;
/** Custom metadata key naming the put() call that wrote an object. */
const WRITE_ID_KEY = 'write-id';

export class GcsObjectStore implements ObjectStore {
  private readonly storage: Storage;

  constructor(options: GcsObjectStoreOptions = {}) {
    this.storage = options.storage ?? makeStorage(options);
  }

  handles(location: string): boolean {
    return location.startsWith('gs://');
  }

  async get(location: string): Promise<Uint8Array> {
    try {
      const [bytes] = await this.file(location).download();
      return bytes;
    } catch (error) {
      throw mapError(error, location);
    }
  }

  async getRange(location: string, start: number, end: number): Promise<Uint8Array> {
    if (end < start) throw new RangeError(`invalid range [${start}, ${end}) of ${location}`);
    if (end === start) return new Uint8Array(0);
    try {
      // the client's `end` is inclusive; validation is off because a CRC covers whole objects only
      const [bytes] = await this.file(location).download({ start, end: end - 1, validation: false });
      return bytes;
    } catch (error) {
      throw mapError(error, location);
    }
  }

  async stream(location: string): Promise<AsyncIterable<Uint8Array>> {
    const file = this.file(location);
    // fail fast on a missing object; the stream itself reports errors only once iterated
    const [exists] = await file.exists();
    if (!exists) throw new NotFoundError(location);
    const readable = file.createReadStream();
    return mapStreamErrors(readable, location);
  }

  async put(location: string, bytes: Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    const file = this.file(location);
    // The client retries a create-only upload after a 5xx or a lost connection. If the first attempt was
    // stored, the retry gets 412 for our own object; the write id tells that apart from another writer's.
    const writeId = randomUUID();
    try {
      await file.save(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
        resumable: false,
        metadata: {
          ...(options.contentType ? { contentType: options.contentType } : {}),
          metadata: { [WRITE_ID_KEY]: writeId },
        },
        ...(options.ifAbsent ? { preconditionOpts: { ifGenerationMatch: 0 } } : {}),
      });
    } catch (error) {
      if (statusOf(error) !== 412) throw error;
      const [existing] = await file.getMetadata();
      if (existing.metadata?.[WRITE_ID_KEY] === writeId) return infoOf(location, existing);
      throw new PreconditionFailedError(location);
    }
    return infoOf(location, file.metadata);
  }

  async stat(location: string): Promise<ObjectInfo | undefined> {
    try {
      const [metadata] = await this.file(location).getMetadata();
      return infoOf(location, metadata);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const { bucket, key } = parseGcsLocation(prefix, true);
    // GCS lists names in lexicographic (UTF-8 byte) order; pages are followed one at a time
    let query: { prefix: string; maxResults: number; autoPaginate: false; pageToken?: string } | undefined = {
      prefix: key,
      maxResults: LIST_PAGE_SIZE,
      autoPaginate: false,
    };
    while (query) {
      const [files, next] = (await this.storage.bucket(bucket).getFiles(query)) as unknown as [
        File[],
        { pageToken?: string } | null,
      ];
      for (const file of files) yield infoOf(`gs://${bucket}/${file.name}`, file.metadata);
      query = next?.pageToken ? { ...query, pageToken: next.pageToken } : undefined;
    }
  }

  async delete(location: string): Promise<void> {
    await this.file(location).delete({ ignoreNotFound: true });
  }

  private file(location: string): File {
    const { bucket, key } = parseGcsLocation(location);
    return this.storage.bucket(bucket).file(key);
  }
}

function makeStorage(options: GcsObjectStoreOptions): Storage {
  const endpoint = options.apiEndpoint?.replace(/\/+$/, '');
  const storage = new Storage({
    ...(endpoint ? { apiEndpoint: endpoint } : {}),
    ...(options.projectId ? { projectId: options.projectId } : {}),
  });
  if (endpoint) {
    // When STORAGE_EMULATOR_HOST is set, the client (v7) takes it verbatim as the JSON API base URL,
    // without the /storage/v1 path (uploads do get it): JSON calls then 404 on the emulator. An explicit
    // endpoint wins, with the path the JSON API lives under.
    (storage as unknown as { baseUrl: string }).baseUrl = `${endpoint}/storage/v1`;
  }
  return storage;
}

/** Splits gs://bucket/key; the key may be empty only for a listing prefix. */
export function parseGcsLocation(location: string, allowEmptyKey = false): { bucket: string; key: string } {
  const match = /^gs:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match || (!allowEmptyKey && !match[2])) {
    throw new RangeError(`not a Cloud Storage object location (gs://bucket/key): ${location}`);
  }
  return { bucket: match[1]!, key: match[2]! };
}

function infoOf(
  location: string,
  metadata: { size?: string | number; generation?: string | number; updated?: string },
): ObjectInfo {
  const updatedMs = metadata.updated ? Date.parse(metadata.updated) : Number.NaN;
  return {
    location,
    size: Number(metadata.size ?? 0),
    generation: String(metadata.generation ?? ''),
    ...(Number.isFinite(updatedMs) ? { updatedMs } : {}),
  };
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function mapError(error: unknown, location: string): unknown {
  return statusOf(error) === 404 ? new NotFoundError(location) : error;
}

async function* mapStreamErrors(
  source: AsyncIterable<Uint8Array>,
  location: string,
): AsyncIterable<Uint8Array> {
  try {
    yield* source;
  } catch (error) {
    throw mapError(error, location);
  }
}
