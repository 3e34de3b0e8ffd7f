// The table-task runner of the embedded defaults: the commit step for each queued change-set. Kept in one
// place so the CLI and `npm start` share it.

import type { EmbeddedOptions } from '../shared/runtime/embedded.js';

/** The commit step, or undefined while the copy-on-write commit is not wired in (tasks stay pending). */
export function commitTaskRunner(): EmbeddedOptions['onTask'] | undefined {
  return undefined;
}
