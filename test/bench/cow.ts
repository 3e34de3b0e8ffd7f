// Copy-on-write benchmark: `npm run bench -- cow [--rows 2000000] [--changes 20000] [--rows-per-file 250000]
// [--per-event 500] [--per-event-seconds 60] [--repeat 3] [--large] [--skip-pyiceberg]`. Needs DSI_PYTHON,
// the readers' venv, which `npm run bench` installs and sets when no stack is loaded. `--large` is 10M rows /
// 100k changes.
//
// Builds a products table (sorted by id, files of --rows-per-file rows) twice in one SQLite catalog (one
// for us, one for PyIceberg), then applies the same changes (70% update, 20% insert, 10% delete) with
// uniform keys, then with recent hot keys (each case --repeat times on new changes, the median reported;
// 1 with --large), and reports for both: our commit time; PyIceberg `upsert` +
// `delete` for the deletes; bytes we rewrote against the bytes of the files that hold a changed key; our
// time against bare parquet-wasm read+write of those files (the limit, below). Then the per-event method (one delete +
// append commit per event, PyIceberg, on up to --per-event events or --per-event-seconds, per event,
// with the count timed) and the latency of a 1-change commit. The last line is one JSON object with
// every figure.
//
// The limit (`parquet_limit_seconds`, `ratio_vs_parquet_limit` = limit / ours): for every file that holds
// a changed key (found from the files' key bounds, before our commit), the time to get its bytes from the
// object store, read them with parquet-wasm and write the same table back, with the reader options and
// the writer settings of our data files (dataFileReadOptions, dataFileWriterProperties: the same batch
// size, ZSTD, the same key-value metadata). All of it stays inside parquet-wasm: no hand-over to Arrow JS,
// no merge, no metrics, no manifests. It is timed right after our commit, on the same bytes we read.
// Ours (`seconds`) is the whole commitTable call: lease, change-set download and decoding, merge, the
// rewritten and inserted files and the tombstone sidecar written, manifests, the catalog commit and the
// marking of the change-set. A ratio of 1 would mean the commit costs nothing beyond copying the files.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as pw from 'parquet-wasm';
import { LocalObjectStore } from '../../shared/adapters/embedded/local-object-store.js';
import { SqliteCatalog } from '../../shared/adapters/embedded/sqlite-catalog.js';
import { SqliteStateStore } from '../../shared/adapters/embedded/sqlite-state-store.js';
import type { ChangeEvent } from '../../shared/changes/change-event.js';
import { LSN_COLUMN, SOURCE_TS_COLUMN } from '../../shared/cow/order-columns.js';
import { dataFileReadOptions, dataFileWriterProperties } from '../../shared/iceberg/io/parquet-data-file.js';
import { readParquetFooter } from '../../shared/iceberg/io/parquet-footer.js';
import { fromSingleValueBytes } from '../../shared/iceberg/spec/single-value.js';
import { readLiveDataFiles } from '../../shared/iceberg/table-files.js';
import { writeDataFiles } from '../../shared/iceberg/data-file-writer.js';
import { writeSnapshot } from '../../shared/iceberg/snapshot-producer.js';
import type { TableUpdate } from '../../shared/iceberg/spec/metadata-types.js';
import { currentSnapshot } from '../../shared/iceberg/spec/snapshot.js';
import type { Schema } from '../../shared/iceberg/spec/types.js';
import type { Row } from '../../shared/iceberg/spec/values.js';
import { silentLogger } from '../../shared/log.js';
import { commitTable, type CommitDependencies } from '../../shared/pipeline/commit-table.js';
import { PRIMARY_KEY_PROPERTY } from '../../shared/iceberg/table-properties.js';
import { runPython } from '../support/python.js';
import { seeded } from '../support/random.js';
import { change, stageChangeset } from '../unit/cow/support/stage.js';

const args = process.argv.slice(2);
const num = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const large = args.includes('--large');
const ROWS = num('rows', large ? 10_000_000 : 2_000_000);
const CHANGES = num('changes', large ? 100_000 : 20_000);
const ROWS_PER_FILE = num('rows-per-file', 250_000);
const PER_EVENT = num('per-event', 500);
// the per-event method stops after this many seconds if the events are not all done (its cost per event
// grows with the table's metadata, so the figure from fewer events is a lower bound of the 500-event one)
const PER_EVENT_SECONDS = num('per-event-seconds', 60);
const skipPy = args.includes('--skip-pyiceberg');
// Each case (uniform, hot keys) is run this many times, each time on new changes of the same kind, and
// its median reported: single runs of the same build on a shared machine spread widely
// (shared/cow/README.md, Measured).
const REPEAT = Math.max(1, num('repeat', large ? 1 : 3));

