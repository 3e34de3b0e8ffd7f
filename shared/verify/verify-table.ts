// `verify`: an Iceberg table against its PostgreSQL source table. Counts first, then the differing keys
// found by range fingerprints (bisection.ts) — or, for a table whose columns cannot all be hashed the
// same way in SQL, by streaming the source's row hashes — then the differing keys checked again after
// the lag window (a change still in flight is no difference) and reported with both rows in the
// canonical row form `show` prints. A table without a primary key is compared as a multiset of rows.

import { canonicalRowText } from '../datastream/canonical-form.js';
import { parseJsonLossless, type JsonValue } from '../datastream/lossless-json.js';
import type { IcebergValue, Row } from '../iceberg/spec/values.js';
import type { Catalog } from '../ports/catalog.js';
import type { ObjectStore } from '../ports/object-store.js';
import { openTableScan, type ColumnPlan, type TableScan } from '../pipeline/table-scan.js';
import type pg from 'pg';
import { compareKey } from '../cow/keys.js';
import { bisect, type Key, type TableEntries } from './bisection.js';
import { columnForm, type ColumnForm } from './column-forms.js';
import { PostgresTable, sourceColumns, type SourceRow } from './postgres-source.js';
import { rowHash } from './row-hash.js';

/** The longest wait before the recheck when it is taken from the observed lag. */
export const MAX_DEFAULT_RECHECK_MS = 300_000;
const FANOUT = 16;
const LEAF_ROWS = 1000;

export type Mode = 'range-hash' | 'row-stream' | 'row-multiset';

export interface Difference {
  /** missing: in the source, not in the table; extra: in the table, not in the source; changed; duplicate: the key twice in the table. */
  kind: 'missing' | 'extra' | 'changed' | 'duplicate';
  /** The key columns in the canonical row form (null for a table without key). */
  key: string | null;
  /** The source's row, canonical, or null. */
  source: string | null;
  /** The table's row, canonical, or null. */
  table: string | null;
  /** Rows of this difference: a table without key may miss (or hold extra) several identical rows. */
  count: number;
}

export interface VerifyReport {
  table: string;
  mode: Mode;
  keyColumns: string[];
  /** Columns compared as PostgreSQL's text, without an exact server-side form (they force row-stream). */
  textColumns: string[];
  /** Source columns the table does not have (not compared). */
  uncomparedColumns: string[];
  counts: { source: number; table: number };
  differences: Difference[];
  /** Keys (or rows) that differed at first and agreed when checked again after the wait. */
  settled: number;
  lagMs: number | null;
  recheckAfterMs: number;
  ranges: { hashed: number; fetched: number; rowsFetched: number };
  timing: { tableReadMs: number; sourceMs: number; waitMs: number; totalMs: number };
}

export interface VerifyOptions {
  catalog: Catalog;
  objects: ObjectStore;
  table: { namespace: string; name: string };
  source: pg.Client;
  /** Wait before the recheck; default the table's observed lag, at most MAX_DEFAULT_RECHECK_MS. */
  recheckAfterMs?: number;
  fanout?: number;
  leafRows?: number;
  progress?: { file(done: number, total: number): void; note(label: string): void };
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The table or the source lacks what a comparison needs (exit 1 with the message). */
export class VerifyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifyError';
  }
}

function keyText(form: ColumnForm, value: IcebergValue): string {
  return value === null ? 'null' : form.text(value);
}

function keyTextsOf(forms: readonly ColumnForm[], row: Readonly<Row>): string[] {
  return forms.map((f) => keyText(f, row[f.name] ?? null));
}

/** A source payload (Datastream JSON) as the table's row, through the pipeline's own coercion. */
export function payloadRow(columns: readonly ColumnPlan[], payload: string): Row {
  const json = parseJsonLossless(payload) as Record<string, JsonValue>;
  const row: Row = {};
  for (const c of columns) {
    const value = json[c.name];
    row[c.name] = value === null || value === undefined ? null : c.coerce(value);
  }
  return row;
}

