// The part of the object store a table's files are written and read through.

import type { ObjectStore } from '../ports/object-store.js';

export type FileStore = Pick<ObjectStore, 'put' | 'get'>;
