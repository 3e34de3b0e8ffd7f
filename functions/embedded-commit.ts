// The table-task runner of the embedded defaults: each queued change-set runs commitTable for its table
// (which drains every pending change-set of the table up to its budget), and a maintenance task runs
// maintainTable, as the commit function does on the cloud. Shared by the CLI and `npm start`.

import { maintainTable } from '../shared/maintenance/maintain-table.js';
import { maintenanceOptionsFromJson } from '../shared/maintenance/options.js';
import { commitTable } from '../shared/pipeline/commit-table.js';
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

export function commitTaskRunner(): NonNullable<EmbeddedOptions['onTask']> {
  return async (runtime, task) => {
    if (task.kind === 'maintain') {
      const { catalog, objects, state, log } = runtime;
      const options = maintenanceOptionsFromJson(task.maintenance ?? {});
      const done = await maintainTable({ catalog, objects, state, log }, task.table, options);
      if (done.status !== 'done') throw new TableCommitError(task.table, `maintenance: ${done.status}`);
      return;
    }
    const result = await commitTable(runtime.commitDependencies(), task.table);
    // The in-process queue is serial per table, so a busy or lost lease means another process works on
    // the same warehouse: fail the task so it is retried.
    if (result.status === 'failed' || result.status === 'lease-lost') {
      throw new TableCommitError(task.table, result.reason);
    }
    if (result.status === 'lease-busy') throw new TableCommitError(task.table, 'lease held by another run');
  };
}
