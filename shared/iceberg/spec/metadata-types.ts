// Table metadata (format v2) in the exact JSON shape of the Iceberg spec and the REST OpenAPI, so what a
// catalog returns is a value of these types. int64 fields are `Int64`: a number while it is a safe
// integer, a bigint beyond 2^53 (ids written by other engines), as the lossless JSON parser yields.

import type { Schema } from './types.js';

export type Int64 = number | bigint;

export interface PartitionField {
  'source-id': number;
  'field-id': number;
  name: string;
  /** identity, year, month, day, hour, bucket[N], truncate[W], void */
  transform: string;
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

export interface SortField {
  'source-id': number;
  transform: string;
  direction: 'asc' | 'desc';
  'null-order': 'nulls-first' | 'nulls-last';
}

export interface SortOrder {
  'order-id': number;
  fields: SortField[];
}

export interface SnapshotSummary {
  operation: 'append' | 'replace' | 'overwrite' | 'delete';
  [key: string]: string;
}

export interface Snapshot {
  'snapshot-id': Int64;
  'parent-snapshot-id'?: Int64 | null;
  'sequence-number': Int64;
  'timestamp-ms': Int64;
  'manifest-list': string;
  summary: SnapshotSummary;
  'schema-id'?: number;
}

export interface SnapshotRef {
  'snapshot-id': Int64;
  type: 'branch' | 'tag';
  'max-ref-age-ms'?: Int64;
  'max-snapshot-age-ms'?: Int64;
  'min-snapshots-to-keep'?: number;
}

export interface TableMetadata {
  'format-version': 2;
  'table-uuid': string;
  location: string;
  'last-sequence-number': Int64;
  'last-updated-ms': Int64;
  'last-column-id': number;
  schemas: Schema[];
  'current-schema-id': number;
  'partition-specs': PartitionSpec[];
  'default-spec-id': number;
  'last-partition-id': number;
  properties?: Record<string, string>;
  'current-snapshot-id'?: Int64 | null;
  snapshots?: Snapshot[];
  'snapshot-log'?: { 'timestamp-ms': Int64; 'snapshot-id': Int64 }[];
  'metadata-log'?: { 'timestamp-ms': Int64; 'metadata-file': string }[];
  'sort-orders': SortOrder[];
  'default-sort-order-id': number;
  refs?: Record<string, SnapshotRef>;
  statistics?: unknown[];
  'partition-statistics'?: unknown[];
}

/** Commit requirements of the REST spec (`TableRequirement`), the subset this project sends and checks. */
export type TableRequirement =
  | { type: 'assert-create' }
  | { type: 'assert-table-uuid'; uuid: string }
  | { type: 'assert-ref-snapshot-id'; ref: string; 'snapshot-id': Int64 | null }
  | { type: 'assert-last-assigned-field-id'; 'last-assigned-field-id': number }
  | { type: 'assert-current-schema-id'; 'current-schema-id': number }
  | { type: 'assert-last-assigned-partition-id'; 'last-assigned-partition-id': number }
  | { type: 'assert-default-spec-id'; 'default-spec-id': number }
  | { type: 'assert-default-sort-order-id'; 'default-sort-order-id': number };

/** Commit updates of the REST spec (`TableUpdate`), the subset this project sends and applies. */
export type TableUpdate =
  | { action: 'assign-uuid'; uuid: string }
  | { action: 'upgrade-format-version'; 'format-version': number }
  | { action: 'add-schema'; schema: Schema; 'last-column-id'?: number }
  | { action: 'set-current-schema'; 'schema-id': number }
  | { action: 'add-spec'; spec: PartitionSpec }
  | { action: 'set-default-spec'; 'spec-id': number }
  | { action: 'add-sort-order'; 'sort-order': SortOrder }
  | { action: 'set-default-sort-order'; 'sort-order-id': number }
  | { action: 'add-snapshot'; snapshot: Snapshot }
  | ({ action: 'set-snapshot-ref'; 'ref-name': string } & SnapshotRef)
  | { action: 'remove-snapshots'; 'snapshot-ids': Int64[] }
  | { action: 'remove-snapshot-ref'; 'ref-name': string }
  | { action: 'set-location'; location: string }
  | { action: 'set-properties'; updates: Record<string, string> }
  | { action: 'remove-properties'; removals: string[] };
