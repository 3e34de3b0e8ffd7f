// Just enough to hand our tables to PyIceberg's StaticTable and DuckDB's iceberg_scan without a catalog:
// new v2 table metadata with the schema's own field ids, a snapshot commit applied by the engine's own
// commit rules, and the result written as `metadata/vN.metadata.json` (lossless: ids beyond 2^53 stay).

import type { TableMetadata } from '../../../shared/iceberg/spec/metadata-types.js';
import type { PartitionSpec, SortOrder } from '../../../shared/iceberg/spec/metadata-types.js';
import { stringifyJson } from '../../../shared/iceberg/spec/metadata-json.js';
import { newTableMetadata as newCatalogTableMetadata } from '../../../shared/iceberg/spec/new-table-metadata.js';
import type { Schema } from '../../../shared/iceberg/spec/types.js';
import type { FileStore } from '../../../shared/iceberg/file-store.js';

export function newTableMetadata(
  location: string,
  schema: Schema,
  spec: PartitionSpec,
  order?: SortOrder,
): TableMetadata {
  return newCatalogTableMetadata(
    { schema, 'partition-spec': spec, ...(order ? { 'write-order': order } : {}) },
    { location, fieldIds: 'keep' },
  );
}

export { applyCommit } from '../../../shared/iceberg/spec/metadata-updates.js';

let version = 0;

/** Write the metadata as `<location>/metadata/v<N>.metadata.json`; returns its location. */
export async function writeMetadataFile(store: FileStore, metadata: TableMetadata): Promise<string> {
  version += 1;
  const location = `${metadata.location}/metadata/v${version}.metadata.json`;
  await store.put(location, new TextEncoder().encode(stringifyJson(metadata)));
  return location;
}