const T = { schema: 'bench', name: 'products' };
const DATA_FIELDS: Schema['fields'] = [
  { id: 1, name: 'id', required: true, type: 'long' },
  { id: 2, name: 'name', required: false, type: 'string' },
  { id: 3, name: 'price', required: false, type: 'decimal(10, 2)' },
  { id: 4, name: 'qty', required: false, type: 'int' },
  { id: 5, name: 'updated_at', required: false, type: 'timestamp' },
];
const CHANGE_SCHEMA: Schema = { type: 'struct', 'schema-id': 0, fields: DATA_FIELDS };
const TABLE_SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  'identifier-field-ids': [1],
  fields: [
    ...DATA_FIELDS,
    { id: 6, name: SOURCE_TS_COLUMN, required: true, type: 'long' },
    { id: 7, name: LSN_COLUMN, required: true, type: 'long' },
  ],
};

const random = seeded(42);

function product(id: number, version: number): Row {
  return {
    id: BigInt(id),
    name: `Product ${id} v${version}`,
    price: BigInt(100 + ((id * 7919 + version) % 100_000)),
    qty: (id + version) % 1000,
    updated_at: 1_764_000_000_000_000n + BigInt(id) * 1000n + BigInt(version),
  };
}

const seconds = (ms: number): number => Number((ms / 1000).toFixed(3));

