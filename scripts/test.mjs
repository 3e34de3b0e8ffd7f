#!/usr/bin/env node
// The one test command (`npm test`): lint, typecheck, build; then install (first time only) and start the
// test stack, run every test with node's runner against it, and stop the stack by PID whatever happens
// (tests failing, Ctrl-C, SIGTERM). It ends by checking that no stack process is left and printing the
// time each phase took.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, stopStack } from './stack/stack.mjs';
import { ensureDependencies } from './ensure-dependencies.mjs';

ensureDependencies();

const started = Date.now();
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

function run(cmd, args) {
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`\n${cmd} ${args.join(' ')} failed with exit code ${result.status}`);
    process.exit(result.status ?? 1);
  }
}
function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out.sort();
}

run('npm', ['run', '--silent', 'lint']);
run('npm', ['run', '--silent', 'typecheck']);
// A clean build: a test whose source was removed must not keep running from an old dist/.
rmSync('dist', { recursive: true, force: true });
run('npm', ['run', '--silent', 'build']);
const builtAt = Date.now();

let testRunner;
let stopping;
// Stops the stack once, however many paths (normal end, error, signals) ask for it.
function stopOnce() {
  stopping ??= stopStack({ ownedBy: process.pid }).then(
    ({ stopped }) => {
      if (stopped > 0) console.error(`[stack] stopped ${stopped} server(s); no stack process is left`);
      return true;
    },
    (error) => {
      console.error(`\n[stack] ${error.message}`);
      return false;
    },
  );
  return stopping;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\n[stack] ${signal}: stopping the test stack`);
    testRunner?.kill(signal);
    stopOnce().then(() => {
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  });
}

let exitCode = 1;
let timings = {};
try {
  const stack = await startStack({ owner: 'test' });
  timings = stack.timings;
  const tests = findTests('dist/test');
  const testsBegan = Date.now();
  const env = { ...process.env, ...stack.env };
  // A developer's own STORAGE_EMULATOR_HOST would redirect @google-cloud/storage (see stack-env.ts).
  delete env.STORAGE_EMULATOR_HOST;
  exitCode = await new Promise((resolve) => {
    testRunner = spawn(process.execPath, ['--test', ...tests], { stdio: 'inherit', env });
    testRunner.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    testRunner.on('error', (error) => {
      console.error(error);
      resolve(1);
    });
  });
  timings.testsMs = Date.now() - testsBegan;
} catch (error) {
  console.error(`\n[stack] ${error.message}`);
  exitCode = 1;
} finally {
  const stopBegan = Date.now();
  const clean = await stopOnce();
  timings.stopMs = Date.now() - stopBegan;
  if (!clean) exitCode = 1;
}

const parts = [
  `lint+typecheck+build ${seconds(builtAt - started)}`,
  timings.installMs !== undefined && `install check ${seconds(timings.installMs)}`,
  timings.startMs !== undefined && `stack start ${seconds(timings.startMs)}`,
  timings.testsMs !== undefined && `tests ${seconds(timings.testsMs)}`,
  timings.stopMs !== undefined && `stack stop ${seconds(timings.stopMs)}`,
].filter(Boolean);
console.log(`\ntotal time of the suite: ${seconds(Date.now() - started)} (${parts.join(', ')})`);
process.exit(exitCode);
