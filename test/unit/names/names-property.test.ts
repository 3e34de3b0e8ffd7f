// Property test of the name mapping: random identifiers (Unicode, dots, slashes, "..", quotes, percent
// signs, exactly 63 bytes, reserved and Object.prototype names) must map to locations that stay under
// their root, and distinct (schema, table) pairs to distinct tables: distinct keys, catalog identifiers,
// folders, change-set folders and queue ids, no folder inside another's. Seeded: a failure prints the
// seed and the two names.

import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { test } from 'node:test';
import { queueIdForTable } from '../../../shared/adapters/gcp/cloud-tasks-queue.js';
import type { TableRef } from '../../../shared/changes/change-event.js';
import { identifierProblem } from '../../../shared/names/identifier.js';
import { decodePathSegment, identifierFolder, tableFolder } from '../../../shared/names/storage-path.js';
import { parseTableKey, tableKey } from '../../../shared/names/table-key.js';
import { tableIdentifier } from '../../../shared/table/table-identifier.js';
import { changesetLocation } from '../../../shared/pipeline/ingest-file.js';
import { seeded, type Random } from '../../support/random.js';

const SEED = Number(process.env.NAMES_SEED ?? 20261206);
const PIECES = [
  '.',
  '..',
  '/',
  '../',
  '"',
  '""',
  '%',
  '%2E',
  '%2F',
  '\\',
  ' ',
  '_cdc_',
  '__proto__',
  'constructor',
  'a',
  'A',
  'z9',
  '-',
  'é',
  'ß',
  '日本',
  '😀',
  '\u200b',
  '\t',
  '\n',
  '~',
  '*',
  ':',
];
const encoder = new TextEncoder();

/** A random valid identifier: pieces and random code points, cut to at most 63 bytes. */
function identifier(random: Random): string {
  if (random() < 0.1) return PIECES[Math.floor(random() * PIECES.length)]!;
  let name = '';
  const target = random() < 0.2 ? 63 : 1 + Math.floor(random() * 40);
  while (encoder.encode(name).length < target) {
    const r = random();
    if (r < 0.6) name += PIECES[Math.floor(random() * PIECES.length)];
    else if (r < 0.8) name += String.fromCodePoint(0x20 + Math.floor(random() * 0x60));
    else name += String.fromCodePoint(0x80 + Math.floor(random() * 0x1ff00));
  }
  while (encoder.encode(name).length > 63) name = [...name].slice(0, -1).join('');
  return name === '' ? 'x' : name;
}

function isUnder(location: string, root: string): boolean {
  return location.startsWith(`${root}/`) && posix.normalize(location) === location;
}

test(`random names stay under their root and distinct names stay distinct tables (seed ${SEED})`, () => {
  const random = seeded(SEED);
  const refs: TableRef[] = [];
  const seen = new Set<string>();
  while (refs.length < 1500) {
    // a small pool of schemas so that many tables share one, and names that differ by little
    const schema =
      random() < 0.5 ? ['public', 'a', 'a.b', '..', 'a/b'][Math.floor(random() * 5)]! : identifier(random);
    const name =
      random() < 0.1 && refs.length > 0 ? `${refs[refs.length - 1]!.name}/data` : identifier(random);
    const ref = { schema, name };
    if (identifierProblem(ref.name) || identifierProblem(ref.schema)) continue;
    const id = JSON.stringify(ref);
    if (seen.has(id)) continue;
    seen.add(id);
    refs.push(ref);
  }
  const root = '/warehouse';
  const work = 'gs://bucket/work';
  const keys = new Map<string, TableRef>();
  const folders = new Map<string, TableRef>();
  const changesetFolders = new Map<string, TableRef>();
  const queues = new Map<string, TableRef>();
  for (const ref of refs) {
    const why = `seed ${SEED}: ${JSON.stringify(ref)}`;
    const key = tableKey(ref);
    assert.deepEqual(parseTableKey(key), ref, why);
    assert.deepEqual(tableIdentifier(key), { namespace: [ref.schema], name: ref.name }, why);
    const folder = tableFolder(root, ref);
    assert.ok(isUnder(folder, root), `${why}: ${folder}`);
    const segments = folder.slice(root.length + 1).split('/');
    assert.equal(segments.length, 2, why);
    assert.deepEqual(segments.map(decodePathSegment), [ref.schema, ref.name], why);
    for (const s of segments) assert.ok(s !== '.' && s !== '..' && encoder.encode(s).length <= 255, why);
    assert.equal(identifierFolder(root, [ref.schema], ref.name), folder, why);
    const changeset = changesetLocation(work, ref, 'id');
    assert.ok(
      changeset.startsWith(`${work}/changesets/`) &&
        posix.normalize(changeset.slice(5)) === changeset.slice(5),
      why,
    );
    for (const [map, value] of [
      [keys, key],
      [folders, folder],
      [changesetFolders, changeset.slice(0, -'/id.arrows'.length)],
      [queues, queueIdForTable(key)],
    ] as const) {
      const other = map.get(value);
      assert.equal(other, undefined, `${why} and ${JSON.stringify(other)} share ${value}`);
      map.set(value, ref);
    }
  }
  // no table's folder is inside another's: no proper prefix of a folder, cut at a '/', is a table's
  for (const folder of folders.keys()) {
    const parts = folder.split('/');
    for (let n = parts.length - 1; n > 1; n--)
      assert.ok(
        !folders.has(parts.slice(0, n).join('/')),
        `${folder} is inside ${parts.slice(0, n).join('/')}`,
      );
  }
});
