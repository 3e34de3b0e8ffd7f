// The schema of an Iceberg v2 position delete file: the spec's reserved fields `file_path` (string, id
// 2147483546) and `pos` (long, id 2147483545), both required, in that order. The optional `row` column
// (id 2147483544) is never written. Readers find the columns by these ids, so they are fixed here once.

import type { Schema } from './types.js';

export const DELETE_FILE_PATH_FIELD_ID = 2147483546;
export const DELETE_POS_FIELD_ID = 2147483545;

export const POSITION_DELETE_SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: DELETE_FILE_PATH_FIELD_ID, name: 'file_path', required: true, type: 'string' },
    { id: DELETE_POS_FIELD_ID, name: 'pos', required: true, type: 'long' },
  ],
};
