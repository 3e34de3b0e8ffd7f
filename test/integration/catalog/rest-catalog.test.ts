// The REST client against the Iceberg REST reference catalog server (Java), which is the witness of
// what a conforming catalog accepts, returns and stores.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { stackEnv } from '../../support/stack-env.js';
import { RestCatalog, RestCatalogError } from '../../../shared/adapters/gcp/rest-catalog.js';
import { resolveUnknownCommit } from '../../../shared/table/resolve-unknown-commit.js';
import {
  CommitConflictError,
  CommitStateUnknownError,
  NoSuchTableError,
  TableAlreadyExistsError,
  type CreateTableRequest,
  type TableIdentifier,
} from '../../../shared/ports/catalog.js';
import type { Int64, Snapshot, TableUpdate } from '../../../shared/iceberg/spec/metadata-types.js';
import { applyCommit } from '../../../shared/iceberg/spec/metadata-updates.js';
import { newTableMetadata } from '../../../shared/iceberg/spec/new-table-metadata.js';
import { googleAuthHeaders } from '../../../shared/adapters/gcp/google-auth-headers.js';
import type { GoogleAuth } from 'google-auth-library';
import { startFailingProxy, type FailingProxy } from './failing-proxy.js';

const namespace = [`rest_it_${randomUUID().slice(0, 8)}`];
let catalog: RestCatalog;
let proxy: FailingProxy;
let proxied: RestCatalog;

before(async () => {
  const uri = stackEnv('ICEBERG_REST_URI');
  catalog = new RestCatalog({ uri, warehouse: stackEnv('ICEBERG_REST_WAREHOUSE') });
  proxy = await startFailingProxy(uri);
  proxied = new RestCatalog({ uri: proxy.uri });
  await catalog.createNamespace(namespace, { owner: 'tests' });
});

after(async () => {
  await proxy?.close();
});

