// The table-task runner of the embedded defaults: each queued change-set runs commitTable for its table
// (which drains every pending change-set of the table up to its budget), and a maintenance task runs
// maintainTable, as the commit function does on the cloud. Shared by the CLI and `npm start`.
// Other processes may work on the same warehouse: a table whose lease another one holds is waited for,
// not failed, and a failure is recorded in the state store for `status` until a commit succeeds.

import { maintainTable } from '../shared/maintenance/maintain-table.js';
import { maintenanceOptionsFromJson } from '../shared/maintenance/options.js';
import { commitTable } from '../shared/pipeline/commit-table.js';
import { processHolder } from '../shared/adapters/embedded/process-holder.js';
import type { EmbeddedOptions } from '../shared/runtime/embedded.js';

export class TableCommitError extends Error {
  constructor(
    readonly table: string,
    reason: string,
  ) {
    super(`${table}: ${reason}`);
    this.name = 'TableCommitError';
  }
}

/** How long a commit waits for a table another live process holds: the commit lease's time to live. */
const LEASE_WAIT_MS = 10 * 60_000;

export function commitTaskRunner(): NonNullable<EmbeddedOptions['onTask']> {
  return async (runtime, task) => {
    if (task.kind === 'maintain') {
      const { catalog, objects, state, log } = runtime;
      const options = maintenanceOptionsFromJson(task.maintenance ?? {});
      const done = await maintainTable(
        { catalog, objects, state, log, holder: processHolder() },
        task.table,
        options,
      );
      if (done.status !== 'done') throw new TableCommitError(task.table, `maintenance: ${done.status}`);
      return;
    }
    const waitUntil = Date.now() + LEASE_WAIT_MS;
    let busy = 0;
    for (;;) {
      const result = await commitTable(runtime.commitDependencies(), task.table);
      if (result.status === 'failed' || result.status === 'lease-lost') {
        throw new TableCommitError(task.table, result.reason);
      }
      if (result.status === 'lease-busy') {
        // Another process of this warehouse commits the table (a dead one's lease is free at once, see
        // the state store): wait for it, then drain what it left. Its commit may well hold ours.
        if (Date.now() >= waitUntil) throw new TableCommitError(task.table, 'lease held by another run');
        busy += 1;
        await sleep(Math.min(1000, 20 * 2 ** Math.min(busy, 6)) * (0.5 + Math.random()));
        continue;
      }
      // One commit takes a budget of change-sets: go on until the table has none pending.
      if (
        result.status === 'committed' &&
        (await runtime.state.listPendingChangesets(task.table, 1)).length > 0
      ) {
        continue;
      }
      runtime.state.clearTableFailure(task.table);
      return;
    }
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
