// One ObjectStore over several: each call goes to the first store that handles the location's scheme,
// so a table on gs:// and a local warehouse can be served by the same engine code.

import type { ObjectInfo, ObjectStore, PutOptions } from '../ports/object-store.js';

export class ObjectStoreRouter implements ObjectStore {
  private readonly stores: ObjectStore[];

  constructor(...stores: ObjectStore[]) {
    this.stores = stores;
  }

  handles(location: string): boolean {
    return this.stores.some((store) => store.handles(location));
  }

  get(location: string): Promise<Uint8Array> {
    return this.storeFor(location).get(location);
  }

  getRange(location: string, start: number, end: number): Promise<Uint8Array> {
    return this.storeFor(location).getRange(location, start, end);
  }

  stream(location: string): Promise<AsyncIterable<Uint8Array>> {
    return this.storeFor(location).stream(location);
  }

  put(location: string, bytes: Uint8Array, options?: PutOptions): Promise<ObjectInfo> {
    return this.storeFor(location).put(location, bytes, options);
  }

  stat(location: string): Promise<ObjectInfo | undefined> {
    return this.storeFor(location).stat(location);
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.storeFor(prefix).list(prefix);
  }

  delete(location: string): Promise<void> {
    return this.storeFor(location).delete(location);
  }

  private storeFor(location: string): ObjectStore {
    const store = this.stores.find((candidate) => candidate.handles(location));
    if (!store) throw new RangeError(`no object store handles this location: ${location}`);
    return store;
  }
}
