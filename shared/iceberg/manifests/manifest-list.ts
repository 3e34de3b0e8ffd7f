// Manifest lists (v2): one `manifest_file` record per manifest of a snapshot, with the header keys
// `snapshot-id`, `parent-snapshot-id`, `sequence-number`, `format-version`; and reading them back.
// Also the per-manifest partition summaries (`r508`), computed from the entries written.

import { readAvroOcf, writeAvroOcf } from '../io/avro-ocf.js';
import { EntryStatus, toInt64, type ManifestEntry } from './manifest.js';
import { MANIFEST_LIST_SCHEMA, type PartitionFieldType } from './manifest-schemas.js';
import type { Int64 } from '../spec/metadata-types.js';
import { toSingleValueBytes } from '../spec/single-value.js';
import type { IcebergValue } from '../spec/values.js';

export interface FieldSummary {
  containsNull: boolean;
  containsNan: boolean | null;
  lowerBound: Uint8Array | null;
  upperBound: Uint8Array | null;
}

export interface ManifestFile {
  manifestPath: string;
  manifestLength: number;
  partitionSpecId: number;
  /** 0 data, 1 deletes */
  content: 0 | 1;
  sequenceNumber: Int64;
  minSequenceNumber: Int64;
  addedSnapshotId: Int64;
  addedFilesCount: number;
  existingFilesCount: number;
  deletedFilesCount: number;
  addedRowsCount: number;
  existingRowsCount: number;
  deletedRowsCount: number;
  partitions: FieldSummary[] | null;
  keyMetadata?: Uint8Array | null;
}

function compareValues(a: IcebergValue, b: IcebergValue): number {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/** Partition summaries over every entry of a manifest (as Java's PartitionSummary, deleted entries included). */
export function summarizePartitions(
  fields: readonly PartitionFieldType[],
  entries: readonly ManifestEntry[],
): FieldSummary[] {
  return fields.map((f) => {
    let containsNull = false;
    let containsNan = false;
    let min: IcebergValue = null;
    let max: IcebergValue = null;
    for (const e of entries) {
      const v = e.dataFile.partition[f.name] ?? null;
      if (v === null) containsNull = true;
      else if (typeof v === 'number' && Number.isNaN(v)) containsNan = true;
      else {
        if (min === null || compareValues(v, min) < 0) min = v;
        if (max === null || compareValues(v, max) > 0) max = v;
      }
    }
    const floating = f.type === 'float' || f.type === 'double';
    return {
      containsNull,
      containsNan: floating ? containsNan : false,
      lowerBound: min === null ? null : toSingleValueBytes(f.type, min),
      upperBound: max === null ? null : toSingleValueBytes(f.type, max),
    };
  });
}

/** Counts of a manifest's entries for its manifest_file record. */
export function countEntries(
  entries: readonly ManifestEntry[],
): Pick<
  ManifestFile,
  | 'addedFilesCount'
  | 'existingFilesCount'
  | 'deletedFilesCount'
  | 'addedRowsCount'
  | 'existingRowsCount'
  | 'deletedRowsCount'
> {
  const c = {
    addedFilesCount: 0,
    existingFilesCount: 0,
    deletedFilesCount: 0,
    addedRowsCount: 0,
    existingRowsCount: 0,
    deletedRowsCount: 0,
  };
  for (const e of entries) {
    const rows = e.dataFile.recordCount;
    if (e.status === EntryStatus.ADDED) {
      c.addedFilesCount++;
      c.addedRowsCount += rows;
    } else if (e.status === EntryStatus.EXISTING) {
      c.existingFilesCount++;
      c.existingRowsCount += rows;
    } else {
      c.deletedFilesCount++;
      c.deletedRowsCount += rows;
    }
  }
  return c;
}

const buf = (u: Uint8Array | null | undefined): Buffer | null =>
  u ? Buffer.from(u.buffer, u.byteOffset, u.byteLength) : null;

export interface ManifestListWriteInput {
  snapshotId: Int64;
  parentSnapshotId: Int64 | null;
  sequenceNumber: Int64;
  manifests: readonly ManifestFile[];
}

export function writeManifestList(input: ManifestListWriteInput): Uint8Array {
  const records = input.manifests.map((m) => ({
    manifest_path: m.manifestPath,
    manifest_length: BigInt(m.manifestLength),
    partition_spec_id: m.partitionSpecId,
    content: m.content,
    sequence_number: BigInt(m.sequenceNumber),
    min_sequence_number: BigInt(m.minSequenceNumber),
    added_snapshot_id: BigInt(m.addedSnapshotId),
    added_files_count: m.addedFilesCount,
    existing_files_count: m.existingFilesCount,
    deleted_files_count: m.deletedFilesCount,
    added_rows_count: BigInt(m.addedRowsCount),
    existing_rows_count: BigInt(m.existingRowsCount),
    deleted_rows_count: BigInt(m.deletedRowsCount),
    partitions: m.partitions
      ? m.partitions.map((p) => ({
          contains_null: p.containsNull,
          contains_nan: p.containsNan,
          lower_bound: buf(p.lowerBound),
          upper_bound: buf(p.upperBound),
        }))
      : null,
    key_metadata: buf(m.keyMetadata),
  }));
  const metadata: Record<string, string> = {
    'snapshot-id': String(input.snapshotId),
    'sequence-number': String(input.sequenceNumber),
    'format-version': '2',
  };
  if (input.parentSnapshotId !== null) metadata['parent-snapshot-id'] = String(input.parentSnapshotId);
  return writeAvroOcf(MANIFEST_LIST_SCHEMA, records, { metadata });
}

/** The manifests of a snapshot. `file` names the manifest list in errors. */
export function readManifestList(
  bytes: Uint8Array,
  file = '<manifest list>',
): { manifests: ManifestFile[]; metadata: Map<string, string> } {
  const { records, metadata } = readAvroOcf(bytes, file);
  const manifests = records.map((raw): ManifestFile => {
    const r = raw as Record<string, unknown>;
    const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v as bigint));
    const parts = r.partitions as Record<string, unknown>[] | null | undefined;
    return {
      manifestPath: r.manifest_path as string,
      manifestLength: n(r.manifest_length),
      partitionSpecId: r.partition_spec_id as number,
      content: ((r.content as number | undefined) ?? 0) as 0 | 1,
      sequenceNumber: toInt64((r.sequence_number as bigint | undefined) ?? 0n),
      minSequenceNumber: toInt64((r.min_sequence_number as bigint | undefined) ?? 0n),
      addedSnapshotId: toInt64(r.added_snapshot_id as bigint),
      addedFilesCount: n(r.added_files_count ?? r.added_data_files_count),
      existingFilesCount: n(r.existing_files_count ?? r.existing_data_files_count),
      deletedFilesCount: n(r.deleted_files_count ?? r.deleted_data_files_count),
      addedRowsCount: n(r.added_rows_count),
      existingRowsCount: n(r.existing_rows_count),
      deletedRowsCount: n(r.deleted_rows_count),
      partitions: parts
        ? parts.map((p) => ({
            containsNull: p.contains_null as boolean,
            containsNan: (p.contains_nan as boolean | null | undefined) ?? null,
            lowerBound: p.lower_bound ? Uint8Array.from(p.lower_bound as Buffer) : null,
            upperBound: p.upper_bound ? Uint8Array.from(p.upper_bound as Buffer) : null,
          }))
        : null,
      keyMetadata: r.key_metadata ? Uint8Array.from(r.key_metadata as Buffer) : null,
    };
  });
  return { manifests, metadata };
}
