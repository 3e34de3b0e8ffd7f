#!/usr/bin/env node
// `npm run bench -- <name> [args…]`: builds, then runs the benchmark module test/bench/<name>.ts.
// Each benchmark prints its figures and ends with one JSON line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { ensureReadersVenv } from './stack/install.mjs';
import { startStandalonePostgres } from './stack/postgres.mjs';

// Benchmarks that time PyIceberg as their baseline: they get the readers' venv, installed on first use
// as `npm test` does, so `npm run bench -- cow` works on a fresh clone without a running stack.
const NEEDS_PYTHON_READERS = new Set(['cow']);
// Benchmarks that need a PostgreSQL source: without a loaded stack (DSI_POSTGRES_URL) they get the stack's
// PostgreSQL alone, started for the run and stopped after it (STACK_PORT_OFFSET picks its port).
const NEEDS_POSTGRES = new Set(['verify']);

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
const env = { ...process.env };
if (NEEDS_PYTHON_READERS.has(name) && !env.DSI_PYTHON) {
  const readers = await ensureReadersVenv();
  env.DSI_PYTHON = readers.python;
  env.DSI_DUCKDB_EXTENSION_DIR = readers.duckdbExtensionDir;
}
let stopPostgres;
if (NEEDS_POSTGRES.has(name) && !env.DSI_POSTGRES_URL) {
  const postgres = await startStandalonePostgres();
  Object.assign(env, postgres.env);
  stopPostgres = postgres.stop;
  // Ctrl-C reaches the benchmark too; this process stays to stop PostgreSQL once the benchmark is gone.
  process.on('SIGINT', () => undefined);
}
const result = spawnSync(process.execPath, ['--expose-gc', `dist/test/bench/${name}.js`, ...args], {
  stdio: 'inherit',
  env,
});
await stopPostgres?.();
process.exit(result.status ?? 1);
