// Merges database flags for `gcloud sql instances patch --database-flags`, which replaces the instance's
// whole flag list: reads `gcloud sql instances describe --format=json` on stdin, sets each NAME=VALUE
// given as an argument, keeps every other flag the instance has, and prints the list as gcloud takes it
// (NAME=VALUE,…). Prints nothing when every given flag already has its value (no patch, no restart).

import { readFileSync } from 'node:fs';

const instance = JSON.parse(readFileSync(0, 'utf8') || '{}');
const flags = new Map((instance.settings?.databaseFlags ?? []).map((flag) => [flag.name, flag.value ?? '']));
let changed = false;
for (const assignment of process.argv.slice(2)) {
  const [name, value] = assignment.split('=', 2);
  if (flags.get(name) !== value) changed = true;
  flags.set(name, value);
}
if (changed) {
  process.stdout.write([...flags].map(([name, value]) => `${name}=${value}`).join(',') + '\n');
}
