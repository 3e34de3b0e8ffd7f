// Reads a tables.json for scripts/deploy.sh: prints the definitions compacted to one line (the functions'
// DSI_TABLES), then each table key on a line of its own (one Cloud Tasks queue each). With `--names`
// (scripts/setup-source.sh) each table is printed instead as its schema and table names, unquoted, separated
// by a tab: the SQL and Datastream's includeObjects need the names themselves, not the key. Only the shape the
// deploy needs is checked here; the functions validate the definitions in full at start-up
// (shared/config.ts). Exit code 1 with the reason when the file is not a tables file.
//
// Queue ids hash the canonical table key, so the keys printed are canonical whatever quoting the file
// used. The deploy runs before any build, so this is the key syntax of shared/names/table-key.ts again;
// test/unit/deploy/read-tables.test.ts checks that both give the same key.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BARE = /^[a-z_][a-z0-9_]*$/;
const quote = (name) => (BARE.test(name) ? name : `"${name.replaceAll('"', '""')}"`);

/** `schema.table`, each part bare (taken as written) or double-quoted, in canonical form; else undefined. */
export function canonicalKey(text) {
  const parts = keyParts(text);
  return parts === undefined ? undefined : parts.map(quote).join('.');
}

/** The two names of a `schema.table` key, quotes removed; undefined when the key is not one. */
export function keyParts(text) {
  const parts = [];
  let i = 0;
  for (;;) {
    let name = '';
    if (text[i] === '"') {
      for (i++; ;) {
        const close = text.indexOf('"', i);
        if (close < 0) return undefined;
        name += text.slice(i, close);
        i = close + 1;
        if (text[i] !== '"') break;
        name += '"';
        i++;
      }
    } else {
      name = /^[^."\s]*/.exec(text.slice(i))[0];
      i += name.length;
    }
    if (name === '') return undefined;
    parts.push(name);
    if (i === text.length) break;
    if (text[i] !== '.') return undefined;
    i++;
  }
  return parts.length === 2 ? parts : undefined;
}

function main(file, names) {
  const reject = (reason) => {
    process.stderr.write(`${file}: ${reason}\n`);
    process.exit(1);
  };
  let tables;
  try {
    tables = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    reject(`not valid JSON (${error.message})`);
  }
  if (typeof tables !== 'object' || tables === null || Array.isArray(tables)) {
    reject('expected an object of "schema.table" → table definition');
  }
  const keys = Object.keys(tables).map((key) => {
    const parts = keyParts(key);
    if (parts === undefined)
      reject(`table key ${JSON.stringify(key)} must be schema.table (a part holding '.' quoted: "a.b".c)`);
    if (!names) return parts.map(quote).join('.');
    // One line per table for the shell: a name holding a tab or a line break cannot be carried so.
    if (parts.some((part) => /[\t\n\r]/.test(part)))
      reject(
        `table key ${JSON.stringify(key)}: setup-source.sh cannot pass a name holding a tab or line break`,
      );
    return parts.join('\t');
  });
  process.stdout.write([JSON.stringify(tables), ...keys].join('\n') + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.includes('--names');
  main(process.argv.filter((arg) => arg !== '--names')[2], names);
}
