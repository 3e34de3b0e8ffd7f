// A change-set: every change of one table read from one object generation, as one Arrow IPC stream.
// Typed columns (the table's Iceberg→Arrow mapping, field ids included) so the commit side can hand
// them straight to the Parquet writer; order/identity columns prefixed `_cs_`; and, for columns that
// some events lack, a `_cs_present:<column>` boolean column, because absent (keep the current value)
// is not null. The schema metadata carries the table, source, generation, counts and order bounds.

import { createHash } from 'node:crypto';
import * as arrow from 'apache-arrow';
import { icebergToArrowField } from '../iceberg/arrow/arrow-schema.js';
import type { Schema } from '../iceberg/spec/types.js';
import { newRow, type IcebergValue, type Row } from '../iceberg/spec/values.js';
import { columnReader } from './arrow-columns.js';
import { columnAccumulator, epochMillisColumn, type ColumnAccumulator } from './column-accumulator.js';
import {
  CHANGE_TYPES,
  compareOrder,
  type ChangeEvent,
  type ChangeType,
  type OrderKey,
  type TableRef,
} from './change-event.js';

export const CHANGE_SET_FORMAT = 'datastream-iceberg.change-set';
export const CHANGE_SET_VERSION = 1;
const METADATA_KEY = 'datastream-iceberg.change-set';
const PRESENT_PREFIX = '_cs_present:';

/** Which object generation a change-set was read from. */
export interface SourceObject {
  bucket: string;
  name: string;
  generation: string;
}

export interface ChangeSetHeader {
  table: TableRef;
  source: SourceObject;
  /** The Iceberg schema the row values were coerced to. */
  schema: Schema;
  primaryKeys: string[];
  /** Source PostgreSQL types of the columns, as the values were coerced (the table's pg-types). */
  sourceTypes?: Record<string, string>;
  /** Set when the table was not declared and its columns were learnt from the files. */
  learntFrom?: 'avro-schema' | 'json-values';
}

export interface ChangeSetInfo extends ChangeSetHeader {
  id: string;
  eventCount: number;
  upserts: number;
  deletes: number;
  /** Oldest and newest order keys in the set; null when it is empty. */
  minOrder: OrderKey | null;
  maxOrder: OrderKey | null;
}

/**
 * Deterministic id of the change-set for one table read from one object generation: the same file
 * generation always yields the same id (re-deliveries dedupe), a rewrite of the object (new
 * generation) yields a new one.
 */
export function changeSetId(source: SourceObject, table: TableRef): string {
  const input = JSON.stringify([
    `${source.bucket}/${source.name}#${source.generation}`,
    table.schema,
    table.name,
  ]);
  return createHash('sha256').update(input).digest('hex').slice(0, 32);
}

interface StoredOrder {
  sourceTsMs: number;
  lsn: string;
}

interface StoredMetadata {
  format: string;
  version: number;
  id: string;
  table: TableRef;
  source: SourceObject;
  schema: Schema;
  primaryKeys: string[];
  sourceTypes?: Record<string, string>;
  learntFrom?: 'avro-schema' | 'json-values';
  eventCount: number;
  upserts: number;
  deletes: number;
  minOrder: StoredOrder | null;
  maxOrder: StoredOrder | null;
  /** Object name recorded in each event's source position. */
  object: string;
  /** Columns that have a presence column. */
  presence: string[];
}

/** The index of a change type in CHANGE_TYPES (a comparison chain: a Map lookup per event cost more). */
function changeTypeCode(type: ChangeType): number {
  for (let i = 0; i < CHANGE_TYPES.length; i++) if (CHANGE_TYPES[i] === type) return i;
  return 0;
}

/** Accumulates events column by column; `finish()` encodes them. Holds no per-event objects. */
export class ChangeSetBuilder {
  private readonly id: string;
  private readonly columns: Array<{ name: string; values: ColumnAccumulator }>;
  private readonly columnNames: Set<string>;
  /** Per column, a bitmap of the rows it was absent from (created at its first absence). */
  private readonly absent: Array<Uint8Array | undefined>;
  private readonly ops = columnAccumulator('int');
  private readonly changeTypes = columnAccumulator('int');
  private readonly backfills = columnAccumulator('boolean');
  private readonly timestamps = epochMillisColumn();
  private readonly lsns = columnAccumulator('long');
  private readonly uuids = columnAccumulator('string');
  private readonly lines = columnAccumulator('int');
  private object: string | undefined;
  private minOrder: OrderKey | null = null;
  private maxOrder: OrderKey | null = null;
  private upserts = 0;
  private deletes = 0;
  private n = 0;

