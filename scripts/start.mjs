#!/usr/bin/env node
// `npm start`: the main job on the embedded defaults with a bundled sample — Datastream change files of a
// `public.products` table — applied to ./warehouse (a folder with catalog.db and the table files).
import { spawnSync } from 'node:child_process';

const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const cli = ['scripts/datastream-iceberg.js'];
const apply = spawnSync(
  process.execPath,
  [
    ...cli,
    'apply',
    'scripts/sample/bucket',
    '--warehouse',
    'warehouse',
    '--tables',
    'scripts/sample/tables.json',
  ],
  { stdio: 'inherit' },
);
if (apply.status !== 0) process.exit(apply.status ?? 1);
const status = spawnSync(process.execPath, [...cli, 'status', '--warehouse', 'warehouse'], {
  stdio: 'inherit',
});
process.exit(status.status ?? 1);
