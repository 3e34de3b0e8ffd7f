// The table-task runner of the embedded defaults: each queued change-set runs commitTable for its table
// (which drains every pending change-set of the table up to its budget). Shared by the CLI and `npm start`.

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
    const result = await commitTable(runtime.commitDependencies(), task.table);
    // The in-process queue is serial per table, so a busy or lost lease means another process works on
    // the same warehouse: fail the task so it is retried.
    if (result.status === 'failed' || result.status === 'lease-lost') {
      throw new TableCommitError(task.table, result.reason);
    }
    if (result.status === 'lease-busy') throw new TableCommitError(task.table, 'lease held by another run');
  };
}
