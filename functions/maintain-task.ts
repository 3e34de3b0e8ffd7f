// The maintenance branch of functions/commit: a task `{"kind": "maintain", "table", "options"}` on the
// table's queue runs maintainTable under the table's lease. Answers: 200 when done (the report in the
// body); 503 with Retry-After when a commit holds the lease or it was lost (Cloud Tasks tries again).
// Options that can never be valid (an unknown field, a wrong type, a number out of its bounds) are a bad
// request: refused with `{status: 'rejected', reason}` naming the field, and acknowledged with 200, since
// Cloud Tasks retries any other status and a retry would not fix them.

import type { Response } from '@google-cloud/functions-framework';
import { maintainTable } from '../shared/maintenance/maintain-table.js';
import { maintenanceOptionsFromJson, type MaintenanceOptions } from '../shared/maintenance/options.js';
import type { CloudRuntime } from '../shared/runtime/cloud.js';

export const MAINTAIN_RETRY_AFTER_SECONDS = 30;

export async function maintainTask(
  rt: CloudRuntime,
  table: string,
  rawOptions: unknown,
  task: Record<string, string | undefined>,
  res: Response,
): Promise<void> {
  const log = rt.log.with({ table, kind: 'maintain', ...task });
  let options: MaintenanceOptions;
  try {
    options = maintenanceOptionsFromJson(rawOptions);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.error('maintenance task rejected: invalid options', { reason });
    res.status(200).json({ status: 'rejected', reason });
    return;
  }
  log.info('maintenance task received', { options });
  const { catalog, objects, state } = rt;
  const result = await maintainTable({ catalog, objects, state, log }, table, options);
  if (result.status === 'done') {
    res.status(200).json(result);
    return;
  }
  res.set('Retry-After', String(MAINTAIN_RETRY_AFTER_SECONDS)).status(503).json(result);
}
