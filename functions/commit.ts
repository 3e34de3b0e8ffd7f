// functions/commit: the Cloud Tasks target. A task names a table (and the change-set that queued it);
// the function runs commitTable, which drains every pending change-set of the table up to its budget.
// Answers: 200 when committed or nothing was left to do; 503 with Retry-After when another live run holds
// the table's lease (Cloud Tasks backs off and tries again); 500 when the table failed (the reason is
// logged; the task is retried with backoff, so nothing is dropped while the cause is fixed).
// Deploy with a timeout below the queue's dispatch deadline (default deadline 1800 s, timeout 1500 s).
// A body with `"kind": "maintain"` runs table maintenance instead (functions/maintain-task.ts): the same
// queue and lease keep it from racing a commit.

import type { Request, Response } from '@google-cloud/functions-framework';
import { commitTable } from '../shared/pipeline/commit-table.js';
import type { CloudRuntime } from '../shared/runtime/cloud.js';
import { maintainTask } from './maintain-task.js';
import { parseTableKey, tableKey, tableKeyProblem } from '../shared/names/table-key.js';

export const RETRY_AFTER_SECONDS = 30;

interface TaskBody {
  kind?: unknown;
  table?: unknown;
  changesetId?: unknown;
  options?: unknown;
}

export function commitHandler(runtime: () => CloudRuntime) {
  return async (req: Request, res: Response): Promise<void> => {
    const rt = runtime();
    const body = (req.body ?? {}) as TaskBody;
    const task = {
      taskName: req.get('X-CloudTasks-TaskName'),
      queueName: req.get('X-CloudTasks-QueueName'),
      retryCount: req.get('X-CloudTasks-TaskRetryCount'),
      executionCount: req.get('X-CloudTasks-TaskExecutionCount'),
    };
    const table = typeof body.table === 'string' ? tableKeyProblem(body.table) : 'is not a string';
    if (table !== undefined) {
      // A malformed task never gets better: acknowledge it so it leaves the queue, and say why. Ingest
      // writes the key with tableKey, so a key it wrote always parses (test/unit/names).
      rt.log.error('commit task without a valid table key', { ...task, body, reason: table });
      res.status(200).json({ status: 'ignored', reason: `body "table" ${table}` });
      return;
    }
    // the canonical key, as ingest stored it, whatever quoting the task used
    const key = tableKey(parseTableKey(body.table as string));
    if (body.kind === 'maintain') {
      await maintainTask(rt, key, body.options, task, res);
      return;
    }
    const log = rt.log.with({ table: key, changeset: body.changesetId, ...task });
    log.info('commit task received');
    const result = await commitTable({ ...rt.commitDependencies(), log }, key);
    switch (result.status) {
      case 'committed':
      case 'nothing-to-do':
        res.status(200).json(result);
        return;
      case 'lease-busy':
      case 'lease-lost':
        res.set('Retry-After', String(RETRY_AFTER_SECONDS)).status(503).json(result);
        return;
      case 'failed':
        log.error('table commit failed', { reason: result.reason });
        res.status(500).json(result);
        return;
    }
  };
}
