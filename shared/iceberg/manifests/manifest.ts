// Manifests (v2, of data files or of delete files): writing entries with their data_file records and the header keys Iceberg
// requires (`schema`, `schema-id`, `partition-spec`, `partition-spec-id`, `format-version`, `content`),
// and reading them back, so a copy-on-write commit can reuse or rewrite the manifests it does not change.
//
// Sequence numbers: ADDED entries carry null sequence numbers and inherit the snapshot's from the manifest
// list (the spec's inheritance rule, which also lets a retried commit reuse the manifest); EXISTING and
// DELETED entries carry the explicit numbers of the snapshot that added the file.

import { readAvroOcf, writeAvroOcf } from '../io/avro-ocf.js';
import type { DataFile } from '../io/parquet-data-file.js';
import { decimalRequiredBytes, manifestEntrySchema, type PartitionFieldType } from './manifest-schemas.js';
import type { Int64, PartitionSpec } from '../spec/metadata-types.js';
import { BoundPartitionSpec } from '../spec/partitioning.js';
import { bytesToDecimal, bytesToUuid, uuidToBytes } from '../spec/single-value.js';
import { parseDecimal, type IcebergType, type Schema } from '../spec/types.js';
import type { IcebergValue } from '../spec/values.js';

export const EntryStatus = { EXISTING: 0, ADDED: 1, DELETED: 2 } as const;
export type EntryStatus = (typeof EntryStatus)[keyof typeof EntryStatus];

export interface ManifestEntry {
  status: EntryStatus;
  snapshotId: Int64 | null;
  /** Data sequence number; null on ADDED entries (inherited). */
  sequenceNumber: Int64 | null;
  fileSequenceNumber: Int64 | null;
  dataFile: DataFile;
}

