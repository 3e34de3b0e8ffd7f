// Every fixture scenario ingested and committed on the embedded defaults, in order.txt order and in the
// reverse order, read back by PyIceberg (SqlCatalog on our catalog.db) and compared with expected/ in the
// canonical forms of the fixtures README. PyIceberg is the witness: nothing here reads with our reader.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runPython } from '../../support/python.js';
import { loadScenario, scenarioNames } from '../../support/scenarios.js';
import { embeddedPipeline } from '../cow/support/embedded-pipeline.js';

// Reads each table with PyIceberg and canonicalises both sides (by the PostgreSQL column types) into
// sorted JSON strings, so the comparison is exact (Python ints and Decimals keep every digit).
const PY_COMPARE = `
import base64, datetime, decimal, json, re, sys
from pyiceberg.catalog.sql import SqlCatalog

def canon(value, pg):
    if value is None:
        return None
    base = re.sub(r"\\(.*\\)", "", pg).strip().lower()
    if base.endswith("[]"):
        return [None if v is None else v for v in value]
    if base in ("numeric", "decimal"):
        m = re.search(r"\\(\\s*\\d+\\s*,\\s*(\\d+)\\s*\\)", pg)
        scale = int(m.group(1)) if m else None
        d = decimal.Decimal(str(value))
        return format(d, "f") if scale is None else format(d.quantize(decimal.Decimal(1).scaleb(-scale)), "f")
    if base in ("json", "jsonb"):
        return json.loads(value) if isinstance(value, str) else value
    if base == "bytea":
        return base64.b64encode(value).decode() if isinstance(value, (bytes, bytearray)) else value
    if base == "date" and isinstance(value, datetime.date):
        return value.isoformat()
    if base in ("time", "time without time zone") and isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S.%f")
    if base in ("timestamp", "timestamp without time zone") and isinstance(value, datetime.datetime):
        return "%04d-%s" % (value.year, value.strftime("%m-%dT%H:%M:%S.%f"))
    if base in ("timestamptz", "timestamp with time zone") and isinstance(value, datetime.datetime):
        v = value.astimezone(datetime.timezone.utc)
        return "%04d-%sZ" % (v.year, v.strftime("%m-%dT%H:%M:%S.%f"))
    if base == "uuid":
        return str(value)
    return value

out = {}
for job in json.loads(sys.argv[1]):
    catalog = SqlCatalog("default", uri="sqlite:///" + job["catalogDb"], warehouse="file://" + job["warehouse"])
    pg = dict(job["columns"])
    names = [c for c, _ in job["columns"]]
    table = catalog.load_table(job["table"])
    rows = table.scan().to_arrow().to_pylist()
    actual = sorted(json.dumps({c: canon(r.get(c), pg[c]) for c in names}, sort_keys=True) for r in rows)
    expected = []
    with open(job["expected"]) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                expected.append(json.dumps({c: canon(r.get(c), pg[c]) if pg[c].lower().startswith(("json", "numeric")) else r.get(c) for c in names}, sort_keys=True))
    out[job["id"]] = {"actual": actual, "expected": sorted(expected)}
print(json.dumps(out))
`;

interface Job {
  id: string;
  catalogDb: string;
  warehouse: string;
  table: string;
  columns: Array<[string, string]>;
  expected: string;
}

const scenarios = scenarioNames().filter((name) => existsSync(join(loadScenario(name).root, 'expected')));

test('scenarios committed in order and reversed read back through PyIceberg equal to expected/', async (t) => {
  assert.ok(scenarios.length >= 7, `found scenarios ${scenarios.join(', ')}`);
  const jobs: Job[] = [];
  const dirs: string[] = [];
  for (const name of scenarios) {
    const scenario = loadScenario(name);
    for (const direction of ['forward', 'reversed'] as const) {
      const order = direction === 'forward' ? scenario.order : [...scenario.order].reverse();
      const pipeline = embeddedPipeline(scenario.tables, scenario.bucketRoot);
      for (const file of order) await pipeline.deliver(file);
      await pipeline.queue.drain();
      pipeline.close();
      dirs.push(pipeline.dir);
      const failed = pipeline.results.filter((r) => r.status !== 'committed' && r.status !== 'nothing-to-do');
      assert.deepEqual(failed, [], `${name} ${direction}`);
      for (const file of readdirSync(join(scenario.root, 'expected'))) {
        const table = file.replace(/\.jsonl$/, '');
        const definition = scenario.tables[table];
        assert.ok(definition, `${name}: ${table} is declared`);
        jobs.push({
          id: `${name} ${direction} ${table}`,
          catalogDb: pipeline.catalogDb,
          warehouse: pipeline.warehouse,
          table,
          columns: definition.columns,
          expected: join(scenario.root, 'expected', file),
        });
      }
    }
  }
  const seen = await runPython<Record<string, { actual: string[]; expected: string[] }>>(PY_COMPARE, [
    JSON.stringify(jobs),
  ]);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  for (const job of jobs) {
    await t.test(job.id, () => {
      const result = seen[job.id];
      assert.ok(result, job.id);
      assert.ok(result.expected.length > 0, `${job.id}: expected rows`);
      assert.deepEqual(result.actual, result.expected);
    });
  }
});
