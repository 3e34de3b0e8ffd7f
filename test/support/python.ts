// Runs a Python script in the readers' virtual environment (PyIceberg, DuckDB) and returns what it
// printed as JSON on its last line. The independent readers are the witnesses of what we write.

import { spawn } from 'node:child_process';
import { stackEnv } from './stack-env.js';

export async function runPython<T = unknown>(script: string, args: string[] = []): Promise<T> {
  const python = stackEnv('DSI_PYTHON');
  return new Promise<T>((resolve, reject) => {
    const child = spawn(python, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8').trim();
      if (code !== 0) {
        reject(new Error(`python exited ${code}:\n${Buffer.concat(err).toString('utf8')}`));
        return;
      }
      const lastLine = stdout.slice(stdout.lastIndexOf('\n') + 1);
      try {
        resolve(JSON.parse(lastLine) as T);
      } catch {
        reject(new Error(`python did not end with a JSON line:\n${stdout}`));
      }
    });
  });
}
