// Reads a tables.json for scripts/deploy.sh: prints the definitions compacted to one line (the functions'
// DSI_TABLES), then each table key on a line of its own (one Cloud Tasks queue each). Only the shape the
// deploy needs is checked here; the functions validate the definitions in full at start-up
// (shared/config.ts). Exit code 1 with the reason when the file is not a tables file.

import { readFileSync } from 'node:fs';

const file = process.argv[2];
function reject(reason) {
  process.stderr.write(`${file}: ${reason}\n`);
  process.exit(1);
}

let tables;
try {
  tables = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  reject(`not valid JSON (${error.message})`);
}
if (typeof tables !== 'object' || tables === null || Array.isArray(tables)) {
  reject('expected an object of "schema.table" → table definition');
}
for (const key of Object.keys(tables)) {
  if (!/^[^.]+\.[^.]+$/.test(key)) reject(`table key "${key}" must be schema.table`);
}
process.stdout.write([JSON.stringify(tables), ...Object.keys(tables)].join('\n') + '\n');