/**
 * A full collection before each timed commit (`npm run bench` runs node with --expose-gc), so no commit
 * pays for the garbage of what ran before it: building the tables, the uniform commit's decoded files.
 * (The hot-key commit still spends about a quarter of its time collecting its own garbage.)
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dsi-bench-cow-'));
  const db = new Database(join(dir, 'catalog.db'));
  const objects = new LocalObjectStore();
  const warehouse = join(dir, 'warehouse');
  const catalog = new SqliteCatalog({ database: db, warehouse, objectStore: objects });
  const state = new SqliteStateStore(db);
  const deps: CommitDependencies = {
    catalog,
    objects,
    state,
    log: silentLogger,
    options: {},
  };
  const workRoot = join(dir, 'work');
  await catalog.createNamespace(['bench']);

  // build the two tables: the same rows, sorted by id, files of ROWS_PER_FILE rows
  const build = async (name: string): Promise<void> => {
    const created = await catalog.createTable(['bench'], {
      name,
      schema: TABLE_SCHEMA,
      'write-order': {
        'order-id': 1,
        fields: [{ 'source-id': 1, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }],
      },
      properties: { [PRIMARY_KEY_PROPERTY]: 'id' },
    });
    const files = [];
    for (let start = 0; start < ROWS; start += ROWS_PER_FILE) {
      const rows: Row[] = [];
      for (let id = start; id < Math.min(ROWS, start + ROWS_PER_FILE); id++) {
        const row = product(id, 0);
        row[SOURCE_TS_COLUMN] = 1000n;
        row[LSN_COLUMN] = 1n;
        rows.push(row);
      }
      files.push(
        ...(await writeDataFiles(created.metadata, objects, rows, { maxRowsPerFile: ROWS_PER_FILE })),
      );
    }
    const snap = await writeSnapshot(created.metadata, objects, { added: files });
    await catalog.commitTable({ namespace: ['bench'], name }, snap.requirements, snap.updates);
  };
  let t = performance.now();
  await build('products');
  if (!skipPy) await build('products_py');
  console.log(`built ${ROWS} rows${skipPy ? '' : ' twice'} in ${seconds(performance.now() - t)} s`);
  const products = { namespace: ['bench'], name: 'products' };
  const built = (await catalog.loadTable(products)).metadata;
  // Before each repeated pair of runs (uniform, then hot keys) the table is set back to the built snapshot
  // and properties (the tombstone sidecar among them), so every pair starts from the same table.
  const rollBack = async (): Promise<void> => {
    const { metadata } = await catalog.loadTable(products);
    const before = built.properties ?? {};
    const now = metadata.properties ?? {};
    const removals = Object.keys(now).filter((k) => !(k in before));
    const updates: TableUpdate[] = [
      {
        action: 'set-snapshot-ref',
        'ref-name': 'main',
        type: 'branch',
        'snapshot-id': currentSnapshot(built)!['snapshot-id'],
      },
      { action: 'set-properties', updates: before },
    ];
    if (removals.length > 0) updates.push({ action: 'remove-properties', removals });
    await catalog.commitTable(
      products,
      [{ type: 'assert-table-uuid', uuid: metadata['table-uuid'] }],
      updates,
    );
  };

  // the uniform change set: distinct keys, 70% update, 20% insert, 10% delete
  const makeChanges = (n: number, hot: boolean, ts: number, nextId: { v: number }): ChangeEvent[] => {
    const events: ChangeEvent[] = [];
    const used = new Set<number>();
    // 80% of the changes pick distinct stored keys; hot ones come from the newest 1% of the rows
    if (hot && n * 0.85 > ROWS / 100) {
      throw new Error(`--changes ${n} needs more distinct hot keys than the newest 1% of --rows ${ROWS}`);
    }
    const pickExisting = (): number => {
      for (;;) {
        const id = hot
          ? Math.floor(ROWS - 1 - random() * Math.max(1, ROWS / 100))
          : Math.floor(random() * ROWS);
        if (!used.has(id)) {
          used.add(id);
          return id;
        }
      }
    };
    for (let i = 0; i < n; i++) {
      const r = random();
      const order = ts + i;
      if (r < 0.7) events.push(change(T, ['id'], 'upsert', product(pickExisting(), 1), order));
      else if (r < 0.9) events.push(change(T, ['id'], 'upsert', product(nextId.v++, 1), order));
      else events.push(change(T, ['id'], 'delete', { id: BigInt(pickExisting()) }, order));
    }
    return events;
  };
  const nextId = { v: ROWS };

  // which files hold a changed key, from their id bounds (files are sorted, disjoint ranges)
  const holdingBytes = async (events: ChangeEvent[]) => {
    const { metadata } = await catalog.loadTable({ namespace: ['bench'], name: 'products' });
    const live = await readLiveDataFiles(metadata, objects);
    const ids = events.map((e) => e.key[0] as bigint);
    const holding = live.filter((f) => {
      const lo = fromSingleValueBytes('long', f.dataFile.lowerBounds.get(1)!) as bigint;
      const hi = fromSingleValueBytes('long', f.dataFile.upperBounds.get(1)!) as bigint;
      return ids.some((id) => id >= lo && id <= hi);
    });
    return { files: holding, bytes: holding.reduce((a, f) => a + f.dataFile.fileSizeInBytes, 0) };
  };
  const parquetLimit = async (paths: string[]): Promise<number> => {
    const start = performance.now();
    for (const path of paths) {
      const bytes = await objects.get(path);
      const table = pw.readParquet(bytes, dataFileReadOptions(readParquetFooter(bytes)));
      pw.writeParquet(table, dataFileWriterProperties(TABLE_SCHEMA));
    }
    return performance.now() - start;
  };

  // the same changes for PyIceberg, as JSON (ids and decimals as strings, exact)
  const asJson = (events: ChangeEvent[]) => ({
    upserts: events
      .filter((e) => e.op === 'upsert')
      .map((e) => ({
        id: String(e.row.id),
        name: e.row.name,
        price: String(e.row.price),
        qty: e.row.qty,
        updated_at: String(e.row.updated_at),
        ts: e.order.sourceTsMs,
        lsn: String(e.order.lsn),
      })),
    deletes: events.filter((e) => e.op === 'delete').map((e) => String(e.key[0])),
  });
  // The events are made here and dropped once staged: a commit function holds no such array, and
  // 20,000 live event objects of the bench's own made every collection during the commit longer.
  // The first run of each case also returns its changes as PyIceberg's input (the others are not used).
  const runOurs = async (makeEvents: () => ChangeEvent[], label: string, forPyIceberg: boolean) => {
    const events = makeEvents();
    const holding = await holdingBytes(events);
    const pyInput = forPyIceberg && !skipPy ? JSON.stringify(asJson(events)) : '';
    await stageChangeset({ objects, state, workRoot }, T, CHANGE_SCHEMA, ['id'], events);
    events.length = 0;
    collectGarbage();
    const start = performance.now();
    const result = await commitTable(deps, 'bench.products');
    const ms = performance.now() - start;
    if (result.status !== 'committed') throw new Error(`${label}: ${JSON.stringify(result)}`);
    const limitMs = await parquetLimit(holding.files.map((f) => f.dataFile.filePath));
    const figures = {
      seconds: seconds(ms),
      rewritten_files: result.counts.rewrittenFiles,
      rewritten_bytes: result.counts.rewrittenBytes,
      holding_files: holding.files.length,
      holding_bytes: holding.bytes,
      rewrite_bytes_ratio: Number((result.counts.rewrittenBytes / Math.max(1, holding.bytes)).toFixed(3)),
      parquet_limit_seconds: seconds(limitMs),
      ratio_vs_parquet_limit: Number((limitMs / ms).toFixed(3)),
      counts: result.counts,
    };
    console.log(`${label}: ${JSON.stringify(figures)}`);
    return { figures, pyInput };
  };

  // Interleaved, uniform then hot keys: the first pair is what PyIceberg applies to its copy below.
  const uniformRuns: Awaited<ReturnType<typeof runOurs>>[] = [];
  const hotRuns: Awaited<ReturnType<typeof runOurs>>[] = [];
  for (let r = 0; r < REPEAT; r++) {
    const of = REPEAT > 1 ? ` (run ${r + 1} of ${REPEAT})` : '';
    if (r > 0) await rollBack();
    const base = 10_000 + r * 3_000_000;
    uniformRuns.push(
      await runOurs(
        () => makeChanges(CHANGES, false, base, nextId),
        `ours, ${CHANGES} uniform changes${of}`,
        r === 0,
      ),
    );
    hotRuns.push(
      await runOurs(
        () => makeChanges(CHANGES, true, base + 1_000_000, nextId),
        `ours, ${CHANGES} hot-key changes${of}`,
        r === 0,
      ),
    );
  }
  const ours = medianFigures(uniformRuns.map((run) => run.figures));
  const hot = medianFigures(hotRuns.map((run) => run.figures));
  const [uniformRun, hotRun] = [uniformRuns[0]!, hotRuns[0]!];
  // an update of a stored key in the middle of the table (an insert would only append a file)
  const oneId = Math.floor(ROWS / 2) + 1;
  const one = [change(T, ['id'], 'upsert', product(oneId, 2), REPEAT * 3_000_000)];
  await stageChangeset({ objects, state, workRoot }, T, CHANGE_SCHEMA, ['id'], one);
  collectGarbage();
  t = performance.now();
  const oneResult = await commitTable(deps, 'bench.products');
  const oneMs = performance.now() - t;
  const oneRewritten = oneResult.status === 'committed' ? oneResult.counts.rewrittenFiles : 0;
  console.log(`ours, 1-change commit: ${seconds(oneMs)} s (${oneRewritten} file rewritten)`);

  let py: PyFigures | undefined;
  if (!skipPy) {
    const input = join(dir, 'changes.json');
    writeFileSync(
      input,
      `{"uniform":${uniformRun.pyInput},"hot":${hotRun.pyInput},"perEvent":${PER_EVENT},"perEventSeconds":${PER_EVENT_SECONDS}}`,
    );
    py = await runPython(PY_BENCH, [join(dir, 'catalog.db'), warehouse, input]);
    console.log(`PyIceberg: ${JSON.stringify(py)}`);
  }
  db.close();
  rmSync(dir, { recursive: true, force: true });

  const pyTotal = py ? py.upsert_seconds + py.delete_seconds : undefined;
  const pyHotTotal = py ? py.hot_upsert_seconds + py.hot_delete_seconds : undefined;
  const perEventOurs = ours.seconds / CHANGES;
  console.log(
    JSON.stringify({
      rows: ROWS,
      changes: CHANGES,
      rows_per_file: ROWS_PER_FILE,
      ours_seconds: ours.seconds,
      ours_hot_seconds: hot.seconds,
      one_change_commit_seconds: seconds(oneMs),
      one_change_commit_rewritten_files: oneRewritten,
      pyiceberg_upsert_seconds: py?.upsert_seconds ?? null,
      pyiceberg_delete_seconds: py?.delete_seconds ?? null,
      pyiceberg_hot_upsert_seconds: py?.hot_upsert_seconds ?? null,
      pyiceberg_hot_delete_seconds: py?.hot_delete_seconds ?? null,
      per_event_method_seconds_per_event: py?.per_event_seconds ?? null,
      per_event_method_events_timed: py?.per_event_events ?? null,
      speedup_vs_pyiceberg: pyTotal !== undefined ? Number((pyTotal / ours.seconds).toFixed(2)) : null,
      speedup_vs_pyiceberg_hot:
        pyHotTotal !== undefined ? Number((pyHotTotal / hot.seconds).toFixed(2)) : null,
      speedup_vs_per_event: py ? Number((py.per_event_seconds / perEventOurs).toFixed(1)) : null,
      rewrite_bytes_ratio: ours.rewrite_bytes_ratio,
      rewritten_files: ours.rewritten_files,
      rewritten_files_hot: hot.rewritten_files,
      parquet_limit_seconds: ours.parquet_limit_seconds,
      parquet_limit_seconds_hot: hot.parquet_limit_seconds,
      rewrite_bytes_ratio_hot: hot.rewrite_bytes_ratio,
      ratio_vs_parquet_limit: ours.ratio_vs_parquet_limit,
      ratio_vs_parquet_limit_hot: hot.ratio_vs_parquet_limit,
      repeat: REPEAT,
      ours_seconds_runs: uniformRuns.map((run) => run.figures.seconds),
      ours_hot_seconds_runs: hotRuns.map((run) => run.figures.seconds),
      ratio_vs_parquet_limit_runs: uniformRuns.map((run) => run.figures.ratio_vs_parquet_limit),
      ratio_vs_parquet_limit_hot_runs: hotRuns.map((run) => run.figures.ratio_vs_parquet_limit),
    }),
  );
}

type RunFigures = {
  seconds: number;
  rewritten_files: number;
  rewrite_bytes_ratio: number;
  parquet_limit_seconds: number;
  ratio_vs_parquet_limit: number;
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : Number(((sorted[mid - 1]! + sorted[mid]!) / 2).toFixed(3));
}

/**
 * The figures of repeated runs of one case: the median time, limit and ratio (each the median of its
 * own runs), and the worst bytes ratio and the most files rewritten, so no run's extra rewrite is hidden.
 */
