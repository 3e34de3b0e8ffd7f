// Lower/upper bounds taken from the min/max statistics the Parquet writer already put in the footer,
// for the top-level columns whose statistics say exactly what Iceberg's bounds say: integers, dates,
// times, timestamps and decimals stored as INT32/INT64 (signed order), and strings (unsigned byte order,
// then truncated as column-metrics.ts truncates them): scanning the Arrow data for them again was a
// visible share of writing a file (shared/cow/README.md, Measured). Every other column (floats for
// their NaN counts and −0.0, binaries, uuids, booleans, structs) and any column whose statistics are
// missing or inexact is left to column-metrics.ts.

import { chunkMetaData, columnChunkStructs, META, PHYSICAL, STATS } from './parquet-footer-struct.js';
import type { ParquetFooterFacts } from './parquet-footer.js';
import { stringBoundBytes, toSingleValueBytes } from '../spec/single-value.js';
import { thriftField, ThriftType, type ThriftStruct } from './thrift-compact.js';
import { parseDecimal, type IcebergType, type NestedField } from '../spec/types.js';

export interface StatisticsBounds {
  lowerBounds: Map<number, Uint8Array>;
  upperBounds: Map<number, Uint8Array>;
  /** Field ids whose bounds came from the statistics (bounds absent: the column holds only nulls). */
  covered: Set<number>;
}

type Kind = 'int32' | 'int64' | 'bytes';

function kindOf(type: IcebergType, physical: number): Kind | undefined {
  if (typeof type !== 'string') return undefined;
  if ((type === 'int' || type === 'date') && physical === PHYSICAL.INT32) return 'int32';
  if (
    (type === 'long' || type === 'time' || type === 'timestamp' || type === 'timestamptz') &&
    physical === PHYSICAL.INT64
  ) {
    return 'int64';
  }
  if (parseDecimal(type))
    return physical === PHYSICAL.INT32 ? 'int32' : physical === PHYSICAL.INT64 ? 'int64' : undefined;
  if (type === 'string' && physical === PHYSICAL.BYTE_ARRAY) return 'bytes';
  return undefined;
}

function plainValue(kind: Kind, bytes: Uint8Array): bigint | Uint8Array | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (kind === 'int32') return bytes.length === 4 ? BigInt(view.getInt32(0, true)) : undefined;
  if (kind === 'int64') return bytes.length === 8 ? view.getBigInt64(0, true) : undefined;
  return bytes;
}

function less(a: bigint | Uint8Array, b: bigint | Uint8Array): boolean {
  return typeof a === 'bigint' ? a < (b as bigint) : Buffer.compare(a, b as Uint8Array) < 0;
}

/** Bounds of the eligible top-level columns of a Parquet file from its footer statistics. */
export function boundsFromStatistics(
  footer: ParquetFooterFacts,
  fields: readonly NestedField[],
): StatisticsBounds {
  const result: StatisticsBounds = { lowerBounds: new Map(), upperBounds: new Map(), covered: new Set() };
  const groups = footer.rowGroups;
  for (const field of fields) {
    const leaf = footer.leaves.findIndex((l) => l.fieldId === field.id && l.path.length === 1);
    if (leaf < 0 || typeof field.type !== 'string') continue;
    const bounds = columnBounds(field.type, groups, leaf);
    if (!bounds) continue;
    result.covered.add(field.id);
    if (bounds.lower) result.lowerBounds.set(field.id, bounds.lower);
    if (bounds.upper) result.upperBounds.set(field.id, bounds.upper);
  }
  return result;
}

/**
 * The bounds of one column over some row groups (footer RowGroup structs) from their statistics, as
 * Iceberg single-value bytes: undefined when the statistics cannot give them exactly, {} when the
 * groups hold only nulls in it. `leaf` is the column's index among the footer's leaf columns.
 */
export function columnBounds(
  type: IcebergType,
  groups: readonly ThriftStruct[],
  leaf: number,
): { lower?: Uint8Array; upper?: Uint8Array } | undefined {
  let kind: Kind | undefined;
  let min: bigint | Uint8Array | undefined;
  let max: bigint | Uint8Array | undefined;
  for (const group of groups) {
    const chunk = columnChunkStructs(group)[leaf];
    if (!chunk) return undefined;
    const meta = chunkMetaData(chunk);
    const physical = thriftField(meta, META.type)?.value as number | undefined;
    kind ??= physical === undefined ? undefined : kindOf(type, physical);
    if (!kind || kindOf(type, physical!) !== kind) return undefined;
    const stats = thriftField(meta, META.statistics)?.value as ThriftStruct | undefined;
    if (!stats) return undefined;
    const values = Number(thriftField(meta, META.numValues)?.value ?? -1n);
    const nulls = thriftField(stats, STATS.nullCount)?.value as bigint | undefined;
    if (nulls !== undefined && Number(nulls) === values) continue; // only nulls: no min/max to take
    for (const id of [STATS.maxExact, STATS.minExact]) {
      const exact = thriftField(stats, id);
      if (exact && exact.type === ThriftType.False) return undefined; // truncated by the writer
    }
    const lo = thriftField(stats, STATS.minValue);
    const hi = thriftField(stats, STATS.maxValue);
    if (!lo || !hi || lo.type !== ThriftType.Binary || hi.type !== ThriftType.Binary) return undefined;
    const a = plainValue(kind, lo.value as Uint8Array);
    const b = plainValue(kind, hi.value as Uint8Array);
    if (a === undefined || b === undefined) return undefined;
    if (min === undefined || less(a, min)) min = a;
    if (max === undefined || less(max, b)) max = b;
  }
  if (min === undefined || max === undefined) return {};
  if (kind === 'bytes') {
    const b = stringBoundBytes(Uint8Array.from(min as Uint8Array), Uint8Array.from(max as Uint8Array));
    return b.upper ? { lower: b.lower, upper: b.upper } : { lower: b.lower };
  }
  const asValue = (v: bigint) => (type === 'int' || type === 'date' ? Number(v) : v);
  return {
    lower: toSingleValueBytes(type, asValue(min as bigint)),
    upper: toSingleValueBytes(type, asValue(max as bigint)),
  };
}
