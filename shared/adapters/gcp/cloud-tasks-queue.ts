// The table queues on Cloud Tasks: one queue per table, at most one dispatch at a time, each task a POST
// of a tiny JSON body to the commit function with an OIDC token. Queues are created on first use (ingest
// discovers tables as Datastream writes them) with concurrency 1; an existing queue is used as it is.
// Task names are deterministic, so a re-delivered file cannot enqueue the same change-set twice while
// Cloud Tasks remembers the name (about an hour; the state store is the durable guard).

import { CloudTasksClient } from '@google-cloud/tasks';
import type { CommitTask, TaskQueue } from '../../ports/task-queue.js';
import { stableId } from '../../util/hash.js';

const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;

export interface CloudTasksQueueOptions {
  client: CloudTasksClient;
  project: string;
  location: string;
  /** The commit function's URL. */
  targetUrl: string;
  /** Service account whose OIDC token authorises the call (the commit function is not public). */
  oidcServiceAccountEmail?: string;
  /** Defaults to the target URL. */
  oidcAudience?: string;
  /** Queue ids start with this; default `dsi`. */
  queuePrefix?: string;
  /** Must exceed the commit function's timeout (default 1800 s, the Cloud Tasks maximum). */
  dispatchDeadlineSeconds?: number;
  /** Create a missing queue (default true); false requires queues made by the deploy script. */
  createMissingQueues?: boolean;
  maxAttempts?: number;
  minBackoffSeconds?: number;
  maxBackoffSeconds?: number;
}

function isCode(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/**
 * Queue id for a table key (shared/names/table-key.ts): readable, limited to Cloud Tasks'
 * [A-Za-z0-9-]{1,100}, and suffixed with a hash of the exact key so `a_b` and `a-b` never share a queue.
 */
export function queueIdForTable(table: string, prefix = 'dsi'): string {
  const readable = table
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const suffix = stableId([table], 8);
  return `${prefix}-${readable}`.slice(0, 100 - suffix.length - 1) + `-${suffix}`;
}

export class CloudTasksQueue implements TaskQueue {
  private readonly knownQueues = new Set<string>();

  constructor(private readonly options: CloudTasksQueueOptions) {}

  queuePath(table: string): string {
    const { client, project, location, queuePrefix } = this.options;
    return client.queuePath(project, location, queueIdForTable(table, queuePrefix));
  }

  async enqueue(task: CommitTask): Promise<'created' | 'exists'> {
    const parent = this.queuePath(task.table);
    try {
      return await this.createTask(parent, task);
    } catch (error) {
      if (!isCode(error, NOT_FOUND) || this.options.createMissingQueues === false) throw error;
      await this.ensureQueue(parent);
      return this.createTask(parent, task);
    }
  }

  /** Create the queue with concurrency 1 if it does not exist yet. */
  async ensureQueue(queuePath: string): Promise<void> {
    if (this.knownQueues.has(queuePath)) return;
    const { client, project, location } = this.options;
    try {
      await client.createQueue({
        parent: client.locationPath(project, location),
        queue: {
          name: queuePath,
          rateLimits: { maxConcurrentDispatches: 1, maxDispatchesPerSecond: 10 },
          retryConfig: {
            maxAttempts: this.options.maxAttempts ?? -1,
            minBackoff: { seconds: this.options.minBackoffSeconds ?? 1 },
            maxBackoff: { seconds: this.options.maxBackoffSeconds ?? 300 },
          },
        },
      });
    } catch (error) {
      if (!isCode(error, ALREADY_EXISTS)) throw error;
    }
    this.knownQueues.add(queuePath);
  }

  private async createTask(parent: string, task: CommitTask): Promise<'created' | 'exists'> {
    const { client, targetUrl, oidcServiceAccountEmail, oidcAudience } = this.options;
    const body = Buffer.from(
      JSON.stringify(
        task.kind === 'maintain'
          ? { kind: 'maintain', table: task.table, options: task.maintenance ?? {} }
          : { table: task.table, changesetId: task.changesetId },
      ),
    );
    try {
      await client.createTask({
        parent,
        task: {
          name: `${parent}/tasks/${task.taskId}`,
          dispatchDeadline: { seconds: this.options.dispatchDeadlineSeconds ?? 1800 },
          httpRequest: {
            httpMethod: 'POST',
            url: targetUrl,
            headers: { 'Content-Type': 'application/json' },
            body: body.toString('base64'),
            ...(oidcServiceAccountEmail
              ? {
                  oidcToken: {
                    serviceAccountEmail: oidcServiceAccountEmail,
                    audience: oidcAudience ?? targetUrl,
                  },
                }
              : {}),
          },
        },
      });
      this.knownQueues.add(parent);
      return 'created';
    } catch (error) {
      if (isCode(error, ALREADY_EXISTS)) return 'exists';
      throw error;
    }
  }
}
