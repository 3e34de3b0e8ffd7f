// `npm run bench -- iceberg [rows]`: write and read a products table (1M rows by default) through the
// Iceberg data-file path (Parquet + footer facts + metrics; projected read by field id) and through bare
// parquet-wasm on the same Arrow table, in the same process, alternating, median of several runs.
// Goal: our path at ≥ 0.8 of raw for both. Also times rows → Arrow and Arrow → rows (the engine's
// conversions). The last line is one JSON object with the figures.

import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { arrowTableToRows, rowsToArrowTable } from '../../shared/iceberg/arrow/arrow-rows.js';
import { readArrowDataFile, writeArrowDataFile } from '../../shared/iceberg/io/parquet-data-file.js';
import { buildSchema } from '../../shared/iceberg/spec/schema.js';
import type { Row } from '../../shared/iceberg/spec/values.js';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const RUNS = 5;

const schema = buildSchema([
  { name: 'id', type: 'int', required: true },
  { name: 'name', type: 'string' },
  { name: 'price', type: 'decimal(10, 2)' },
  { name: 'updated_at', type: 'timestamp' },
  { name: 'category', type: 'string' },
  { name: '_cdc_source_ts_ms', type: 'long', required: true },
  { name: '_cdc_lsn', type: 'long', required: true },
]);

const CATEGORIES = ['books', 'games', 'garden', 'kitchen', 'music', 'tools', 'toys', 'électronique'];
const rows: Row[] = new Array(ROWS);
const t0 = 1_795_000_000_000_000n;
for (let i = 0; i < ROWS; i++) {
  rows[i] = {
    id: i,
    name: i % 97 === 0 ? null : `product ${i} ${CATEGORIES[i % 8]}`,
    price: i % 89 === 0 ? null : BigInt((i * 7919) % 10_000_000) - 5_000_000n,
    updated_at: t0 + BigInt(i) * 1_000_003n,
    category: CATEGORIES[i % 8]!,
    _cdc_source_ts_ms: 1_795_000_000_000n + BigInt(i),
    _cdc_lsn: (BigInt(i) << 32n) | 0x1234n,
  };
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rate = (ms: number): number => Math.round((ROWS / ms) * 1000);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const toArrow = time(() => rowsToArrowTable(schema, rows));
const table = toArrow.value;

function rawWrite(): Uint8Array {
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).build();
  return pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props);
}
function rawRead(bytes: Uint8Array): arrow.Table {
  return arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream());
}

// warm both paths once (wasm compilation, allocator growth), then alternate
const ourBytes = writeArrowDataFile(table, schema).bytes;
const rawBytes = rawWrite();
rawRead(rawBytes);
readArrowDataFile(ourBytes, schema.fields);

const w = { raw: [] as number[], ours: [] as number[] };
const r = { raw: [] as number[], ours: [] as number[] };
for (let k = 0; k < RUNS; k++) {
  gc();
  w.raw.push(time(rawWrite).ms);
  gc();
  w.ours.push(time(() => writeArrowDataFile(table, schema)).ms);
  gc();
  r.raw.push(time(() => rawRead(rawBytes)).ms);
  gc();
  r.ours.push(time(() => readArrowDataFile(ourBytes, schema.fields)).ms);
}
const readBack = readArrowDataFile(ourBytes, schema.fields);
const toRows = time(() => arrowTableToRows(readBack, schema.fields));
if (toRows.value.length !== ROWS || toRows.value[ROWS - 1]!._cdc_lsn !== rows[ROWS - 1]!._cdc_lsn) {
  throw new Error('read back rows differ from those written');
}

const result = {
  rows: ROWS,
  parquet_bytes: ourBytes.length,
  write_rows_per_s_raw: rate(median(w.raw)),
  write_rows_per_s_ours: rate(median(w.ours)),
  read_rows_per_s_raw: rate(median(r.raw)),
  read_rows_per_s_ours: rate(median(r.ours)),
  write_ratio_vs_raw: Number((median(w.raw) / median(w.ours)).toFixed(3)),
  read_ratio_vs_raw: Number((median(r.raw) / median(r.ours)).toFixed(3)),
  rows_to_arrow_rows_per_s: rate(toArrow.ms),
  arrow_to_rows_rows_per_s: rate(toRows.ms),
};
console.log(`rows: ${ROWS}, Parquet ZSTD ${(ourBytes.length / 1e6).toFixed(2)} MB, median of ${RUNS} runs`);
console.log(
  `write  raw ${result.write_rows_per_s_raw} rows/s, ours ${result.write_rows_per_s_ours} rows/s (ratio ${result.write_ratio_vs_raw})`,
);
console.log(
  `read   raw ${result.read_rows_per_s_raw} rows/s, ours ${result.read_rows_per_s_ours} rows/s (ratio ${result.read_ratio_vs_raw})`,
);
console.log(
  `rows → Arrow ${result.rows_to_arrow_rows_per_s} rows/s, Arrow → rows ${result.arrow_to_rows_rows_per_s} rows/s`,
);
console.log(JSON.stringify(result));
