// The deploy script reads tables.json before any build, with its own copy of the table key syntax: it
// must print the same canonical key as shared/names/table-key.ts, or the queue it creates is not the
// one the functions use.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTableKey, tableKey } from '../../../shared/names/table-key.js';
import { REPO_ROOT } from '../../support/scenarios.js';

test('read-tables.mjs and shared/names give every table key the same canonical form', async () => {
  const script = (await import(`${REPO_ROOT}/scripts/deploy/read-tables.mjs`)) as {
    canonicalKey: (text: string) => string | undefined;
  };
  for (const key of [
    'public.orders',
    'public.Orders',
    '"public"."orders"',
    '"a.b".c',
    'a."b.c"',
    '"we""ird"."a b"',
    'sales.Order_Items',
    '"..".y',
  ])
    assert.equal(script.canonicalKey(key), tableKey(parseTableKey(key)), key);
  for (const bad of ['orders', 'a.b.c', '"a.b', 'a.', '"".x', 'a b.c'])
    assert.equal(script.canonicalKey(bad), undefined, bad);
});