export async function verifyTable(options: VerifyOptions): Promise<VerifyReport> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = now();
  const { namespace, name } = options.table;
  const tableName = `${namespace}.${name}`;
  const timing = { tableReadMs: 0, sourceMs: 0, waitMs: 0, totalMs: 0 };
  const onSource = async <T>(work: Promise<T>): Promise<T> => {
    const at = now();
    try {
      return await work;
    } finally {
      timing.sourceMs += now() - at;
    }
  };

  const scan = await openTableScan(options.catalog, options.objects, options.table);
  const types = await onSource(sourceColumns(options.source, namespace, name));
  if (types.size === 0) throw new VerifyError(`the source has no table ${tableName}`);
  const absent = scan.columns.filter((c) => !types.has(c.name)).map((c) => c.name);
  if (absent.length > 0)
    throw new VerifyError(`${tableName}: the source table has no column ${absent.join(', ')}`);
  const forms = scan.columns.map((c) => columnForm(c, types.get(c.name)!));
  const formOf = new Map(forms.map((f) => [f.name, f]));
  const keyForms = scan.keyColumns.map((c) => formOf.get(c.name)!);
  const textColumns = forms.filter((f) => !f.exact).map((f) => f.name);
  const keyed = keyForms.length > 0;
  const mode: Mode = !keyed
    ? 'row-multiset'
    : textColumns.length === 0 && keyForms.every((f) => f.keyParam)
      ? 'range-hash'
      : 'row-stream';
  const source = new PostgresTable(options.source, namespace, name, forms, keyForms);

  // The table side: per row its key, hash and file, sorted by key (ids only when asked for).
  const readAt = now();
  const side = await readTableSide(scan, forms, keyed, options.progress);
  timing.tableReadMs = now() - readAt;
  const idOf = (i: number) => PostgresTable.keyId(keyForms.map((f, k) => keyText(f, side.keys[i]![k]!)));

  options.progress?.note('hashing in PostgreSQL');
  const total = await onSource(source.total());
  const counts = { source: total.count, table: side.hashes.length };
  const ranges = { hashed: 1, fetched: 0, rowsFetched: 0 };
  let differing: string[] = [];
  /** Indexes of the table's entries that hold a differing row. */
  let differingEntries: number[] = [];
  const tableSum = side.hashes.reduce((sum, h) => sum + h, 0n);
  if (total.count !== side.hashes.length || total.sum !== tableSum) {
    if (mode === 'range-hash') {
      const entries: TableEntries = { keys: side.keys, hashes: side.hashes, idOf };
      const found = await onSource(
        bisect(entries, source, {
          fanout: options.fanout ?? FANOUT,
          leafRows: options.leafRows ?? LEAF_ROWS,
          total,
          onRound: (round, count) => options.progress?.note(`round ${round}: ${count} ranges`),
        }),
      );
      differing = found.differing;
      differingEntries = found.differingEntries;
      Object.assign(ranges, {
        hashed: found.rangesHashed,
        fetched: found.rangesFetched,
        rowsFetched: found.rowsFetched,
      });
    } else {
      options.progress?.note('streaming the source');
      const ids = keyed ? Array.from({ length: side.hashes.length }, (_, i) => idOf(i)) : [];
      differing = await onSource(streamedDifferences(source, side.hashes, ids, keyed));
      const wanted = new Set(differing);
      side.hashes.forEach((h, i) => {
        if (wanted.has(keyed ? ids[i]! : String(h))) differingEntries.push(i);
      });
      ranges.fetched = 1;
      ranges.rowsFetched = total.count;
    }
  }

  const lagMs = scan.newestSourceMs === null ? null : Math.max(0, now() - scan.newestSourceMs);
  const recheckAfterMs = options.recheckAfterMs ?? Math.min(lagMs ?? 0, MAX_DEFAULT_RECHECK_MS);
  let differences: Difference[] = [];
  if (differing.length > 0) {
    if (recheckAfterMs > 0) {
      options.progress?.note(
        `${differing.length} differ: checking again in ${Math.round(recheckAfterMs / 1000)} s`,
      );
      const waitAt = now();
      await sleep(recheckAfterMs);
      timing.waitMs = now() - waitAt;
    }
    const filesOf = new Set(differingEntries.map((i) => scan.files[side.files[i]!]!));
    const again = await openTableScan(options.catalog, options.objects, options.table);
    // the same snapshot: only the files that held a differing row need reading again
    const onlyFiles = again.snapshotId === scan.snapshotId ? filesOf : undefined;
    differences = keyed
      ? await keyedDifferences(again, forms, keyForms, new Set(differing), onlyFiles, (ids) =>
          onSource(source.rowsByKeys(ids)),
        )
      : await multisetDifferences(again, forms, new Set(differing.map(BigInt)), onlyFiles, (hashes) =>
          onSource(source.rowsByHashes(hashes)),
        );
  }
  // one difference per differing key (or row hash) still differing after the wait
  const settled = differing.length - differences.length;
  timing.totalMs = now() - started;
  return {
    table: tableName,
    mode,
    keyColumns: keyForms.map((f) => f.name),
    textColumns,
    uncomparedColumns: [...types.keys()].filter((c) => !formOf.has(c)),
    counts,
    differences,
    settled: Math.max(0, settled),
    lagMs,
    recheckAfterMs: differing.length > 0 ? recheckAfterMs : 0,
    ranges,
    timing,
  };
}

