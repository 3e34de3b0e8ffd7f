// Looking up what a table's metadata says is current: its schema and its default partition spec. A
// metadata without them is broken, so a missing one throws naming the table.

import type { PartitionSpec, TableMetadata } from './metadata-types.js';
import type { Schema } from './types.js';

export function currentSchema(metadata: TableMetadata): Schema {
  const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
  if (!schema)
    throw new Error(`table ${metadata.location}: current schema ${metadata['current-schema-id']} is missing`);
  return schema;
}

export function defaultSpec(metadata: TableMetadata): PartitionSpec {
  const spec = metadata['partition-specs'].find((s) => s['spec-id'] === metadata['default-spec-id']);
  if (!spec)
    throw new Error(
      `table ${metadata.location}: default partition spec ${metadata['default-spec-id']} is missing`,
    );
  return spec;
}
