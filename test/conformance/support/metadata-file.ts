// Just enough table metadata handling for the conformance tests to hand our tables to PyIceberg's
// StaticTable and DuckDB's iceberg_scan: a new v2 table's metadata, applying a snapshot commit's
// updates (add-snapshot, set-snapshot-ref) after checking its requirements, and writing
// `metadata/vN.metadata.json`. The catalogs own the real versions of these steps.

import { randomUUID } from 'node:crypto';
import type { TableMetadata, TableRequirement, TableUpdate } from '../../../shared/iceberg/metadata-types.js';
import type { PartitionSpec, SortOrder } from '../../../shared/iceberg/metadata-types.js';
import { maxFieldId } from '../../../shared/iceberg/schema.js';
import type { Schema } from '../../../shared/iceberg/types.js';
import type { FileStore } from '../../../shared/iceberg/table-writer.js';

export function newTableMetadata(
  location: string,
  schema: Schema,
  spec: PartitionSpec,
  order?: SortOrder,
): TableMetadata {
  return {
    'format-version': 2,
    'table-uuid': randomUUID(),
    location,
    'last-sequence-number': 0,
    'last-updated-ms': Date.now(),
    'last-column-id': maxFieldId(schema),
    schemas: [schema],
    'current-schema-id': schema['schema-id'],
    'partition-specs': [spec],
    'default-spec-id': spec['spec-id'],
    'last-partition-id': Math.max(999, ...spec.fields.map((f) => f['field-id'])),
    properties: {},
    'current-snapshot-id': null,
    snapshots: [],
    'snapshot-log': [],
    'metadata-log': [],
    'sort-orders': [order ?? { 'order-id': 0, fields: [] }],
    'default-sort-order-id': order ? order['order-id'] : 0,
    refs: {},
  };
}

export function applyCommit(
  base: TableMetadata,
  requirements: TableRequirement[],
  updates: TableUpdate[],
): TableMetadata {
  for (const r of requirements) {
    if (r.type === 'assert-table-uuid' && r.uuid !== base['table-uuid'])
      throw new Error('table uuid changed');
    if (r.type === 'assert-ref-snapshot-id') {
      const current = base.refs?.[r.ref]?.['snapshot-id'] ?? null;
      if (String(current) !== String(r['snapshot-id']))
        throw new Error(`ref ${r.ref} moved: ${current} ≠ ${r['snapshot-id']}`);
    }
  }
  const next: TableMetadata = structuredClone(base);
  for (const u of updates) {
    if (u.action === 'add-snapshot') {
      next.snapshots = [...(next.snapshots ?? []), u.snapshot];
      next['last-sequence-number'] = u.snapshot['sequence-number'];
      next['last-updated-ms'] = u.snapshot['timestamp-ms'];
    } else if (u.action === 'set-snapshot-ref') {
      next.refs = { ...next.refs, [u['ref-name']]: { 'snapshot-id': u['snapshot-id'], type: u.type } };
      if (u['ref-name'] === 'main') {
        next['current-snapshot-id'] = u['snapshot-id'];
        next['snapshot-log'] = [
          ...(next['snapshot-log'] ?? []),
          { 'timestamp-ms': next['last-updated-ms'], 'snapshot-id': u['snapshot-id'] },
        ];
      }
    } else {
      throw new Error(`update ${u.action} is not handled by the test helper`);
    }
  }
  return next;
}

let version = 0;

/** Write the metadata as `<location>/metadata/v<N>.metadata.json`; returns its location. */
export async function writeMetadataFile(store: FileStore, metadata: TableMetadata): Promise<string> {
  version += 1;
  const location = `${metadata.location}/metadata/v${version}.metadata.json`;
  const text = JSON.stringify(metadata, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2);
  await store.put(location, new TextEncoder().encode(text));
  return location;
}
