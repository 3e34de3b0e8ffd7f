// The calls of an object store a table's files are written and read through. Declared here, not taken
// from ports/, so the format code depends on nothing above it; every ObjectStore is one.

export interface FileStore {
  get(location: string): Promise<Uint8Array>;
  /** Bytes [start, end) of a file: a Parquet footer, the column chunks a read needs. */
  getRange(location: string, start: number, end: number): Promise<Uint8Array>;
  put(
    location: string,
    bytes: Uint8Array,
    options?: { ifAbsent?: boolean; contentType?: string },
  ): Promise<unknown>;
}
