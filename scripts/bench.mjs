#!/usr/bin/env node
// `npm run bench -- <name> [args…]`: builds, then runs the benchmark module test/bench/<name>.ts.
// Each benchmark prints its figures and ends with one JSON line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const [name, ...args] = process.argv.slice(2);
const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const available = existsSync('dist/test/bench')
  ? readdirSync('dist/test/bench')
      .filter((f) => f.endsWith('.js'))
      .map((f) => f.replace(/\.js$/, ''))
  : [];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|') || 'name'}> [options]`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--expose-gc', `dist/test/bench/${name}.js`, ...args], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
