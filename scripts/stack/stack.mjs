// The test stack as a whole: install what is missing, start every server on loopback, wait until each
// answers, and stop them again by PID. The running stack is recorded in .cache/stack/offset-<n>/stack.json
// (PIDs with their kernel start times, ports, the tests' environment), which is what `stop` and `env`
// read and what lets a later run clean up after one that was killed.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, portOffset, runDir, stackPorts } from './config.mjs';
import { installStack } from './install.mjs';
import { assertPortFree, isRunning, startProcess, stopProcesses, waitReady } from './processes.mjs';
import { postgresDataDir } from './postgres.mjs';
import { serviceDefinitions, testEnvironment } from './services.mjs';

const READY_TIMEOUT_MS = Number(process.env.STACK_READY_TIMEOUT_MS ?? 120_000);

function log(message) {
  console.error(`[stack] ${message}`);
}

function statePath() {
  return join(runDir(), 'stack.json');
}

export function readState() {
  try {
    return JSON.parse(readFileSync(statePath(), 'utf8'));
  } catch {
    return undefined;
  }
}

function ownerAlive(state) {
  try {
    process.kill(state.ownerPid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Clears what a killed earlier run left; refuses when a live stack already holds this offset. */
async function clearLeftovers() {
  const state = readState();
  if (!state) return;
  const live = state.services.filter(isRunning);
  if (live.length > 0 && (state.owner === 'developer' || ownerAlive(state))) {
    throw new Error(
      `a stack already runs at STACK_PORT_OFFSET=${portOffset()} (${state.owner === 'developer' ? 'started by `npm run stack -- start`' : `owned by process ${state.ownerPid}`}): ` +
        'stop it with `npm run stack -- stop`, or use another STACK_PORT_OFFSET',
    );
  }
  if (live.length > 0) {
    log(`stopping ${live.length} server(s) left by an earlier run that was killed`);
    const survivors = await stopProcesses(live);
    if (survivors.length > 0) throw new Error(`could not stop leftover servers: ${describe(survivors)}`);
  }
  rmSync(statePath(), { force: true });
}

function describe(records) {
  return records
    .map(
      (record) =>
        `${record.name} (pid ${record.pid}${record.members?.length ? `, group ${record.members.join(' ')}` : ''})`,
    )
    .join(', ');
}

/**
 * Installs (if needed) and starts the stack. `owner` is 'test' for a stack that lives as long as the
 * calling process, 'developer' for one that stays up until `npm run stack -- stop`.
 * Returns { env, services, timings }.
 */
export async function startStack({ owner }) {
  const timings = {};
  let began = Date.now();
  const installed = await installStack();
  timings.installMs = Date.now() - began;

  await clearLeftovers();
  const ports = stackPorts();
  const what = {
    storage: 'fake-gcs-server',
    firestore: 'Firestore emulator',
    pubsub: 'Pub/Sub emulator',
    tasks: 'Cloud Tasks emulator',
    catalog: 'Iceberg REST catalog',
    postgres: 'PostgreSQL',
  };
  for (const [name, port] of Object.entries(ports)) await assertPortFree(HOST, port, what[name]);

  const dir = runDir();
  const logDir = join(dir, 'logs');
  // A fresh warehouse every start: the catalog's SQLite backend is in memory, so files left from an
  // earlier run would only be orphans.
  const warehouseDir = join(dir, 'warehouse');
  rmSync(warehouseDir, { recursive: true, force: true });
  mkdirSync(warehouseDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  // PostgreSQL gets a new cluster at every start too (its service's `prepare` runs initdb).
  const postgresDir = await postgresDataDir(installed, dir);

  began = Date.now();
  const definitions = serviceDefinitions(installed, ports, warehouseDir, postgresDir);
  const env = testEnvironment(installed, ports, warehouseDir);
  const state = { owner, ownerPid: process.pid, offset: portOffset(), ports, env, services: [] };
  const started = [];
  try {
    for (const service of definitions) {
      await service.prepare?.();
      const handle = startProcess(service, logDir);
      if (!handle.record) throw new Error(`${service.name} could not be started (${service.command})`);
      started.push({ service, handle });
      state.services.push(handle.record);
      // Recorded after every start, so an interruption between two starts leaves nothing unrecorded.
      writeFileSync(statePath(), JSON.stringify(state, null, 2) + '\n');
    }
    const readyMs = await Promise.all(
      started.map(({ service, handle }) => waitReady(service, handle, READY_TIMEOUT_MS)),
    );
    timings.startMs = Date.now() - began;
    log(
      `ready in ${(timings.startMs / 1000).toFixed(1)} s: ${started.map(({ service }, i) => `${service.name} ${(readyMs[i] / 1000).toFixed(1)} s`).join(', ')}`,
    );
  } catch (error) {
    await stopStack({ ownedBy: process.pid });
    throw error;
  }
  return { env, services: state.services, timings };
}

/**
 * Stops the recorded stack of this offset by PID and checks that none of its processes is left.
 * With `ownedBy`, only a stack started by that process is stopped.
 * Throws (naming the survivors) when something could not be stopped.
 */
export async function stopStack({ ownedBy } = {}) {
  const state = readState();
  if (!state) return { stopped: 0 };
  // `npm test` stops only the stack it started itself, never a developer's stack it refused to replace.
  if (ownedBy !== undefined && state.ownerPid !== ownedBy) return { stopped: 0 };
  const survivors = await stopProcesses(state.services);
  // Checked again by PID (with start time): a survivor here is a process we started and could not end.
  const leftovers = state.services.filter(isRunning);
  if (survivors.length > 0 || leftovers.length > 0) {
    throw new Error(
      `stack processes are still running after stop: ${describe([...survivors, ...leftovers])}`,
    );
  }
  rmSync(statePath(), { force: true });
  return { stopped: state.services.length };
}

export function stackIsRunning() {
  const state = readState();
  return state !== undefined && state.services.some(isRunning) ? state : undefined;
}
