// aertje/cloud-tasks-emulator through the real @google-cloud/tasks client, dispatching to a real
// functions-framework HTTP function: the commit path relies on a queue with maxConcurrentDispatches 1
// never running two commits of a table at once, and on task names de-duplicating enqueues.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { Server } from 'node:http';
import { projectId, tasksClient } from '../../support/emulator-clients.js';
import { isolate } from '../../support/isolation.js';

const names = isolate('tasks smoke');
const client = tasksClient();
const location = `projects/${projectId()}/locations/us-central1`;
const queueName = `${location}/queues/${names.queue('serial')}`;
const TASKS = 5;
const WORK_MS = 150;

interface Visit {
  n: number;
  enter: number;
  exit: number;
}
const visits: Visit[] = [];
let server: Server;
let url: string;

http('smokeSerialTarget', async (req, res) => {
  const enter = Date.now();
  await new Promise((resolve) => setTimeout(resolve, WORK_MS));
  const body = req.body as { n?: unknown };
  visits.push({ n: Number(body.n), enter, exit: Date.now() });
  res.status(200).send('done');
});

before(async () => {
  server = getTestServer('smokeSerialTarget');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  await client.createQueue({
    parent: location,
    queue: { name: queueName, rateLimits: { maxConcurrentDispatches: 1, maxDispatchesPerSecond: 500 } },
  });
});

after(async () => {
  await client.deleteQueue({ name: queueName }).catch(() => undefined);
  await client.close();
  await new Promise((resolve) => server.close(resolve));
});

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function task(n: number) {
  return {
    name: `${queueName}/tasks/commit-${n}`,
    httpRequest: {
      url,
      httpMethod: 'POST' as const,
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify({ n })).toString('base64'),
    },
  };
}

test('a queue with maxConcurrentDispatches 1 delivers every task, one at a time', async () => {
  await Promise.all(
    Array.from({ length: TASKS }, (_, n) => client.createTask({ parent: queueName, task: task(n) })),
  );
  await waitFor(() => visits.length >= TASKS, 30_000, `${TASKS} dispatches`);

  assert.deepEqual(
    visits.map((visit) => visit.n).sort(),
    Array.from({ length: TASKS }, (_, n) => n),
  );
  const byEnter = [...visits].sort((a, b) => a.enter - b.enter);
  for (let i = 1; i < byEnter.length; i++) {
    const previous = byEnter[i - 1]!;
    const current = byEnter[i]!;
    assert.ok(
      current.enter >= previous.exit,
      `task ${current.n} entered at ${current.enter} before task ${previous.n} left at ${previous.exit}`,
    );
  }
});

test('a second task with the same name is rejected with ALREADY_EXISTS', async () => {
  await assert.rejects(client.createTask({ parent: queueName, task: task(0) }), (error) => {
    return (error as { code?: unknown }).code === 6;
  });
});
