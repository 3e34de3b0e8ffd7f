// Runs a command to completion and returns what it printed; on failure the error carries the command
// and the tail of its output, so an install step that breaks says why without digging through logs.
import { spawn } from 'node:child_process';

export function exec(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      reject(error);
      return;
    }
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', (error) => {
      reject(
        error.code === 'ENOENT'
          ? new Error(`\`${command}\` was not found on PATH (needed by the test stack)`)
          : error,
      );
    });
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n');
      reject(new Error(`\`${command} ${args.join(' ')}\` failed (${signal ?? `exit ${code}`}):\n${tail}`));
    });
  });
}

/** True when `command` can be started (it is on PATH and runs with the probe arguments). */
export async function available(command, probeArgs) {
  try {
    await exec(command, probeArgs);
    return true;
  } catch {
    return false;
  }
}
