// Who holds a lease or works on a file, on the embedded defaults: this host's name, this process's id and
// a random id, so another process on the same host can tell a holder that died (kill -9, power cut) from
// one still working, and take its table or file at once instead of waiting for a time to live to pass.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

// `<pid>@<host>#<uuid>`: the pid first and the uuid last, so a host name with any characters parses.
const HOLDER = /^(\d+)@(.*)#[0-9a-f-]{36}$/;

/** A new holder id of this process (a random part per call: two runs of one process differ too). */
export function processHolder(): string {
  return `${process.pid}@${hostname()}#${randomUUID()}`;
}

/**
 * What is known of a holder's process: 'alive' (another process of this host that exists), 'dead'
 * (a process of this host that no longer exists), 'this-process', or 'unknown' (another host, or a
 * holder in another form, e.g. the cloud's random ids).
 */
export type HolderState = 'alive' | 'dead' | 'this-process' | 'unknown';

export function holderState(holder: string | undefined): HolderState {
  const match = holder === undefined ? null : HOLDER.exec(holder);
  if (!match || match[2] !== hostname()) return 'unknown';
  const pid = Number(match[1]);
  if (pid === process.pid) return 'this-process';
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (error) {
    // EPERM: the process exists but belongs to another user
    return (error as NodeJS.ErrnoException).code === 'ESRCH' ? 'dead' : 'alive';
  }
}