function request(name: string): CreateTableRequest {
  return {
    name,
    schema: {
      type: 'struct',
      'schema-id': 3,
      'identifier-field-ids': [21],
      fields: [
        { id: 21, name: 'id', required: true, type: 'long' },
        {
          id: 22,
          name: 'payload',
          required: false,
          type: { type: 'struct', fields: [{ id: 30, name: 'k', required: false, type: 'string' }] },
        },
        {
          id: 23,
          name: 'tags',
          required: false,
          type: { type: 'list', 'element-id': 31, element: 'string', 'element-required': false },
        },
        { id: 24, name: 'amount', required: false, type: 'decimal(10, 2)' },
      ],
    },
    'partition-spec': {
      'spec-id': 0,
      fields: [{ 'source-id': 21, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[4]' }],
    },
    'write-order': {
      'order-id': 1,
      fields: [{ 'source-id': 21, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }],
    },
    properties: { 'format-version': '2', 'cdc.source': 'tests' },
  };
}

let nextId = 1000 + Math.floor(Math.random() * 1_000_000);
function snapshot(id: Int64, parent: Int64 | null, sequence: number): Snapshot {
  return {
    'snapshot-id': id,
    'parent-snapshot-id': parent,
    'sequence-number': sequence,
    'timestamp-ms': Date.now(),
    'manifest-list': `file:///nowhere/snap-${id}.avro`,
    summary: { operation: 'append', 'cdc.batch-id': `batch-${id}` },
    'schema-id': 0,
  };
}

function addOnMain(snap: Snapshot): TableUpdate[] {
  return [
    { action: 'add-snapshot', snapshot: snap },
    { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snap['snapshot-id'] },
  ];
}

async function freshTable(): Promise<TableIdentifier> {
  const name = `t_${randomUUID().slice(0, 8)}`;
  await catalog.createTable(namespace, request(name));
  return { namespace, name };
}

test('namespace create is idempotent; exists is true for it and false for another', async () => {
  await catalog.createNamespace(namespace);
  assert.equal(await catalog.namespaceExists(namespace), true);
  assert.equal(await catalog.namespaceExists([`missing_${randomUUID().slice(0, 8)}`]), false);
});

test('a namespace create answered with a 500 after it landed (a lost race) is success; one that did not land fails', async () => {
  const failing = await startFailingProxy(stackEnv('ICEBERG_REST_URI'), {
    status: 500,
    matches: (method, url) => method === 'POST' && /\/namespaces$/.test(url.split('?')[0]!),
  });
  try {
    const client = new RestCatalog({ uri: failing.uri });
    const landed = [`rest_ns_${randomUUID().slice(0, 8)}`];
    failing.failNextCommit('after-forward');
    await client.createNamespace(landed);
    assert.equal(await catalog.namespaceExists(landed), true);
    const lost = [`rest_ns_${randomUUID().slice(0, 8)}`];
    failing.failNextCommit('before-forward');
    await assert.rejects(
      client.createNamespace(lost),
      (error: unknown) => error instanceof Error && /→ 500/.test(`${error.message} ${String(error.cause)}`),
    );
    assert.equal(await catalog.namespaceExists(lost), false);
  } finally {
    await failing.close();
  }
});

test('create, load and list a table; the server assigns ids as newTableMetadata does', async () => {
  const name = `t_${randomUUID().slice(0, 8)}`;
  const created = await catalog.createTable(namespace, request(name));
  const ours = newTableMetadata(request(name), {
    location: created.metadata.location,
    uuid: created.metadata['table-uuid'],
    now: 0,
  });
  for (const key of [
    'schemas',
    'partition-specs',
    'sort-orders',
    'last-column-id',
    'last-partition-id',
    'default-sort-order-id',
    'properties',
    'current-schema-id',
  ] as const) {
    assert.deepEqual(ours[key], created.metadata[key], key);
  }
  const loaded = await catalog.loadTable({ namespace, name });
  assert.equal(loaded.metadataLocation, created.metadataLocation);
  assert.equal(loaded.metadata['table-uuid'], created.metadata['table-uuid']);
  const listed = await catalog.listTables(namespace);
  assert.ok(listed.some((t) => t.name === name && t.namespace.join('.') === namespace.join('.')));
  await assert.rejects(catalog.createTable(namespace, request(name)), TableAlreadyExistsError);
  await assert.rejects(catalog.loadTable({ namespace, name: 'no_such_table' }), NoSuchTableError);
});

test('a property change commits; the result equals applyCommit of the same request on the same base', async () => {
  const table = await freshTable();
  const base = await catalog.loadTable(table);
  const requirements = [{ type: 'assert-table-uuid' as const, uuid: base.metadata['table-uuid'] }];
  const updates: TableUpdate[] = [
    { action: 'set-properties', updates: { 'cdc.watermark': '1700000000000/0/16B3748' } },
    { action: 'remove-properties', removals: ['cdc.source'] },
  ];
  const committed = await catalog.commitTable(table, requirements, updates);
  assert.notEqual(committed.metadataLocation, base.metadataLocation);
  const reloaded = await catalog.loadTable(table);
  assert.equal(reloaded.metadata.properties?.['cdc.watermark'], '1700000000000/0/16B3748');
  assert.equal(reloaded.metadata.properties?.['cdc.source'], undefined);
  const ours = applyCommit(base.metadata, requirements, updates, {
    previousMetadataLocation: base.metadataLocation,
    now: () => Number(reloaded.metadata['last-updated-ms']),
  });
  assert.deepEqual(ours, reloaded.metadata);
});

test('snapshot commits: the server and applyCommit agree; a commit on a stale base is a CommitConflictError', async () => {
  const table = await freshTable();
  const base = await catalog.loadTable(table);
  const first = snapshot(nextId++, null, 1);
  const requirements = [{ type: 'assert-ref-snapshot-id' as const, ref: 'main', 'snapshot-id': null }];
  await catalog.commitTable(table, requirements, addOnMain(first));
  const after1 = await catalog.loadTable(table);
  assert.deepEqual(
    applyCommit(base.metadata, requirements, addOnMain(first), {
      previousMetadataLocation: base.metadataLocation,
    }),
    after1.metadata,
  );

  // a second writer that still holds `base` (main absent) builds its commit on it and loses
  const stale = snapshot(nextId++, null, 1);
  await assert.rejects(catalog.commitTable(table, requirements, addOnMain(stale)), (error: unknown) => {
    assert.ok(error instanceof CommitConflictError, String(error));
    assert.match(error.message, /409/);
    return true;
  });
  // a request the server refuses for another reason keeps its status and Iceberg type
  await assert.rejects(
    catalog.commitTable(
      table,
      [],
      [{ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 12345 }],
    ),
    (error: unknown) =>
      error instanceof RestCatalogError && error.status === 400 && error.icebergType !== undefined,
  );
});

test('an id beyond 2^53 survives create → commit → load → commit asserting it', async () => {
  const table = await freshTable();
  const big = 3051729675574597004n;
  await catalog.commitTable(
    table,
    [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
    addOnMain(snapshot(big, null, 1)),
  );
  const loaded = await catalog.loadTable(table);
  assert.equal(loaded.metadata['current-snapshot-id'], big);
  assert.equal(loaded.metadata.refs?.main?.['snapshot-id'], big);
  assert.equal(loaded.metadata.snapshots?.[0]?.['snapshot-id'], big);
  // the metadata file the Java server wrote has the exact digits
  const file = await readFile(loaded.metadataLocation.replace(/^file:/, ''), 'utf8');
  assert.ok(
    file.includes('"current-snapshot-id" : 3051729675574597004') ||
      file.includes('"current-snapshot-id":3051729675574597004'),
  );
  // echoing the id in a requirement works only if it was not rounded on the way
  const child = snapshot(big + 1n, big, 2);
  await catalog.commitTable(
    table,
    [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': big }],
    addOnMain(child),
  );
  const again = await catalog.loadTable(table);
  assert.equal(again.metadata['current-snapshot-id'], big + 1n);
  assert.equal(again.metadata.snapshots?.[1]?.['parent-snapshot-id'], big);
});

test('a 502 after the catalog applied the commit: unknown state, resolved as landed', async () => {
  const table = await freshTable();
  const snap = snapshot(nextId++, null, 1);
  proxy.failNextCommit('after-forward');
  await assert.rejects(
    proxied.commitTable(
      table,
      [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
      addOnMain(snap),
    ),
    CommitStateUnknownError,
  );
  assert.equal(
    await resolveUnknownCommit(catalog, table, { snapshotId: snap['snapshot-id'], baseSnapshotId: null }),
    'landed',
  );
});

test('a 502 before the catalog saw the commit: resolved as not landed, the same commit then succeeds; moved once main moves', async () => {
  const table = await freshTable();
  const snap = snapshot(nextId++, null, 1);
  const requirements = [{ type: 'assert-ref-snapshot-id' as const, ref: 'main', 'snapshot-id': null }];
  const forwardedBefore = proxy.forwardedCommits();
  proxy.failNextCommit('before-forward');
  await assert.rejects(proxied.commitTable(table, requirements, addOnMain(snap)), CommitStateUnknownError);
  assert.equal(proxy.forwardedCommits(), forwardedBefore);
  assert.equal(
    await resolveUnknownCommit(catalog, table, { snapshotId: snap['snapshot-id'], baseSnapshotId: null }),
    'not-landed',
  );
  await proxied.commitTable(table, requirements, addOnMain(snap));
  assert.equal((await catalog.loadTable(table)).metadata['current-snapshot-id'], snap['snapshot-id']);

  // another writer's commit moved main: an unknown commit built on the old base is a conflict
  const lost = snapshot(nextId++, snap['snapshot-id'], 2);
  proxy.failNextCommit('before-forward');
  await assert.rejects(proxied.commitTable(table, [], addOnMain(lost)), CommitStateUnknownError);
  await catalog.commitTable(table, [], addOnMain(snapshot(nextId++, snap['snapshot-id'], 2)));
  assert.equal(
    await resolveUnknownCommit(catalog, table, {
      snapshotId: lost['snapshot-id'],
      baseSnapshotId: snap['snapshot-id'],
    }),
    'moved',
  );
});

test('a connection cut during a commit is an unknown state; an unreachable catalog fails on config', async () => {
  const table = await freshTable();
  const snap = snapshot(nextId++, null, 1);
  proxy.failNextCommit('reset-after-forward');
  await assert.rejects(
    proxied.commitTable(
      table,
      [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
      addOnMain(snap),
    ),
    CommitStateUnknownError,
  );
  assert.equal(
    await resolveUnknownCommit(catalog, table, { snapshotId: snap['snapshot-id'], baseSnapshotId: null }),
    'landed',
  );
  const dead = new RestCatalog({ uri: 'http://127.0.0.1:9', timeoutMs: 2000 });
  // config comes first: the failure is reported with the URL, never papered over with a guessed prefix
  await assert.rejects(dead.loadTable({ namespace, name: 'x' }), /GET http:\/\/127\.0\.0\.1:9\/v1\/config/);
});

test('drop removes the table from the catalog', async () => {
  const table = await freshTable();
  await catalog.dropTable(table);
  await assert.rejects(catalog.loadTable(table), NoSuchTableError);
  await assert.rejects(catalog.dropTable(table), NoSuchTableError);
});

test('BigLake headers: a fresh bearer token per call, the billing project, access delegation, idempotency keys', async () => {
  // stands in for Application Default Credentials: each call hands out the next token, as a refresh would
  let issued = 0;
  const auth = { getAccessToken: async () => `token-${++issued}` } as unknown as GoogleAuth;
  const client = new RestCatalog({
    uri: proxy.uri,
    warehouse: 'gs://bucket',
    headers: googleAuthHeaders({ auth, userProject: 'billing-project' }),
    accessDelegation: 'vended-credentials',
  });
  const from = proxy.seen().length;
  const name = `t_${randomUUID().slice(0, 8)}`;
  await client.createTable(namespace, request(name));
  const loaded = await client.loadTable({ namespace, name });
  await client.commitTable(
    { namespace, name },
    [{ type: 'assert-table-uuid', uuid: loaded.metadata['table-uuid'] }],
    [{ action: 'set-properties', updates: { k: 'v' } }],
  );
  const seen = proxy.seen().slice(from);
  assert.deepEqual(
    seen.map((r) => `${r.method} ${r.url.split('?')[0]}`),
    [
      'GET /v1/config',
      `POST /v1/namespaces/${namespace[0]}/tables`,
      `GET /v1/namespaces/${namespace[0]}/tables/${name}`,
      `POST /v1/namespaces/${namespace[0]}/tables/${name}`,
    ],
  );
  assert.equal(seen[0]!.url, '/v1/config?warehouse=gs%3A%2F%2Fbucket');
  assert.deepEqual(
    seen.map((r) => r.headers.authorization),
    ['Bearer token-1', 'Bearer token-2', 'Bearer token-3', 'Bearer token-4'],
  );
  for (const r of seen) {
    assert.equal(r.headers['x-goog-user-project'], 'billing-project');
    assert.equal(r.headers['x-iceberg-access-delegation'], 'vended-credentials');
  }
  const keys = seen.filter((r) => r.method === 'POST').map((r) => r.headers['idempotency-key']);
  assert.equal(keys.length, 2);
  for (const key of keys)
    assert.match(key ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(keys[0], keys[1]);
  assert.equal(seen[0]!.headers['idempotency-key'], undefined);
});

test('the prefix from /v1/config overrides is used unencoded in every path (projects/P/catalogs/C)', async () => {
  const prefix = 'projects/p-1/catalogs/bucket-1';
  const prefixed = await startFailingProxy(stackEnv('ICEBERG_REST_URI'), { prefix });
  try {
    const client = new RestCatalog({ uri: `${prefixed.uri}/`, warehouse: 'gs://bucket-1' });
    assert.equal((await client.properties()).prefix, prefix);
    const name = `t_${randomUUID().slice(0, 8)}`;
    await client.createTable(namespace, request(name));
    assert.ok((await client.listTables(namespace)).some((t) => t.name === name));
    const urls = prefixed.seen().map((r) => r.url);
    assert.ok(
      urls.slice(1).every((u) => u.startsWith(`/v1/${prefix}/namespaces/`)),
      urls.join('\n'),
    );
  } finally {
    await prefixed.close();
  }
});

test('every 5xx the spec names for a commit is an unknown state; a 4xx is a plain error with its status', async () => {
  const table = await freshTable();
  for (const status of [500, 503, 504, 400]) {
    const failing = await startFailingProxy(stackEnv('ICEBERG_REST_URI'), { status });
    try {
      const client = new RestCatalog({ uri: failing.uri });
      failing.failNextCommit('before-forward');
      await assert.rejects(
        client.commitTable(table, [], [{ action: 'set-properties', updates: { s: String(status) } }]),
        (error: unknown) =>
          status >= 500
            ? error instanceof CommitStateUnknownError &&
              error.cause instanceof RestCatalogError &&
              error.cause.status === status
            : error instanceof RestCatalogError &&
              error.status === status &&
              !(error instanceof CommitStateUnknownError),
      );
    } finally {
      await failing.close();
    }
  }
});