/** The whole source streamed (key order): ids whose rows differ, or row hashes whose counts differ. */
async function streamedDifferences(
  source: PostgresTable,
  hashes: BigInt64Array,
  ids: readonly string[],
  keyed: boolean,
): Promise<string[]> {
  if (!keyed) {
    const ours = new Map<bigint, number>();
    for (const h of hashes) ours.set(h, (ours.get(h) ?? 0) + 1);
    const theirs = await source.hashCounts();
    const out: string[] = [];
    for (const hash of new Set([...ours.keys(), ...theirs.keys()]))
      if ((ours.get(hash) ?? 0) !== (theirs.get(hash) ?? 0)) out.push(String(hash));
    return out;
  }
  const ours = new Map<string, bigint[]>();
  ids.forEach((id, i) => ours.set(id, [...(ours.get(id) ?? []), hashes[i]!]));
  const out = new Set<string>();
  await source.streamRows((id, hash) => {
    const mine = ours.get(id);
    if (!mine || mine.length !== 1 || mine[0] !== hash) out.add(id);
    ours.delete(id);
  });
  for (const id of ours.keys()) out.add(id);
  return [...out];
}

interface TableSide {
  /** Per row (sorted by key for a keyed table): its key, its row hash, the index of its file. */
  keys: Key[];
  hashes: BigInt64Array;
  files: Int32Array;
}

/**
 * Every row's key, hash and file. Hashes and files go to typed arrays: a million rows leave a million
 * keys on the heap, not three million objects for the collector to trace.
 */
async function readTableSide(
  scan: TableScan,
  forms: readonly ColumnForm[],
  keyed: boolean,
  progress: VerifyOptions['progress'],
): Promise<TableSide> {
  const keys: Key[] = [];
  let hashes = new BigInt64Array(1 << 16);
  let files = new Int32Array(1 << 16);
  let n = 0;
  const keyNames = scan.keyColumns.map((c) => c.name);
  for (let i = 0; i < scan.files.length; i++) {
    for (const row of await scan.readFile(i)) {
      if (n === hashes.length) {
        const moreHashes = new BigInt64Array(n * 2);
        moreHashes.set(hashes);
        hashes = moreHashes;
        const moreFiles = new Int32Array(n * 2);
        moreFiles.set(files);
        files = moreFiles;
      }
      if (keyed) keys.push(keyNames.map((name) => row[name] ?? null));
      hashes[n] = rowHash(forms, row);
      files[n] = i;
      n += 1;
    }
    progress?.file(i + 1, scan.files.length);
  }
  if (!keyed) return { keys, hashes: hashes.slice(0, n), files: files.slice(0, n) };
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => compareKey(keys[a]!, keys[b]!));
  const sorted: TableSide = {
    keys: new Array<Key>(n),
    hashes: new BigInt64Array(n),
    files: new Int32Array(n),
  };
  order.forEach((from, to) => {
    sorted.keys[to] = keys[from]!;
    sorted.hashes[to] = hashes[from]!;
    sorted.files[to] = files[from]!;
  });
  return sorted;
}