  /** Push every column of a row; returns how many were present. Generated per schema (see below). */
  private readonly pushRow: (row: Row, index: number) => number;

  constructor(private readonly header: ChangeSetHeader) {
    this.id = changeSetId(header.source, header.table);
    this.columns = header.schema.fields.map((f) => ({ name: f.name, values: columnAccumulator(f.type) }));
    this.columnNames = new Set(this.columns.map((c) => c.name));
    this.absent = this.columns.map(() => undefined);
    this.pushRow = rowPusher(
      this.columns.map((c) => c.name),
      this.columns.map((c) => c.values.push),
      (column, index) => {
        let bits = this.absent[column];
        if (bits === undefined || index >> 3 >= bits.length) {
          const grown = new Uint8Array(Math.max(128, (index >> 2) + 1));
          if (bits !== undefined) grown.set(bits);
          this.absent[column] = bits = grown;
        }
        bits[index >> 3]! |= 1 << (index & 7);
      },
    );
  }

  get count(): number {
    return this.n;
  }

  add(event: ChangeEvent): void {
    const { table } = this.header;
    // Events of the table's compiled reference (all of them, in ingest) skip the name comparison.
    if (event.table !== table && (event.table.schema !== table.schema || event.table.name !== table.name)) {
      throw new Error(
        `event of ${event.table.schema}.${event.table.name} added to a change-set of ${table.schema}.${table.name}`,
      );
    }
    if (this.object === undefined) this.object = event.source.object;
    else if (this.object !== event.source.object) {
      throw new Error(`events of ${event.source.object} and ${this.object} in one change-set`);
    }
    const index = this.n++;
    const row = event.row;
    const present = this.pushRow(row, index);
    // Rows come from tables compiled with this schema; a key outside it would be silently dropped.
    let keys = 0;
    for (const _ in row) keys++;
    if (keys !== present) {
      const unknown = Object.keys(row).filter((name) => !this.columnNames.has(name));
      throw new Error(`columns ${unknown.join(', ')} are not in the change-set schema`);
    }
    this.ops.push(event.op === 'delete' ? 1 : 0);
    if (event.op === 'delete') this.deletes++;
    else this.upserts++;
    this.changeTypes.push(changeTypeCode(event.changeType));
    this.backfills.push(event.backfill);
    this.timestamps.push(event.order.sourceTsMs);
    // Stored as the two's-complement bits of the unsigned LSN (a BigInt64Array wraps on write).
    this.lsns.push(event.order.lsn);
    this.uuids.push(event.uuid);
    this.lines.push(event.source.line);
    if (this.minOrder === null || compareOrder(event.order, this.minOrder) < 0) this.minOrder = event.order;
    if (this.maxOrder === null || compareOrder(event.order, this.maxOrder) > 0) this.maxOrder = event.order;
  }

  info(): ChangeSetInfo {
    return {
      ...this.header,
      id: this.id,
      eventCount: this.count,
      upserts: this.upserts,
      deletes: this.deletes,
      minOrder: this.minOrder,
      maxOrder: this.maxOrder,
    };
  }

