// Where files live: Cloud Storage (gs://bucket/key) or a local folder (file:///abs/path or a plain path).
// The same engine runs on both; adapters live in shared/adapters/{gcp,embedded}.

export interface ObjectInfo {
  /** Full location, e.g. gs://bucket/a/b.parquet or file:///tmp/wh/a/b.parquet */
  location: string;
  size: number;
  /** Object generation (GCS) or the content's identity (local: a hash of it); used for idempotency keys. */
  generation: string;
  /** Last modification time in ms since the epoch, when the store knows it (maintenance's safety window). */
  updatedMs?: number;
}

export interface PutOptions {
  /** Create only: fail with PreconditionFailedError if the object already exists. */
  ifAbsent?: boolean;
  contentType?: string;
}

export class PreconditionFailedError extends Error {
  constructor(public readonly location: string) {
    super(`object already exists or changed: ${location}`);
    this.name = 'PreconditionFailedError';
  }
}

export class NotFoundError extends Error {
  constructor(public readonly location: string) {
    super(`no such object: ${location}`);
    this.name = 'NotFoundError';
  }
}

export interface ObjectStore {
  /** True when this store serves the location's scheme (gs://, file://, plain path). */
  handles(location: string): boolean;
  get(location: string): Promise<Uint8Array>;
  /** Bytes [start, end) of an object (Parquet footers, projections). */
  getRange(location: string, start: number, end: number): Promise<Uint8Array>;
  /** A stream of the whole object (large Datastream files are read without buffering). */
  stream(location: string): Promise<AsyncIterable<Uint8Array>>;
  put(location: string, bytes: Uint8Array, options?: PutOptions): Promise<ObjectInfo>;
  stat(location: string): Promise<ObjectInfo | undefined>;
  /** Every object under a prefix, in path order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  delete(location: string): Promise<void>;
}
