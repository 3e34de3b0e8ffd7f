// The auto bounds read from table properties: a value is a plain decimal number in range or the table
// fails naming it. JavaScript's Number() also takes hexadecimal ("0x1"), binary ("0b1") and padded text;
// Iceberg's other engines read these properties as decimal numbers, so such a value would mean one
// fraction here and fail or mean another elsewhere.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TablePropertyError, writeModeChoice } from '../../../shared/cow/write-mode-choice.js';

const FRACTION = 'datastream-iceberg.auto.rewrite-fraction';
const MAX_FILES = 'datastream-iceberg.auto.max-delete-files';

test('auto.rewrite-fraction: decimal numbers from 0 to 1 are taken', () => {
  for (const [text, value] of [
    ['0', 0],
    ['1', 1],
    ['0.25', 0.25],
    ['.5', 0.5],
    ['1.0', 1],
    ['2.5e-1', 0.25],
  ] as const) {
    assert.equal(writeModeChoice({ [FRACTION]: text }, 't').rewriteFraction, value, text);
  }
});

test('auto.rewrite-fraction and max-delete-files: anything else fails naming table, property and value', () => {
  for (const text of ['0x1', '0b1', '0o1', ' 0.5', '0.5 ', '-1', 'NaN', '2', 'Infinity', '', '1/4', '25%']) {
    assert.throws(
      () => writeModeChoice({ [FRACTION]: text }, 'public.t'),
      (error: unknown) =>
        error instanceof TablePropertyError &&
        error.message.includes(`table public.t: table property ${FRACTION}=${JSON.stringify(text)}`),
      JSON.stringify(text),
    );
  }
  for (const text of ['0', '0x8', '1.5', '-3', ' 8', '']) {
    assert.throws(
      () => writeModeChoice({ [MAX_FILES]: text }, 'public.t'),
      (error: unknown) => error instanceof TablePropertyError && error.message.includes(JSON.stringify(text)),
      JSON.stringify(text),
    );
  }
  assert.equal(writeModeChoice({ [MAX_FILES]: '8' }, 't').maxDeleteFiles, 8);
});
