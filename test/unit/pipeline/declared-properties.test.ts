// Table properties a table is created with: a declaration's `write_mode` and `properties` (tables.json,
// DSI_TABLES), else the runtime's default mode (--write-mode, DSI_WRITE_MODE); the engine's own
// properties win; a value a commit could not use fails when the declarations are read, naming the table,
// the property and the value.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadCloudConfig, parseTableDefinitions } from '../../../shared/config.js';
import { creationProperties, withCreationProperties } from '../../../shared/pipeline/declared-properties.js';
import { ConfiguredTableDirectory } from '../../../shared/pipeline/table-directory.js';

const DECLARED = JSON.stringify({
  'public.a': { primary_keys: ['id'], columns: [['id', 'integer']], write_mode: 'merge-on-read' },
  'public.b': {
    primary_keys: ['id'],
    columns: [['id', 'integer']],
    properties: {
      'datastream-iceberg.auto.rewrite-fraction': '0.1',
      'write.parquet.row-group-limit': '1000',
    },
    writeMode: 'auto',
  },
  'public.c': { primary_keys: ['id'], columns: [['id', 'integer']] },
});

test('declared write modes and properties, else the default mode, are what a table is created with', () => {
  const tables = parseTableDefinitions(DECLARED, 'tables.json');
  assert.equal(tables['public.a']!.writeMode, 'merge-on-read');
  const directory = new ConfiguredTableDirectory(tables, undefined, { writeMode: 'copy-on-write' });
  const of = (name: string) => directory.creationProperties({ schema: 'public', name });
  assert.equal(of('a')['datastream-iceberg.write-mode'], 'merge-on-read');
  assert.equal(of('a')['write.delete.mode'], 'merge-on-read');
  assert.deepEqual(of('b'), {
    'datastream-iceberg.write-mode': 'auto',
    'write.update.mode': 'merge-on-read',
    'write.delete.mode': 'merge-on-read',
    'datastream-iceberg.auto.rewrite-fraction': '0.1',
    'write.parquet.row-group-limit': '1000',
  });
  assert.equal(of('c')['datastream-iceberg.write-mode'], 'copy-on-write', 'the default mode');
  assert.equal(of('undeclared')['write.update.mode'], 'copy-on-write');
  assert.deepEqual(new ConfiguredTableDirectory({}).creationProperties({ schema: 'x', name: 'y' }), {});
  // the engine's own properties win over declared ones
  const request = withCreationProperties(
    { properties: { 'datastream-iceberg.primary-key': 'id' } },
    { 'datastream-iceberg.primary-key': 'other', 'datastream-iceberg.write-mode': 'auto' },
  );
  assert.deepEqual(request.properties, {
    'datastream-iceberg.primary-key': 'id',
    'datastream-iceberg.write-mode': 'auto',
  });
});

test('an unusable declared value fails naming the table, the property and the value', () => {
  const declare = (extra: Record<string, unknown>) =>
    parseTableDefinitions(
      JSON.stringify({ 'public.t': { primary_keys: [], columns: [['id', 'integer']], ...extra } }),
      'tables.json',
    );
  assert.throws(
    () => declare({ properties: { a: 1 } }),
    /tables\.json: public\.t\.properties must be an object of string values/,
  );
  assert.throws(() => declare({ write_mode: 3 }), /public\.t\.write_mode must be a string/);
  for (const [extra, message] of [
    [
      { write_mode: 'eager' },
      /table public\.t: write mode "eager" is not one of copy-on-write, merge-on-read, auto/,
    ],
    [
      { properties: { 'datastream-iceberg.auto.rewrite-fraction': '1.5' } },
      /table public\.t: table property datastream-iceberg\.auto\.rewrite-fraction="1\.5" is not a number from 0 to 1/,
    ],
    [
      { properties: { 'write.update.mode': 'sometimes' } },
      /table public\.t: table property write\.update\.mode="sometimes"/,
    ],
  ] as const) {
    assert.throws(
      () => new ConfiguredTableDirectory(declare(extra)),
      (error: Error) => error instanceof ConfigError && message.test(error.message),
      JSON.stringify(extra),
    );
  }
  assert.throws(() => creationProperties('public.t', { writeMode: 'x' }, undefined), ConfigError);
});

test('DSI_WRITE_MODE is read for the commit function (checked by the runtime that builds its directory)', () => {
  const env = {
    GOOGLE_CLOUD_PROJECT: 'p',
    DSI_CATALOG_WAREHOUSE: 'gs://w',
    DSI_WORK_ROOT: 'gs://work/root',
    DSI_TASKS_LOCATION: 'europe-west1',
    DSI_COMMIT_URL: 'https://commit',
  };
  assert.equal(loadCloudConfig(env).writeMode, undefined);
  assert.equal(loadCloudConfig({ ...env, DSI_WRITE_MODE: ' auto ' }).writeMode, 'auto');
});