  /** Encode as an Arrow IPC stream (one record batch). */
  finish(): Uint8Array {
    const n = this.count;
    const fields: arrow.Field[] = [];
    const children: arrow.Data[] = [];
    const add = (name: string, type: arrow.DataType, values: ColumnAccumulator) => {
      fields.push(new arrow.Field(name, type, false));
      children.push(values.toData(type));
    };
    add('_cs_op', new arrow.Int32(), this.ops);
    add('_cs_change_type', new arrow.Int32(), this.changeTypes);
    add('_cs_backfill', new arrow.Bool(), this.backfills);
    add('_cs_source_ts_ms', new arrow.Int64(), this.timestamps);
    // The LSN is unsigned 64-bit; stored as its two's-complement bits in an Int64 column.
    add('_cs_lsn', new arrow.Int64(), this.lsns);
    add('_cs_uuid', new arrow.Utf8(), this.uuids);
    add('_cs_line', new arrow.Int32(), this.lines);

    this.header.schema.fields.forEach((field, i) => {
      // Nullable in the change-set whatever the table says: deletes carry only the key columns.
      const arrowField = icebergToArrowField({ ...field, required: false });
      fields.push(arrowField);
      children.push((this.columns[i] as { values: ColumnAccumulator }).values.toData(arrowField.type));
    });
    const presence: string[] = [];
    this.header.schema.fields.forEach((field, column) => {
      const absent = this.absent[column];
      if (!absent) return;
      presence.push(field.name);
      // Present is the complement of absent, over the rows there are (the bitmap may be longer).
      const bytes = (n + 7) >> 3;
      const present = new Uint8Array(bytes);
      for (let i = 0; i < bytes; i++) present[i] = ~(absent[i] ?? 0);
      if (n & 7) present[bytes - 1]! &= (1 << (n & 7)) - 1;
      const type = new arrow.Bool();
      fields.push(new arrow.Field(`${PRESENT_PREFIX}${field.name}`, type, false));
      children.push(arrow.makeData({ type, length: n, nullCount: 0, data: present }));
    });

    const info = this.info();
    const stored: StoredMetadata = {
      format: CHANGE_SET_FORMAT,
      version: CHANGE_SET_VERSION,
      id: info.id,
      table: info.table,
      source: info.source,
      schema: info.schema,
      primaryKeys: info.primaryKeys,
      ...(info.sourceTypes ? { sourceTypes: info.sourceTypes } : {}),
      ...(info.learntFrom ? { learntFrom: info.learntFrom } : {}),
      eventCount: info.eventCount,
      upserts: info.upserts,
      deletes: info.deletes,
      minOrder: storeOrder(info.minOrder),
      maxOrder: storeOrder(info.maxOrder),
      object: this.object ?? info.source.name,
      presence,
    };
    const schema = new arrow.Schema(fields, new Map([[METADATA_KEY, JSON.stringify(stored)]]));
    const struct = arrow.makeData({ type: new arrow.Struct(fields), length: n, nullCount: 0, children });
    const batch = new arrow.RecordBatch(schema, struct);
    return arrow.tableToIPC(new arrow.Table(schema, [batch]), 'stream');
  }
}

/**
 * A row pusher specialised to the schema: each column is read by its constant name and pushed through
 * its own accumulator, so every property access and call site stays monomorphic (a loop over column
 * names made them megamorphic, the largest cost of building a change-set). Names enter the code only
 * as JSON string literals.
 */
function rowPusher(
  names: string[],
  pushes: Array<(value: IcebergValue) => void>,
  markAbsent: (column: number, index: number) => void,
): (row: Row, index: number) => number {
  const body = names
    .map((name, i) => {
      const key = JSON.stringify(name);
      return `v = row[${key}];
    if (v === undefined) {
      markAbsent(${i}, index);
      push${i}(null);
    } else {
      present++;
      push${i}(v);
    }`;
    })
    .join('\n    ');
  const params = names.map((_, i) => `push${i}`);
  const source = `return function pushRow(row, index) {
    let present = 0;
    let v;
    ${body}
    return present;
  };`;
  let factory = rowPusherFactories.get(source);
  if (!factory) {
    factory = new Function('markAbsent', ...params, source) as RowPusherFactory;
    rowPusherFactories.set(source, factory);
  }
  return factory(markAbsent, ...pushes);
}

type RowPusherFactory = (...args: unknown[]) => (row: Row, index: number) => number;

/**
 * Generated once per column list, not once per builder: every new Function is new code that starts
 * unoptimized, and ingest makes a builder per table for every object it reads.
 */
const rowPusherFactories = new Map<string, RowPusherFactory>();

type RowBuilder = (
  reads: ReadonlyArray<(index: number) => IcebergValue>,
  presence: ReadonlyArray<Uint8Array | undefined>,
  index: number,
) => Row;

const rowBuilders = new Map<string, RowBuilder>();

/**
 * A function building row `index` of a decoded change-set, generated per column list: properties are
 * added by constant names in one order, so every row shares one hidden class, and a column absent from
 * the event (its presence bit clear) is left out: the generic loop was a large share of decoding a
 * change-set (shared/cow/README.md, Measured). Names enter the code only as JSON string literals.
 */
function rowBuilder(names: readonly string[]): RowBuilder {
  const cacheKey = JSON.stringify(names);
  let build = rowBuilders.get(cacheKey);
  if (!build) {
    const body = names
      .map((name, j) => {
        const prop = JSON.stringify(name);
        return `p = presence[${j}];
    if (p === undefined || (p[index >> 3] & (1 << (index & 7))) !== 0) row[${prop}] = reads[${j}](index);`;
      })
      .join('\n    ');
    const make = new Function(
      'newRow',
      `return function buildRow(reads, presence, index) {\n    const row = newRow();\n    let p;\n    ${body}\n    return row;\n  };`,
    ) as (make: () => Row) => RowBuilder;
    build = make(newRow);
    rowBuilders.set(cacheKey, build);
  }
  return build;
}

