// Runs a CLI command (`replay`, `status`) in its own process, as an operator would (its own environment,
// stdout and exit code), from the compiled command module.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../support/scenarios.js';

export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runReplayCommand(args: string[], env: Record<string, string> = {}): Promise<CommandRun> {
  return runCliCommand('replay', args, env);
}

export function runCliCommand(
  name: 'replay' | 'status' | 'verify',
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandRun> {
  const module = pathToFileURL(join(REPO_ROOT, 'dist', 'functions', 'cli', `${name}.js`)).href;
  const script = `import { ${name}Command as command } from ${JSON.stringify(module)};
process.exitCode = await command.run(process.argv.slice(1));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}
