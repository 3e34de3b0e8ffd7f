// The names isolate() hands out must be valid for each service and never repeat, or tests sharing one
// stack would collide or be refused by the emulators.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isolate } from '../../support/isolation.js';

test('isolate() gives unique names that are valid for each service', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const names = isolate(i % 2 ? 'A Very Long Label With Spaces And CAPITALS!' : '');
    for (const name of [names.bucket, names.namespace, names.queue(), names.topic(), names.collection('x')]) {
      assert.ok(!seen.has(name), `repeated name ${name}`);
      seen.add(name);
    }
    assert.match(names.bucket, /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    assert.doesNotMatch(names.bucket, /^goog/);
    assert.match(names.queue('Commit Queue'), /^[A-Za-z0-9-]{1,100}$/);
    assert.match(names.topic('t'), /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/);
    assert.match(names.subscription('s'), /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/);
    assert.match(names.collection('Leases'), /^[a-z0-9_]+$/);
    assert.doesNotMatch(names.collection('x'), /^__.*__$/);
    assert.match(names.namespace, /^[a-z0-9_]+$/);
    assert.ok(names.collection('leases').startsWith(names.collectionPrefix));
  }
});
