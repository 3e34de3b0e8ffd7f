// The embedded lease names its holder's process (host, pid, random id): a holder whose process no longer
// exists on this host leaves the table free at once, not one time to live later; a live one, one of
// another host, or one in another form keeps it until it expires.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { holderState, processHolder } from '../../../../shared/adapters/embedded/process-holder.js';
import { SqliteStateStore } from '../../../../shared/adapters/embedded/sqlite-state-store.js';

const TTL = 10 * 60_000;

/** The pid of a process that ran and exited (and was reaped): no process has it now, for a while. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

test('a lease whose holder process died on this host is free at once; the token still increases', async () => {
  const store = new SqliteStateStore(':memory:');
  try {
    const dead = `${deadPid()}@${hostname()}#${randomUUID()}`;
    assert.equal(holderState(dead), 'dead');
    const first = await store.acquireLease('public.t', dead, TTL, 1000);
    assert.ok(first);
    const next = await store.acquireLease('public.t', processHolder(), TTL, 2000);
    assert.ok(next, 'taken over at once, long before the time to live');
    assert.equal(next.token, first.token + 1);
    // the dead holder's renewal is refused: its token is no longer the table's
    assert.equal(await store.renewLease(first, TTL, 3000), undefined);
  } finally {
    store.close();
  }
});

test('a lease held by a live process, another host or a holder of another form waits for its time to live', async () => {
  const store = new SqliteStateStore(':memory:');
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  try {
    const live = `${child.pid}@${hostname()}#${randomUUID()}`;
    assert.equal(holderState(live), 'alive');
    const holders = [live, `${deadPid()}@another-host.example#${randomUUID()}`, randomUUID()];
    for (const [i, holder] of holders.entries()) {
      const table = `public.t${i}`;
      assert.ok(await store.acquireLease(table, holder, TTL, 1000));
      assert.equal(await store.acquireLease(table, processHolder(), TTL, 2000), undefined, holder);
      assert.ok(await store.acquireLease(table, processHolder(), TTL, 1000 + TTL), `${holder}: expired`);
    }
    // once the live holder's process is gone, its table is free
    assert.ok(await store.acquireLease('public.t3', live, TTL, 1000));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(holderState(live), 'dead');
    assert.ok(await store.acquireLease('public.t3', processHolder(), TTL, 2000));
  } finally {
    child.kill('SIGKILL');
    store.close();
  }
});

test('a holder of this very process is never taken for dead', () => {
  assert.equal(holderState(processHolder()), 'this-process');
  assert.equal(holderState(undefined), 'unknown');
  assert.equal(holderState('not-a-holder'), 'unknown');
});
