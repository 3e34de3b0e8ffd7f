// Full scans of tables by DuckDB's iceberg extension (which applies position deletes), timed inside one
// Python process so its start and the extension's loading are not counted. The query reads every column
// (a hash of all of them per row), so no column is skipped by projection. The tables are scanned in turn,
// round after round, so a slow moment of a shared machine falls on all of them alike.

import { DUCKDB_CONNECT, runPython } from '../support/python.js';

export interface ScanFigures {
  /** Median of the timed scans. */
  seconds: number;
  runs: number[];
  rows: number;
  /** Sum of every row's hash: equal tables give equal sums. */
  checksum: string;
}

const SCRIPT = `${DUCKDB_CONNECT}
import json, sys, time
metadatas, columns, repeat = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
con = duckdb_connect()
query = "SELECT count(*), sum(hash(%s))::VARCHAR FROM iceberg_scan(?)" % ", ".join('"%s"' % c for c in columns)
# once untimed: the files' pages come from disk, the extension's first use
first = [con.execute(query, [m]).fetchone() for m in metadatas]
runs = [[] for _ in metadatas]
for _ in range(repeat):
    for i, m in enumerate(metadatas):
        start = time.perf_counter()
        again = con.execute(query, [m]).fetchone()
        runs[i].append(round(time.perf_counter() - start, 4))
        if again != first[i]:
            raise SystemExit("scans of %s disagree: %r then %r" % (m, first[i], again))
print(json.dumps([{"runs": r, "rows": f[0], "checksum": f[1]} for r, f in zip(runs, first)]))
`;

/** Scans each table (by its metadata file) `repeat` times, in turn; the figures in the same order. */
export async function duckdbFullScans(
  metadataLocations: readonly string[],
  columns: readonly string[],
  repeat: number,
): Promise<ScanFigures[]> {
  const results = await runPython<{ runs: number[]; rows: number; checksum: string }[]>(SCRIPT, [
    JSON.stringify(metadataLocations),
    JSON.stringify(columns),
    String(repeat),
  ]);
  return results.map((result) => {
    const sorted = [...result.runs].sort((a, b) => a - b);
    return { seconds: sorted[sorted.length >> 1]!, ...result };
  });
}
