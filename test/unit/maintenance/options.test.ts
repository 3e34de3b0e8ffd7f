// The options of a maintenance task body: every numeric field is checked against its bounds and a value
// outside them is refused with the field's name, before anything runs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maintenanceOptionsFromJson, NUMBER_BOUNDS } from '../../../shared/maintenance/options.js';

test('the values a task must never run with are refused, naming the field', () => {
  assert.throws(
    () => maintenanceOptionsFromJson({ leaseTtlMs: 0 }),
    /maintenance option leaseTtlMs: 0 is out of range/,
  );
  assert.throws(
    () => maintenanceOptionsFromJson({ orphansOlderThanMs: 0 }),
    /maintenance option orphansOlderThanMs: 0 is out of range \(3600000 to .* a commit still running\)/,
  );
  assert.throws(
    () => maintenanceOptionsFromJson({ leaseTtlMs: 120_000, minLeaseLeftMs: 120_000 }),
    /minLeaseLeftMs: 120000 is not below leaseTtlMs 120000/,
  );
  assert.throws(
    () => maintenanceOptionsFromJson({ minLeaseLeftMs: 10 * 60_000 }),
    /not below leaseTtlMs 600000/,
  );
});

test('every numeric field: its bounds pass, just outside them and a fraction where whole numbers go do not', () => {
  for (const [key, bound] of Object.entries(NUMBER_BOUNDS)) {
    const valid = (v: number) => {
      // a lease field is checked against the other one's default too: keep the pair consistent
      const body: Record<string, number> = { [key]: v };
      if (key === 'minLeaseLeftMs') body.leaseTtlMs = NUMBER_BOUNDS.leaseTtlMs.max;
      if (key === 'leaseTtlMs') body.minLeaseLeftMs = NUMBER_BOUNDS.minLeaseLeftMs.min;
      return body;
    };
    assert.deepEqual(maintenanceOptionsFromJson(valid(bound.min)), valid(bound.min), `${key} min`);
    assert.deepEqual(maintenanceOptionsFromJson(valid(bound.max)), valid(bound.max), `${key} max`);
    const step = bound.integer ? 1 : 0.001;
    for (const out of [bound.min - step, bound.max + step]) {
      assert.throws(
        () => maintenanceOptionsFromJson(valid(out)),
        new RegExp(`^RangeError: maintenance option ${key}: ${out} is out of range`),
        `${key} ${out}`,
      );
    }
    if (bound.integer) {
      assert.throws(
        () => maintenanceOptionsFromJson(valid(bound.min + 0.5)),
        new RegExp(`maintenance option ${key}: expected an integer`),
      );
    }
    for (const bad of ['5', null, Number.NaN, Infinity]) {
      assert.throws(
        () => maintenanceOptionsFromJson({ [key]: bad }),
        new RegExp(`maintenance option ${key}: expected`),
      );
    }
  }
});

test('a body within bounds passes as it is; an unknown field is refused', () => {
  const body = { expireOlderThanMs: 0, retainLast: 1, orphansOlderThanMs: 3 * 86_400_000, dryRun: true };
  assert.deepEqual(maintenanceOptionsFromJson(body), body);
  assert.deepEqual(maintenanceOptionsFromJson(undefined), {});
  assert.throws(() => maintenanceOptionsFromJson({ leaseTTL: 5 }), /maintenance option leaseTTL is unknown/);
});
