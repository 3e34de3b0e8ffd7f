// Every fixture scenario ingested and committed on the embedded defaults, in order.txt order and in the
// reverse order, read back by PyIceberg (SqlCatalog on our catalog.db) and compared with expected/ in the
// canonical forms of the fixtures README. PyIceberg is the witness: nothing here reads with our reader.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compareTablesWithPyIceberg, type CompareJob } from '../../support/pyiceberg-compare.js';
import { loadScenario, scenarioNames } from '../../support/scenarios.js';
import { embeddedPipeline } from './support/embedded-pipeline.js';

const scenarios = scenarioNames().filter((name) => existsSync(join(loadScenario(name).root, 'expected')));

test('scenarios committed in order and reversed read back through PyIceberg equal to expected/', async (t) => {
  assert.ok(scenarios.length >= 7, `found scenarios ${scenarios.join(', ')}`);
  const jobs: CompareJob[] = [];
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
          catalog: {
            type: 'sql',
            uri: `sqlite:///${pipeline.catalogDb}`,
            warehouse: `file://${pipeline.warehouse}`,
          },
          table,
          columns: definition.columns,
          expected: join(scenario.root, 'expected', file),
        });
      }
    }
  }
  const seen = await compareTablesWithPyIceberg(jobs);
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