function medianFigures(runs: readonly RunFigures[]): RunFigures {
  return {
    seconds: median(runs.map((r) => r.seconds)),
    rewritten_files: Math.max(...runs.map((r) => r.rewritten_files)),
    rewrite_bytes_ratio: Math.max(...runs.map((r) => r.rewrite_bytes_ratio)),
    parquet_limit_seconds: median(runs.map((r) => r.parquet_limit_seconds)),
    ratio_vs_parquet_limit: median(runs.map((r) => r.ratio_vs_parquet_limit)),
  };
}

interface PyFigures {
  upsert_seconds: number;
  delete_seconds: number;
  hot_upsert_seconds: number;
  hot_delete_seconds: number;
  per_event_seconds: number;
  per_event_events: number;
}

const PY_BENCH = `
import json, sys, time, decimal
import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.expressions import In, EqualTo
c = SqlCatalog("default", uri="sqlite:///" + sys.argv[1], warehouse="file://" + sys.argv[2])
t = c.load_table("bench.products_py")
data = json.load(open(sys.argv[3]))
schema = t.schema().as_arrow()
def table_of(rows):
    return pa.Table.from_pylist([{
        "id": int(r["id"]), "name": r["name"], "price": decimal.Decimal(r["price"]).scaleb(-2),
        "qty": r["qty"], "updated_at": int(r["updated_at"]),
        "${SOURCE_TS_COLUMN}": r["ts"], "${LSN_COLUMN}": int(r["lsn"]),
    } for r in rows], schema=schema)
def apply(changes):
    up = table_of(changes["upserts"])
    start = time.perf_counter()
    t.upsert(up, join_cols=["id"])
    upsert_s = time.perf_counter() - start
    start = time.perf_counter()
    t.delete(In("id", [int(x) for x in changes["deletes"]]))
    return upsert_s, time.perf_counter() - start
upsert_s, delete_s = apply(data["uniform"])
hot_upsert_s, hot_delete_s = apply(data["hot"])
# the per-event method: one delete + append commit per event, up to perEvent events or perEventSeconds
events = data["uniform"]["upserts"][: data["perEvent"]]
start = time.perf_counter()
done = 0
for r in events:
    tx = t.transaction()
    tx.delete(EqualTo("id", int(r["id"])))
    tx.append(table_of([r]))
    tx.commit_transaction()
    done += 1
    if time.perf_counter() - start > data["perEventSeconds"]:
        break
per_event = (time.perf_counter() - start) / max(1, done)
print(json.dumps({"upsert_seconds": round(upsert_s, 3), "delete_seconds": round(delete_s, 3), "hot_upsert_seconds": round(hot_upsert_s, 3), "hot_delete_seconds": round(hot_delete_s, 3), "per_event_seconds": round(per_event, 4), "per_event_events": done}))
`;

await main();
