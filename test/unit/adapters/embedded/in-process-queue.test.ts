import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessQueue } from '../../../../shared/adapters/embedded/in-process-queue.js';
import type { CommitTask } from '../../../../shared/ports/task-queue.js';

const task = (table: string, n: number): CommitTask => ({
  taskId: `${table}-${n}`,
  table,
  changesetId: `c${n}`,
});

test('tasks of one table run one at a time and in order; other tables run alongside', async () => {
  const running = new Map<string, number>();
  let maxPerTable = 0;
  let maxOverall = 0;
  const order: string[] = [];
  const queue = new InProcessQueue(async (t) => {
    running.set(t.table, (running.get(t.table) ?? 0) + 1);
    maxPerTable = Math.max(maxPerTable, running.get(t.table) ?? 0);
    maxOverall = Math.max(
      maxOverall,
      [...running.values()].reduce((a, b) => a + b, 0),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    order.push(t.taskId);
    running.set(t.table, (running.get(t.table) ?? 1) - 1);
  });
  for (let n = 0; n < 5; n++) {
    await queue.enqueue(task('a', n));
    await queue.enqueue(task('b', n));
  }
  await queue.drain();
  assert.equal(maxPerTable, 1);
  assert.equal(maxOverall, 2);
  assert.deepEqual(
    order.filter((id) => id.startsWith('a')),
    ['a-0', 'a-1', 'a-2', 'a-3', 'a-4'],
  );
});

test('a duplicate task id is refused and runs once', async () => {
  let runs = 0;
  const queue = new InProcessQueue(async () => {
    runs++;
  });
  assert.equal(await queue.enqueue(task('a', 1)), 'created');
  assert.equal(await queue.enqueue(task('a', 1)), 'exists');
  await queue.drain();
  assert.equal(runs, 1);
});

test('a failing task is retried, then given up and reported', async () => {
  let attempts = 0;
  const givenUp: string[] = [];
  const queue = new InProcessQueue(
    async () => {
      attempts++;
      throw new Error('catalog down');
    },
    { maxAttempts: 3, retryDelayMs: 1, onGiveUp: (t) => givenUp.push(t.taskId) },
  );
  await queue.enqueue(task('a', 1));
  await queue.drain();
  assert.equal(attempts, 3);
  assert.deepEqual(givenUp, ['a-1']);
});