/** A long read from Avro as the Int64 of metadata-types: a number while safe, else the bigint. */
export function toInt64(v: bigint | number): Int64 {
  if (typeof v === 'number') return v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

function signExtend(bytes: Uint8Array, size: number): Buffer {
  const out = Buffer.alloc(size, bytes.length > 0 && (bytes[0]! & 0x80) !== 0 ? 0xff : 0);
  out.set(bytes.subarray(Math.max(0, bytes.length - size)), Math.max(0, size - bytes.length));
  return out;
}

/** A partition value (values.ts form) in the Avro form of its type. */
export function partitionValueToAvro(type: IcebergType, value: IcebergValue): unknown {
  if (value === null) return null;
  const d = typeof type === 'string' ? parseDecimal(type) : undefined;
  if (d) {
    let x = BigInt.asUintN(128, value as bigint);
    const full = new Uint8Array(16);
    for (let i = 15; i >= 0; i--) {
      full[i] = Number(x & 0xffn);
      x >>= 8n;
    }
    return signExtend(full, decimalRequiredBytes(d.precision));
  }
  if (type === 'uuid') return buf(uuidToBytes(value as string));
  if (value instanceof Uint8Array) return buf(value);
  return value;
}

/** An Avro partition value back to values.ts form, from the Avro schema of its field. */
function avroToPartitionValue(avroType: unknown, value: unknown): IcebergValue {
  if (value === null || value === undefined) return null;
  const t = Array.isArray(avroType) ? avroType.find((x) => x !== 'null') : avroType;
  if (t && typeof t === 'object') {
    const o = t as { type?: string; logicalType?: string };
    if (o.logicalType === 'decimal') return bytesToDecimal(value as Buffer);
    if (o.logicalType === 'uuid' && o.type === 'fixed') return bytesToUuid(value as Buffer);
  }
  if (Buffer.isBuffer(value)) return Uint8Array.from(value);
  return value as IcebergValue;
}

function mapToAvro(m: Map<number, number> | Map<number, Uint8Array>): unknown[] {
  return [...m.entries()].map(([key, value]) => ({
    key,
    value: value instanceof Uint8Array ? buf(value) : BigInt(value),
  }));
}

export function partitionFieldTypes(spec: PartitionSpec, schema: Schema): PartitionFieldType[] {
  return new BoundPartitionSpec(spec, schema).fields.map((f) => ({
    name: f.field.name,
    fieldId: f.field['field-id'],
    type: f.resultType,
  }));
}

export interface ManifestWriteInput {
  schema: Schema;
  spec: PartitionSpec;
  entries: readonly ManifestEntry[];
  /**
   * What the manifest holds (the header key `content`): data files (content 0, the default) or delete
   * files (content 1 or 2). Readers plan the two kinds apart, so a manifest never mixes them.
   */
  content?: ManifestContent;
}

export type ManifestContent = 'data' | 'deletes';

/** The bytes of a v2 manifest of data files, or of delete files. */
export function writeManifest(input: ManifestWriteInput): Uint8Array {
  const partitionFields = partitionFieldTypes(input.spec, input.schema);
  const avroSchema = manifestEntrySchema(partitionFields);
  const content = input.content ?? 'data';
  const records = input.entries.map((e, i) => {
    if ((e.dataFile.content === 0) !== (content === 'data')) {
      throw new Error(
        `manifest entry ${i} (${e.dataFile.filePath}): content ${e.dataFile.content} in a manifest of ${content}`,
      );
    }
    if (e.status !== EntryStatus.ADDED && (e.sequenceNumber === null || e.fileSequenceNumber === null)) {
      throw new Error(
        `manifest entry ${i} (${e.dataFile.filePath}): EXISTING and DELETED entries need explicit sequence numbers`,
      );
    }
    const f = e.dataFile;
    const partition: Record<string, unknown> = {};
    for (const p of partitionFields) {
      partition[p.name] = partitionValueToAvro(p.type, f.partition[p.name] ?? null);
    }
    return {
      status: e.status,
      snapshot_id: e.snapshotId === null ? null : BigInt(e.snapshotId),
      sequence_number: e.sequenceNumber === null ? null : BigInt(e.sequenceNumber),
      file_sequence_number: e.fileSequenceNumber === null ? null : BigInt(e.fileSequenceNumber),
      data_file: {
        content: f.content,
        file_path: f.filePath,
        file_format: f.fileFormat,
        partition,
        record_count: BigInt(f.recordCount),
        file_size_in_bytes: BigInt(f.fileSizeInBytes),
        column_sizes: mapToAvro(f.columnSizes),
        value_counts: mapToAvro(f.valueCounts),
        null_value_counts: mapToAvro(f.nullValueCounts),
        nan_value_counts: mapToAvro(f.nanValueCounts),
        lower_bounds: mapToAvro(f.lowerBounds),
        upper_bounds: mapToAvro(f.upperBounds),
        key_metadata: f.keyMetadata ? buf(f.keyMetadata) : null,
        split_offsets: f.splitOffsets ? f.splitOffsets.map((o) => BigInt(o)) : null,
        equality_ids: f.equalityIds ?? null,
        sort_order_id: f.sortOrderId ?? null,
      },
    };
  });
  return writeAvroOcf(avroSchema, records, {
    metadata: {
      schema: JSON.stringify(input.schema),
      'schema-id': String(input.schema['schema-id']),
      'partition-spec': JSON.stringify(input.spec.fields),
      'partition-spec-id': String(input.spec['spec-id']),
      'format-version': '2',
      content,
    },
  });
}

export interface ManifestContents {
  entries: ManifestEntry[];
  /** Header keys (schema, partition-spec, …). */
  metadata: Map<string, string>;
  /** The header's `content` ('data' when absent, as in v1 manifests). */
  content: ManifestContent;
}

interface AvroKV<V> {
  key: number;
  value: V;
}

function avroMapToCounts(list: AvroKV<bigint>[] | null | undefined): Map<number, number> {
  return new Map((list ?? []).map((kv) => [kv.key, Number(kv.value)]));
}

function avroMapToBytes(list: AvroKV<Buffer>[] | null | undefined): Map<number, Uint8Array> {
  return new Map((list ?? []).map((kv) => [kv.key, Uint8Array.from(kv.value)]));
}

/** Entries of a manifest (ours or another writer's v2 manifest). `file` names it in errors. */
export function readManifest(bytes: Uint8Array, file = '<manifest>'): ManifestContents {
  const { schema, metadata, records } = readAvroOcf(bytes, file);
  const fields = (schema as { fields: { name: string; type: unknown }[] }).fields;
  const dataFileSchema = fields.find((f) => f.name === 'data_file')?.type as
    { fields: { name: string; type: unknown }[] } | undefined;
  const partitionSchema = dataFileSchema?.fields.find((f) => f.name === 'partition')?.type as
    { fields: { name: string; type: unknown }[] } | undefined;
  if (!dataFileSchema || !partitionSchema)
    throw new Error(`${file}: not an Iceberg manifest (no data_file.partition)`);
  const entries = records.map((raw): ManifestEntry => {
    const r = raw as Record<string, unknown>;
    const d = r.data_file as Record<string, unknown>;
    const p = (d.partition ?? {}) as Record<string, unknown>;
    const partition: Record<string, IcebergValue> = {};
    for (const pf of partitionSchema.fields) partition[pf.name] = avroToPartitionValue(pf.type, p[pf.name]);
    const opt = (v: unknown): Int64 | null => (v === null || v === undefined ? null : toInt64(v as bigint));
    return {
      status: r.status as EntryStatus,
      snapshotId: opt(r.snapshot_id),
      sequenceNumber: opt(r.sequence_number),
      fileSequenceNumber: opt(r.file_sequence_number),
      dataFile: {
        content: (d.content ?? 0) as 0 | 1 | 2,
        filePath: d.file_path as string,
        fileFormat: String(d.file_format).toUpperCase() as DataFile['fileFormat'],
        partition,
        recordCount: Number(d.record_count as bigint),
        fileSizeInBytes: Number(d.file_size_in_bytes as bigint),
        columnSizes: avroMapToCounts(d.column_sizes as AvroKV<bigint>[]),
        valueCounts: avroMapToCounts(d.value_counts as AvroKV<bigint>[]),
        nullValueCounts: avroMapToCounts(d.null_value_counts as AvroKV<bigint>[]),
        nanValueCounts: avroMapToCounts(d.nan_value_counts as AvroKV<bigint>[]),
        lowerBounds: avroMapToBytes(d.lower_bounds as AvroKV<Buffer>[]),
        upperBounds: avroMapToBytes(d.upper_bounds as AvroKV<Buffer>[]),
        keyMetadata: d.key_metadata ? Uint8Array.from(d.key_metadata as Buffer) : null,
        splitOffsets: d.split_offsets ? (d.split_offsets as bigint[]).map(Number) : null,
        equalityIds: (d.equality_ids as number[] | null | undefined) ?? null,
        sortOrderId: (d.sort_order_id as number | null | undefined) ?? null,
      },
    };
  });
  const content = metadata.get('content') ?? 'data';
  if (content !== 'data' && content !== 'deletes')
    throw new Error(`${file}: unknown manifest content "${content}"`);
  return { entries, metadata, content };
}

/** Whether a partition type's values are float/double (NaN-capable) — for partition summaries. */
export function isFloatingType(type: IcebergType): boolean {
  return type === 'float' || type === 'double';
}
