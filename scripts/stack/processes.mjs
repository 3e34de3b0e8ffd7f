// Starting, probing and stopping the stack's server processes. Each server is started as the leader of
// its own process group (no shell or wrapper script in between), so stopping it is one signal to one
// group, and "nothing left" can be checked by scanning /proc for that group. A PID is only trusted
// together with the start time the kernel recorded for it, so a recycled PID is never signalled.
/* global AbortSignal */
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** state and start time (clock ticks since boot) of a process, or undefined when there is none. */
function procStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], pgrp: Number(fields[2]), startTime: fields[19] };
}

/** True while the recorded process (same PID and same start time) exists and is not a zombie. */
export function isRunning(record) {
  const stat = procStat(record.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === record.startTime;
}

/** Live (non-zombie) processes whose process group is `pgid`. */
export function groupMembers(pgid) {
  const members = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry);
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') members.push(Number(entry));
  }
  return members;
}

/** Starts one server in its own process group with its output in `<logDir>/<name>.log`. */
export function startProcess(service, logDir) {
  const logPath = join(logDir, `${service.name}.log`);
  const fd = openSync(logPath, 'w');
  let child;
  try {
    child = spawn(service.command, service.args, {
      cwd: service.cwd,
      env: { ...process.env, ...service.env },
      // A server that refuses to run as root (PostgreSQL) is started as its own user.
      ...(service.uid !== undefined ? { uid: service.uid, gid: service.gid } : {}),
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? `exit code ${code}`));
    child.on('error', (error) => resolve(error.message));
  });
  // The stack may outlive the process that started it (`npm run stack -- start`).
  child.unref();
  if (child.pid === undefined) {
    return { record: undefined, exited, logPath };
  }
  const stat = procStat(child.pid);
  return {
    record: {
      name: service.name,
      pid: child.pid,
      startTime: stat?.startTime ?? '',
      logPath,
      ...(service.stopSignal ? { stopSignal: service.stopSignal } : {}),
    },
    exited,
    logPath,
  };
}

function logTail(path, lines = 30) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function probeOnce(probe) {
  if (probe.kind === 'command') {
    return new Promise((resolve) => {
      execFile(probe.command, probe.args, { timeout: 5000 }, (error) => resolve(!error));
    });
  }
  if (probe.kind === 'tcp') {
    return new Promise((resolve) => {
      const socket = connect({ host: probe.host, port: probe.port });
      socket.setTimeout(1000);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(false));
    });
  }
  try {
    const response = await fetch(probe.url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Waits until the service answers its probe; fails early with its log if the process exits first. */
export async function waitReady(service, started, timeoutMs) {
  const began = Date.now();
  let exitReason;
  started.exited.then((reason) => {
    exitReason = reason;
  });
  for (;;) {
    if (exitReason !== undefined) {
      throw new Error(
        `${service.name} exited before it was ready (${exitReason}); its log ${started.logPath}:\n${logTail(started.logPath)}`,
      );
    }
    if (await probeOnce(service.probe)) return Date.now() - began;
    if (Date.now() - began > timeoutMs) {
      throw new Error(
        `${service.name} was not ready after ${timeoutMs / 1000} s (probe ${service.probe.url ?? service.probe.describe ?? `tcp ${service.probe.port}`}); ` +
          `its log ${started.logPath}:\n${logTail(started.logPath)}`,
      );
    }
    await sleep(250);
  }
}

/** Fails when a port is already taken, naming it and the way out. */
export async function assertPortFree(host, port, what) {
  await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error) => {
      reject(
        new Error(
          `port ${port} (${what}) on ${host} is busy (${error.code}): another stack or program uses it; ` +
            'stop it, or shift every port with STACK_PORT_OFFSET=<n>',
        ),
      );
    });
    server.listen({ host, port, exclusive: true }, () => server.close(resolve));
  });
}

function signalGroup(record, signal) {
  try {
    process.kill(-record.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Stops the recorded servers: SIGTERM to each process group (or the server's own `stopSignal` to the
 * server alone), then SIGKILL to what is still in the group after `graceMs`. Returns what survived
 * both (empty when all is well).
 */
export async function stopProcesses(records, graceMs = 8000) {
  // Only groups whose leader is still the very process we started are signalled (a dead leader's PID
  // may already belong to someone else). Most servers fork no children, so their group is the leader.
  // PostgreSQL's children each start a session of their own (so that it can signal them), outside its
  // group: on its stop signal it ends them itself and exits last, so its PID gone means all gone (and
  // were it killed, they notice their parent's death and exit).
  const ours = records.filter((record) => isRunning(record));
  for (const record of ours) {
    if (record.stopSignal) {
      try {
        process.kill(record.pid, record.stopSignal);
      } catch {
        // ESRCH: already gone.
      }
    } else signalGroup(record, 'SIGTERM');
  }
  const remaining = () => ours.filter((record) => isRunning(record) || groupMembers(record.pid).length > 0);
  const deadline = Date.now() + graceMs;
  while (remaining().length > 0 && Date.now() < deadline) await sleep(100);
  for (const record of remaining()) signalGroup(record, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (remaining().length > 0 && Date.now() < killDeadline) await sleep(100);
  return remaining().map((record) => ({ ...record, members: groupMembers(record.pid) }));
}
