#!/usr/bin/env node
// The one test command (`npm test`): lint, typecheck, build, run every test with node's runner,
// print the total time. Services the tests need are started and stopped by the stack module.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const started = Date.now();
function run(cmd, args, env = process.env) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', env });
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
run('npm', ['run', '--silent', 'build']);
const tests = findTests('dist/test');
const result = spawnSync(process.execPath, ['--test', ...tests], { stdio: 'inherit' });
console.log(`\ntotal time of the suite: ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(result.status ?? 1);
