#!/usr/bin/env node
// `npm start`: the main job on the embedded defaults with a bundled sample — Datastream change files of a
// `public.products` table — applied to ./warehouse (a folder with catalog.db and the table files).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ensureDependencies } from './ensure-dependencies.mjs';

ensureDependencies();

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
console.log('\nThe rows of public.products now (`datastream-iceberg show`):');
const show = spawnSync(process.execPath, [...cli, 'show', 'public.products', '--warehouse', 'warehouse'], {
  stdio: 'inherit',
});
const warehouse = resolve('warehouse');
console.log(`
The table is an Iceberg v2 table in ${warehouse}; catalog.db is a SQLite catalog in the JDBC schema.
Read it with PyIceberg (pip install 'pyiceberg[sql-sqlite,pyarrow]'):

  from pyiceberg.catalog.sql import SqlCatalog
  catalog = SqlCatalog('default', uri='sqlite:///${warehouse}/catalog.db', warehouse='file://${warehouse}')
  print(catalog.load_table('public.products').scan().to_arrow().to_pandas())
`);
process.exit(status.status || show.status || 0);