function storeOrder(order: OrderKey | null): StoredOrder | null {
  return order === null ? null : { sourceTsMs: order.sourceTsMs, lsn: order.lsn.toString() };
}

function loadOrder(order: StoredOrder | null): OrderKey | null {
  return order === null ? null : { sourceTsMs: order.sourceTsMs, lsn: BigInt(order.lsn) };
}

/** Encode events of one table and one object generation. */
export function encodeChangeSet(header: ChangeSetHeader, events: Iterable<ChangeEvent>): Uint8Array {
  const builder = new ChangeSetBuilder(header);
  for (const event of events) builder.add(event);
  return builder.finish();
}

export interface DecodedChangeSet {
  info: ChangeSetInfo;
  events: ChangeEvent[];
}

/** Read the header of a change-set without decoding its rows. */
export function readChangeSetInfo(bytes: Uint8Array): ChangeSetInfo {
  const table = arrow.tableFromIPC(bytes);
  return infoOf(metadataOf(table.schema));
}

function metadataOf(schema: arrow.Schema): StoredMetadata {
  const text = schema.metadata.get(METADATA_KEY);
  if (text === undefined) throw new Error('not a change-set: no change-set metadata');
  const stored = JSON.parse(text) as StoredMetadata;
  if (stored.format !== CHANGE_SET_FORMAT || stored.version !== CHANGE_SET_VERSION) {
    throw new Error(`unsupported change-set format ${stored.format} v${stored.version}`);
  }
  return stored;
}

function infoOf(stored: StoredMetadata): ChangeSetInfo {
  return {
    id: stored.id,
    table: stored.table,
    source: stored.source,
    schema: stored.schema,
    primaryKeys: stored.primaryKeys,
    ...(stored.sourceTypes ? { sourceTypes: stored.sourceTypes } : {}),
    ...(stored.learntFrom ? { learntFrom: stored.learntFrom } : {}),
    eventCount: stored.eventCount,
    upserts: stored.upserts,
    deletes: stored.deletes,
    minOrder: loadOrder(stored.minOrder),
    maxOrder: loadOrder(stored.maxOrder),
  };
}

/** Decode a change-set back into exactly the events that were encoded. */
export function decodeChangeSet(bytes: Uint8Array): DecodedChangeSet {
  const table = arrow.tableFromIPC(bytes);
  const stored = metadataOf(table.schema);
  const info = infoOf(stored);
  const events: ChangeEvent[] = [];
  for (const batch of table.batches) {
    const column = (name: string): arrow.Data => {
      const index = batch.schema.fields.findIndex((f) => f.name === name);
      if (index < 0) throw new Error(`change-set has no column ${name}`);
      const data = batch.data.children[index] as arrow.Data;
      if (data.offset !== 0) throw new Error(`change-set column ${name} is sliced`);
      return data;
    };
    const ops = column('_cs_op').values as Int32Array;
    const changeTypes = column('_cs_change_type').values as Int32Array;
    const backfill = column('_cs_backfill');
    const timestamps = column('_cs_source_ts_ms').values as BigInt64Array;
    const lsns = column('_cs_lsn').values as BigInt64Array;
    const uuids = column('_cs_uuid');
    const lines = column('_cs_line').values as Int32Array;
    const names = stored.schema.fields.map((f) => f.name);
    const buildRow = rowBuilder(names);
    const reads = stored.schema.fields.map((f) => columnReader(f.type, column(f.name)));
    // absence bitmaps (bit set = present), undefined for a column present in every row
    const presence = names.map((name) =>
      stored.presence.includes(name) ? (column(`${PRESENT_PREFIX}${name}`).values as Uint8Array) : undefined,
    );
    const backfillBits = backfill.values as Uint8Array;
    const primaryKeys = stored.primaryKeys;
    const readUuid = columnReader('string', uuids);
    for (let i = 0; i < batch.numRows; i++) {
      const row = buildRow(reads, presence, i);
      const key = new Array<IcebergValue>(primaryKeys.length);
      for (let k = 0; k < primaryKeys.length; k++) key[k] = row[primaryKeys[k]!] ?? null;
      events.push({
        table: stored.table,
        op: ops[i] === 1 ? 'delete' : 'upsert',
        key,
        order: { sourceTsMs: Number(timestamps[i]), lsn: BigInt.asUintN(64, lsns[i] as bigint) },
        uuid: readUuid(i) as string,
        row,
        changeType: CHANGE_TYPES[changeTypes[i] as number] ?? '',
        backfill: (backfillBits[i >> 3]! & (1 << (i & 7))) !== 0,
        source: { object: stored.object, line: lines[i] as number },
      });
    }
  }
  return { info, events };
}
