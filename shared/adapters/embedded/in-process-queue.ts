// The table queues of the embedded defaults: one promise chain per table, so at most one commit runs per
// table at a time, as with a Cloud Tasks queue of concurrency 1. Task ids de-duplicate like task names.
// A failed task is retried after a pause, up to a limit, then reported through onGiveUp.

import type { CommitTask, TaskQueue } from '../../ports/task-queue.js';

export type TaskHandler = (task: CommitTask) => Promise<void>;

export interface InProcessQueueOptions {
  maxAttempts?: number;
  retryDelayMs?: number;
  onGiveUp?: (task: CommitTask, error: unknown) => void;
}

export class InProcessQueue implements TaskQueue {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly handler: TaskHandler,
    private readonly options: InProcessQueueOptions = {},
  ) {}

  async enqueue(task: CommitTask): Promise<'created' | 'exists'> {
    if (this.seen.has(task.taskId)) return 'exists';
    this.seen.add(task.taskId);
    const previous = this.chains.get(task.table) ?? Promise.resolve();
    const next = previous.then(() => this.runWithRetries(task));
    this.chains.set(task.table, next);
    return 'created';
  }

  /** Resolves when every task enqueued so far (and any they enqueue) has run. */
  async drain(): Promise<void> {
    for (;;) {
      const pending = [...this.chains.values()];
      await Promise.all(pending);
      if ([...this.chains.values()].every((chain, i) => chain === pending[i])) return;
    }
  }

  private async runWithRetries(task: CommitTask): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.handler(task);
        return;
      } catch (error) {
        if (attempt >= maxAttempts) {
          this.options.onGiveUp?.(task, error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? 50));
      }
    }
  }
}