/** Rows of the listed files (all files without a list) with their hash: those `keep` selects by row, or by hash. */
async function tableRows(
  scan: TableScan,
  forms: readonly ColumnForm[],
  onlyFiles: ReadonlySet<string> | undefined,
  keep: { row: (row: Row) => boolean } | { hash: ReadonlySet<bigint> },
): Promise<Array<{ row: Row; hash: bigint }>> {
  const out: Array<{ row: Row; hash: bigint }> = [];
  for (let i = 0; i < scan.files.length; i++) {
    if (onlyFiles && !onlyFiles.has(scan.files[i]!)) continue;
    for (const row of await scan.readFile(i)) {
      // a keyed row is selected by its key before it is hashed: most rows are not wanted
      if ('row' in keep && !keep.row(row)) continue;
      const hash = rowHash(forms, row);
      if ('hash' in keep && !keep.hash.has(hash)) continue;
      out.push({ row, hash });
    }
  }
  return out;
}

async function keyedDifferences(
  scan: TableScan,
  forms: readonly ColumnForm[],
  keyForms: readonly ColumnForm[],
  ids: ReadonlySet<string>,
  onlyFiles: ReadonlySet<string> | undefined,
  fetch: (ids: string[]) => Promise<SourceRow[]>,
): Promise<Difference[]> {
  const ours = new Map<string, Array<{ row: Row; hash: bigint }>>();
  for (const entry of await tableRows(scan, forms, onlyFiles, {
    row: (row) => ids.has(PostgresTable.keyId(keyTextsOf(keyForms, row))),
  })) {
    const id = PostgresTable.keyId(keyTextsOf(keyForms, entry.row));
    ours.set(id, [...(ours.get(id) ?? []), entry]);
  }
  const theirs = new Map((await fetch([...ids])).map((r) => [r.id, r]));
  const keyColumns = scan.columns.filter((c) => keyForms.some((f) => f.name === c.name));
  const differences: Array<Difference & { sortKey: Key }> = [];
  for (const id of ids) {
    const mine = ours.get(id) ?? [];
    const their = theirs.get(id);
    if (mine.length === 1 && their && mine[0]!.hash === their.hash) continue;
    const source = their ? payloadRow(scan.columns, their.payload) : null;
    const table = mine[0]?.row ?? null;
    const keyRow = (table ?? source)!;
    differences.push({
      kind: !their ? 'extra' : mine.length === 0 ? 'missing' : mine.length > 1 ? 'duplicate' : 'changed',
      key: canonicalRowText(keyColumns, keyRow),
      source: source ? canonicalRowText(scan.columns, source) : null,
      table: table ? canonicalRowText(scan.columns, table) : null,
      count: Math.max(1, mine.length),
      sortKey: keyColumns.map((c) => keyRow[c.name] ?? null),
    });
  }
  differences.sort((a, b) => compareKey(a.sortKey, b.sortKey));
  return differences.map(({ sortKey: _, ...d }) => d);
}

async function multisetDifferences(
  scan: TableScan,
  forms: readonly ColumnForm[],
  hashes: ReadonlySet<bigint>,
  onlyFiles: ReadonlySet<string> | undefined,
  fetch: (hashes: bigint[]) => Promise<Array<SourceRow & { count: number }>>,
): Promise<Difference[]> {
  const ours = new Map<bigint, { row: Row; count: number }>();
  for (const { row, hash } of await tableRows(scan, forms, onlyFiles, { hash: hashes })) {
    const seen = ours.get(hash);
    if (seen) seen.count += 1;
    else ours.set(hash, { row, count: 1 });
  }
  const theirs = new Map((await fetch([...hashes])).map((r) => [r.hash, r]));
  const differences: Difference[] = [];
  for (const hash of hashes) {
    const mine = ours.get(hash);
    const their = theirs.get(hash);
    const delta = (their?.count ?? 0) - (mine?.count ?? 0);
    if (delta === 0) continue;
    const text = their
      ? canonicalRowText(scan.columns, payloadRow(scan.columns, their.payload))
      : canonicalRowText(scan.columns, mine!.row);
    differences.push({
      kind: delta > 0 ? 'missing' : 'extra',
      key: null,
      source: delta > 0 ? text : null,
      table: delta < 0 ? text : null,
      count: Math.abs(delta),
    });
  }
  differences.sort((a, b) => ((a.source ?? a.table)! < (b.source ?? b.table)! ? -1 : 1));
  return differences;
}
